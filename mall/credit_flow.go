package mall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// CreditCall is the engagement a credit application is sent in, as the
// contact center knows it.
type CreditCall struct {
	EntryID   string
	StoreID   int64
	AgentID   string // the agent who answered ("" before anyone did)
	ShopperID string // the member on the call ("" for a guest)
	Live      bool   // the call is connected now
}

// CreditCalls is what store credit needs from the contact center, which
// owns the engagements and their realtime channel (agentdesk.CreditCalls
// implements it).
type CreditCalls interface {
	// CreditCall returns the engagement entryID; apperr NotFound when there
	// is none.
	CreditCall(ctx context.Context, entryID string) (CreditCall, error)
	// TellCredit sends u as "credit.update" to both parties of the
	// engagement u.EntryID while it is live; otherwise it does nothing.
	TellCredit(ctx context.Context, u CreditUpdate)
	// TellSupervisors sends u as "credit.update" to every device of the
	// store's supervisors.
	TellSupervisors(ctx context.Context, storeID int64, u CreditUpdate)
}

// VerifiedEmails tells whether a member's email address is verified (the
// directory keeps it; *directory.EmailVerifier implements it).
type VerifiedEmails interface {
	EmailVerified(ctx context.Context, accountID string) (bool, error)
}

// CreditUpdate is the data of "credit.update": where a credit application
// of an engagement stands, as both parties of the call and the store's
// supervisors may see it. It carries no answer of the applicant's except
// the limit they ask for, which the agent needs to sell against.
type CreditUpdate struct {
	ApplicationID       string      `json:"applicationId"`
	EntryID             string      `json:"entryId"`
	Store               string      `json:"store"`
	State               CreditState `json:"state" ts:"'sent' | 'submitted' | 'approved' | 'declined'"`
	Step                CreditStep  `json:"step" ts:"'opened' | 'filling' | 'filled' | 'signed'"`
	Filled              []string    `json:"filled"`
	RequestedLimitMinor int64       `json:"requestedLimitMinor"`
	LimitMinor          int64       `json:"limitMinor"`
	Currency            string      `json:"currency"`
	// Automatic says the store's rules decided, not a supervisor.
	Automatic bool   `json:"automatic"`
	Reason    string `json:"reason"`
}

// Credit keeps store credit applications and credit lines: sent by the
// agent in a call, filled and signed by the member in their call panel,
// submitted by the agent, decided by the store's rules or a supervisor.
// Every change is told to the call (and, when a supervisor must decide,
// to the store's supervisors) through calls.
type Credit struct {
	db       *gorm.DB
	accounts Accounts
	calls    CreditCalls
	emails   VerifiedEmails
	auth     *auth.Service
	// SignTTL is how long a begun signature may be finished.
	SignTTL time.Duration
	// Now is the clock of age checks and timestamps (time.Now).
	Now func() time.Time
}

// NewCredit returns the store credit service: members' roles and birth
// dates come from accounts, engagements and their channel from calls,
// verified addresses from emails, passkeys from a.
func NewCredit(db *gorm.DB, accounts Accounts, calls CreditCalls, emails VerifiedEmails, a *auth.Service) *Credit {
	return &Credit{db: db, accounts: accounts, calls: calls, emails: emails, auth: a, SignTTL: 5 * time.Minute, Now: time.Now}
}

// staffStore returns the store a staff account works for.
func staffStore(staff *auth.Account) (int64, error) {
	if staff == nil || !staff.Role.IsStaff() || staff.StoreID == nil {
		return 0, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	return *staff.StoreID, nil
}

// UpdateOf returns what the call and the supervisors are told of app.
func (cr *Credit) UpdateOf(ctx context.Context, app *CreditApplication) CreditUpdate {
	u := CreditUpdate{ApplicationID: app.ID, EntryID: app.EntryID, State: app.State, Step: app.Step, Filled: filledOf(app.Filled),
		RequestedLimitMinor: app.RequestedLimitMinor, LimitMinor: app.LimitMinor, Currency: Currency, Automatic: app.DecidedAutomatically,
		Reason: app.DecisionReason}
	var s Store
	if err := cr.db.WithContext(ctx).Select("slug").Where("id = ?", app.StoreID).Take(&s).Error; err == nil {
		u.Store = s.Slug
	}
	return u
}

// filledOf splits the stored list of filled fields.
func filledOf(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// tell sends the application's state to its call.
func (cr *Credit) tell(ctx context.Context, app *CreditApplication) {
	if app.EntryID != "" {
		cr.calls.TellCredit(ctx, cr.UpdateOf(ctx, app))
	}
}

// SendApplication creates an application for the member on the agent's
// live engagement entryID and opens it in the member's call panel. Only
// the engagement's own agent may send it (any other engagement is
// NotFound); a guest shopper is a Conflict. A member whose application at
// the store is still being filled gets it again, now in this call; one
// with an application under review or a credit line is a Conflict.
func (cr *Credit) SendApplication(ctx context.Context, staff *auth.Account, entryID string) (*CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	call, err := cr.calls.CreditCall(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if !call.Live || call.AgentID != staff.ID || call.StoreID != store {
		return nil, apperr.New(apperr.NotFound, "no live engagement %q of yours", entryID)
	}
	if call.ShopperID == "" {
		return nil, apperr.New(apperr.Conflict, "store credit is for members: this shopper is a guest")
	}
	refs, err := cr.accounts.Refs(ctx, []string{call.ShopperID})
	if err != nil {
		return nil, err
	}
	if refs[call.ShopperID].Role != auth.RoleMember {
		return nil, apperr.New(apperr.Conflict, "store credit is for members: this shopper is not one")
	}
	db := cr.db.WithContext(ctx)
	now := cr.Now().UTC()
	app := &CreditApplication{ID: newID("cred"), StoreID: store, AccountID: call.ShopperID, SentBy: staff.ID, State: CreditSent,
		EntryID: entryID, Step: CreditOpened, CreatedAt: now, UpdatedAt: now}
	err = db.Create(app).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		app, err = cr.resend(ctx, store, call.ShopperID, entryID)
	}
	if err != nil {
		return nil, err
	}
	cr.tell(ctx, app)
	return app, nil
}

// resend moves the member's application at the store, still being
// filled, to the engagement entryID.
func (cr *Credit) resend(ctx context.Context, store int64, accountID, entryID string) (*CreditApplication, error) {
	db := cr.db.WithContext(ctx)
	var app CreditApplication
	if err := db.Where("store_id = ? AND account_id = ? AND state <> ?", store, accountID, CreditDeclined).Take(&app).Error; err != nil {
		return nil, fmt.Errorf("find live credit application: %w", err)
	}
	switch app.State {
	case CreditSubmitted:
		return nil, apperr.New(apperr.Conflict, "this member's credit application is under review already")
	case CreditApproved:
		return nil, apperr.New(apperr.Conflict, "this member has a credit line at your store already")
	}
	res := db.Model(&CreditApplication{}).Where("id = ? AND state = ?", app.ID, CreditSent).
		Updates(map[string]any{"entry_id": entryID, "updated_at": cr.Now().UTC()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, apperr.New(apperr.Conflict, "the application changed meanwhile: send it again")
	}
	app.EntryID = entryID
	return &app, nil
}

// ApplicationsOf returns the member's applications, newest first.
func (cr *Credit) ApplicationsOf(ctx context.Context, accountID string) ([]CreditApplication, error) {
	var out []CreditApplication
	err := cr.db.WithContext(ctx).Where("account_id = ?", accountID).Order("created_at DESC, id").Limit(100).Find(&out).Error
	return out, err
}

// ApplicationOf returns the member's application, or NotFound: someone
// else's is indistinguishable from none.
func (cr *Credit) ApplicationOf(ctx context.Context, accountID, id string) (*CreditApplication, error) {
	var app CreditApplication
	err := cr.db.WithContext(ctx).Where("id = ? AND account_id = ?", id, accountID).Take(&app).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no credit application %q of yours", id)
	}
	return &app, err
}

// editable refuses changes to an application the member cannot change now.
func editable(app *CreditApplication) error {
	if app.State != CreditSent {
		return apperr.New(apperr.Conflict, "this application is %s already and cannot be changed", app.State)
	}
	if app.Step == CreditSigned {
		return apperr.New(apperr.Conflict, "you signed this application already: the agent submits it now")
	}
	return nil
}

// guardedUpdate applies upd to the application id if it is still sent and
// at one of the steps; anything else is a Conflict.
func guardedUpdate(tx *gorm.DB, id string, steps []CreditStep, upd map[string]any) error {
	res := tx.Model(&CreditApplication{}).Where("id = ? AND state = ? AND step IN ?", id, CreditSent, steps).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "the application changed meanwhile: reload it")
	}
	return nil
}

// ReportProgress records which fields the member has filled so far (not
// their values) and tells the agent.
func (cr *Credit) ReportProgress(ctx context.Context, accountID, id string, filled []string) (*CreditApplication, error) {
	app, err := cr.ApplicationOf(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if err := editable(app); err != nil {
		return nil, err
	}
	err = guardedUpdate(cr.db.WithContext(ctx), app.ID, []CreditStep{CreditOpened, CreditFilling, CreditFilled},
		map[string]any{"step": CreditFilling, "filled": strings.Join(filled, ","), "updated_at": cr.Now().UTC()})
	if err != nil {
		return nil, err
	}
	if app, err = cr.ApplicationOf(ctx, accountID, id); err != nil {
		return nil, err
	}
	cr.tell(ctx, app)
	return app, nil
}

// FillApplication stores the member's answers: the application is then
// filled in and waits for their passkey signature. It may be filled again
// until it is signed.
func (cr *Credit) FillApplication(ctx context.Context, accountID, id string, f CreditForm) (*CreditApplication, error) {
	app, err := cr.ApplicationOf(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if err := editable(app); err != nil {
		return nil, err
	}
	now := cr.Now().UTC()
	err = guardedUpdate(cr.db.WithContext(ctx), app.ID, []CreditStep{CreditOpened, CreditFilling, CreditFilled}, map[string]any{
		"step": CreditFilled, "filled": strings.Join(CreditFields, ","), "full_name": f.FullName, "employer": f.Employer,
		"monthly_income_minor": *f.MonthlyIncomeMinor, "requested_limit_minor": f.RequestedLimitMinor, "consent_at": now, "updated_at": now})
	if err != nil {
		return nil, err
	}
	if app, err = cr.ApplicationOf(ctx, accountID, id); err != nil {
		return nil, err
	}
	cr.tell(ctx, app)
	return app, nil
}

// Submit sends the member's signed application to the store on their
// behalf: only the agent of the engagement it was sent in may (anyone
// else's is NotFound), and only once the member signed it. Within the
// store's rules it is approved at once, in the same transaction; outside
// them it waits for a supervisor, whose desks are told at once.
func (cr *Credit) Submit(ctx context.Context, staff *auth.Account, id string) (*CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	db := cr.db.WithContext(ctx)
	notFound := apperr.New(apperr.NotFound, "no credit application %q sent in a call of yours", id)
	var app CreditApplication
	err = db.Where("id = ? AND store_id = ?", id, store).Take(&app).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if app.EntryID == "" {
		return nil, notFound
	}
	call, err := cr.calls.CreditCall(ctx, app.EntryID)
	if err != nil || call.AgentID != staff.ID {
		return nil, notFound
	}
	switch {
	case app.State != CreditSent:
		return nil, apperr.New(apperr.Conflict, "this application is %s already", app.State)
	case app.Step != CreditSigned:
		return nil, apperr.New(apperr.Conflict, "the shopper has not signed the application yet: wait until they sign it with their passkey")
	}
	facts, err := cr.applicantFacts(ctx, &app)
	if err != nil {
		return nil, err
	}
	var auto bool
	err = db.Transaction(func(tx *gorm.DB) error {
		now := cr.Now().UTC()
		if err := guardedUpdate(tx, app.ID, []CreditStep{CreditSigned}, map[string]any{"state": CreditSubmitted, "submitted_at": now, "updated_at": now}); err != nil {
			return err
		}
		rules, err := rulesOf(tx, app.StoreID)
		if err != nil {
			return err
		}
		if facts.paidOrders, err = paidOrdersAt(tx, app.StoreID, app.AccountID); err != nil {
			return err
		}
		ok, why := rules.allow(&app, facts)
		if !ok {
			slog.Info("credit application needs a supervisor", "application", app.ID, "why", why)
			return nil
		}
		res := tx.Model(&CreditApplication{}).Where("id = ? AND state = ?", app.ID, CreditSubmitted).Updates(map[string]any{
			"state": CreditApproved, "limit_minor": app.RequestedLimitMinor, "decided_automatically": true,
			"decision_reason": "approved within the store's rules for automatic credit", "decided_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "the application changed meanwhile: reload it")
		}
		auto = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", app.ID).Take(&app).Error; err != nil {
		return nil, err
	}
	cr.tell(ctx, &app)
	if !auto {
		cr.calls.TellSupervisors(ctx, app.StoreID, cr.UpdateOf(ctx, &app))
	}
	return &app, nil
}

// EngagementApplication returns the application sent in the agent's
// engagement entryID, or NotFound (none sent, or not the agent's).
func (cr *Credit) EngagementApplication(ctx context.Context, staff *auth.Account, entryID string) (*CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	notFound := apperr.New(apperr.NotFound, "no credit application in an engagement %q of yours", entryID)
	call, err := cr.calls.CreditCall(ctx, entryID)
	if err != nil || call.AgentID != staff.ID || call.StoreID != store {
		return nil, notFound
	}
	var app CreditApplication
	err = cr.db.WithContext(ctx).Where("entry_id = ? AND store_id = ?", entryID, store).Order("created_at DESC").Take(&app).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound
	}
	return &app, err
}

// StoreApplications returns the applications of a supervisor's store,
// newest first. Agents may send applications but not read them.
func (cr *Credit) StoreApplications(ctx context.Context, staff *auth.Account) ([]CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	if staff.Role != auth.RoleSupervisor {
		return nil, apperr.New(apperr.Forbidden, "only supervisors read credit applications")
	}
	var out []CreditApplication
	err = cr.db.WithContext(ctx).Where("store_id = ?", store).Order("created_at DESC, id").Limit(200).Find(&out).Error
	return out, err
}

// Decide approves (with a limit) or declines a submitted application of the
// supervisor's store; another store's application is NotFound. The call the
// application was sent in hears the decision at once.
func (cr *Credit) Decide(ctx context.Context, staff *auth.Account, id string, d CreditDecision) (*CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	if staff.Role != auth.RoleSupervisor {
		return nil, apperr.New(apperr.Forbidden, "only supervisors decide credit applications")
	}
	db := cr.db.WithContext(ctx)
	var app CreditApplication
	err = db.Where("id = ? AND store_id = ?", id, store).Take(&app).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no credit application %q at your store", id)
	}
	if err != nil {
		return nil, err
	}
	if app.State != CreditSubmitted {
		return nil, apperr.New(apperr.Conflict, "this application is %s: only a submitted application can be decided", app.State)
	}
	now := cr.Now().UTC()
	upd := map[string]any{"state": CreditDeclined, "decided_by": staff.ID, "decision_reason": d.Reason, "decided_at": now, "updated_at": now}
	if *d.Approve {
		upd["state"], upd["limit_minor"] = CreditApproved, d.LimitMinor
	}
	res := db.Model(&CreditApplication{}).Where("id = ? AND state = ?", app.ID, CreditSubmitted).Updates(upd)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, apperr.New(apperr.Conflict, "the application changed meanwhile: reload it")
	}
	if err := db.Where("id = ?", app.ID).Take(&app).Error; err != nil {
		return nil, err
	}
	cr.tell(ctx, &app)
	cr.calls.TellSupervisors(ctx, app.StoreID, cr.UpdateOf(ctx, &app))
	return &app, nil
}
