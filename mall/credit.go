package mall

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// CreditState is where a store credit application stands.
type CreditState string

// Credit application states: sent by staff → submitted by the member →
// approved or declined by a supervisor of the store.
const (
	CreditSent      CreditState = "sent"
	CreditSubmitted CreditState = "submitted"
	CreditApproved  CreditState = "approved"
	CreditDeclined  CreditState = "declined"
)

// CreditApplication is a member's application for store credit at one
// store. An approved one is a credit line: LimitMinor, of which UsedMinor
// went to paid orders.
type CreditApplication struct {
	ID                  string      `gorm:"column:id;primaryKey"`
	StoreID             int64       `gorm:"column:store_id"`
	AccountID           string      `gorm:"column:account_id"`
	SentBy              string      `gorm:"column:sent_by"`
	State               CreditState `gorm:"column:state"`
	FullName            string      `gorm:"column:full_name"`
	Employer            string      `gorm:"column:employer"`
	MonthlyIncomeMinor  int64       `gorm:"column:monthly_income_minor"`
	RequestedLimitMinor int64       `gorm:"column:requested_limit_minor"`
	ConsentAt           *time.Time  `gorm:"column:consent_at"`
	SubmittedAt         *time.Time  `gorm:"column:submitted_at"`
	LimitMinor          int64       `gorm:"column:limit_minor"`
	UsedMinor           int64       `gorm:"column:used_minor"`
	DecidedBy           *string     `gorm:"column:decided_by"`
	DecisionReason      string      `gorm:"column:decision_reason"`
	DecidedAt           *time.Time  `gorm:"column:decided_at"`
	CreatedAt           time.Time   `gorm:"column:created_at"`
	UpdatedAt           time.Time   `gorm:"column:updated_at"`
}

// TableName tells GORM where credit applications live.
func (CreditApplication) TableName() string { return "credit_applications" }

// creditCharge records what an order paid with store credit took.
type creditCharge struct {
	OrderID       string    `gorm:"column:order_id;primaryKey"`
	ApplicationID string    `gorm:"column:application_id"`
	AmountMinor   int64     `gorm:"column:amount_minor"`
	CreatedAt     time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where credit charges live.
func (creditCharge) TableName() string { return "credit_charges" }

// Limits of what an application may ask for and be granted, in minor units.
const (
	MinCreditLimitMinor = 100        // 1.00
	MaxCreditLimitMinor = 5_000_000  // 50,000.00
	maxMonthlyIncome    = 10_000_000 // 100,000.00 a month
)

// CreditForm is what the member fills in.
type CreditForm struct {
	FullName            string `json:"fullName" required:"true"`
	MonthlyIncomeMinor  *int64 `json:"monthlyIncomeMinor"`
	Employer            string `json:"employer" required:"true"`
	RequestedLimitMinor int64  `json:"requestedLimitMinor" required:"true"`
	Consent             bool   `json:"consent"`
}

// CreditDecision is a supervisor's answer to an application.
type CreditDecision struct {
	Approve    *bool  `json:"approve"`
	LimitMinor int64  `json:"limitMinor"`
	Reason     string `json:"reason"`
}

// plainText checks a free-text field: trimmed, within max characters, no
// control characters.
func plainText(field, v string, min, max int) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", apperr.New(apperr.Invalid, "%s is not valid text", field)
	}
	n := utf8.RuneCountInString(v)
	if n < min || n > max {
		return "", apperr.New(apperr.Invalid, "%s must be %d to %d characters, not %d", field, min, max, n)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", apperr.New(apperr.Invalid, "%s must be one line of text", field)
		}
	}
	return v, nil
}

// ParseCreditForm decodes and checks the body of PUT
// /credit-applications/{id}: strict JSON, every field present, amounts in
// range and consent given.
func ParseCreditForm(body []byte) (CreditForm, error) {
	var f CreditForm
	if err := web.DecodeJSONBytes(body, &f); err != nil {
		return f, err
	}
	var err error
	if f.FullName, err = plainText("full name", f.FullName, 2, 100); err != nil {
		return f, err
	}
	if f.Employer, err = plainText("employer", f.Employer, 1, 100); err != nil {
		return f, err
	}
	if f.MonthlyIncomeMinor == nil {
		return f, apperr.New(apperr.Invalid, "field \"monthlyIncomeMinor\" is required")
	}
	if *f.MonthlyIncomeMinor < 0 || *f.MonthlyIncomeMinor > maxMonthlyIncome {
		return f, apperr.New(apperr.Invalid, "monthly income must be between 0 and %d cents", maxMonthlyIncome)
	}
	if f.RequestedLimitMinor < MinCreditLimitMinor || f.RequestedLimitMinor > MaxCreditLimitMinor {
		return f, apperr.New(apperr.Invalid, "the requested limit must be between %d and %d cents", MinCreditLimitMinor, MaxCreditLimitMinor)
	}
	if !f.Consent {
		return f, apperr.New(apperr.Invalid, "you must consent to the credit check (consent: true) to apply")
	}
	return f, nil
}

// ParseCreditDecision decodes and checks a supervisor's decision: approve
// with a limit in range, or decline with a reason.
func ParseCreditDecision(body []byte) (CreditDecision, error) {
	var d CreditDecision
	if err := web.DecodeJSONBytes(body, &d); err != nil {
		return d, err
	}
	if d.Approve == nil {
		return d, apperr.New(apperr.Invalid, "field \"approve\" is required: true or false")
	}
	var err error
	if *d.Approve {
		if d.LimitMinor < MinCreditLimitMinor || d.LimitMinor > MaxCreditLimitMinor {
			return d, apperr.New(apperr.Invalid, "an approved limit must be between %d and %d cents", MinCreditLimitMinor, MaxCreditLimitMinor)
		}
		d.Reason, err = plainText("reason", d.Reason, 0, 300)
		return d, err
	}
	if d.LimitMinor != 0 {
		return d, apperr.New(apperr.Invalid, "a declined application has no limit: leave limitMinor out")
	}
	d.Reason, err = plainText("reason", d.Reason, 1, 300)
	if err != nil {
		return d, apperr.New(apperr.Invalid, "say why the application is declined (reason, up to 300 characters)")
	}
	return d, nil
}

// Credit keeps store credit applications and credit lines.
type Credit struct {
	db       *gorm.DB
	accounts Accounts
	// OnCreditSent, when set, is called after staff sent an application,
	// so the app can tell the member (a signaling notice).
	OnCreditSent func(ctx context.Context, app *CreditApplication)
}

// NewCredit returns the store credit service.
func NewCredit(db *gorm.DB, accounts Accounts) *Credit { return &Credit{db: db, accounts: accounts} }

// staffStore returns the store a staff account works for.
func staffStore(staff *auth.Account) (int64, error) {
	if staff == nil || !staff.Role.IsStaff() || staff.StoreID == nil {
		return 0, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	return *staff.StoreID, nil
}

// SendApplication creates an application of the member accountID at the
// staff member's store. Someone who is not a member is NotFound; a member
// with an application there that is not declined is a Conflict.
func (cr *Credit) SendApplication(ctx context.Context, staff *auth.Account, accountID string) (*CreditApplication, error) {
	store, err := staffStore(staff)
	if err != nil {
		return nil, err
	}
	db := cr.db.WithContext(ctx)
	refs, err := cr.accounts.Refs(ctx, []string{accountID})
	if err != nil {
		return nil, err
	}
	if refs[accountID].Role != auth.RoleMember {
		return nil, apperr.New(apperr.NotFound, "no member %q", accountID)
	}
	now := time.Now().UTC()
	app := &CreditApplication{ID: newID("cred"), StoreID: store, AccountID: accountID, SentBy: staff.ID, State: CreditSent, CreatedAt: now, UpdatedAt: now}
	if err := db.Create(app).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, apperr.New(apperr.Conflict, "this member already has a credit application or credit line at your store")
		}
		return nil, err
	}
	if cr.OnCreditSent != nil {
		cr.OnCreditSent(ctx, app)
	}
	return app, nil
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

// FillApplication stores the member's answers and submits the application,
// which must be waiting for them.
func (cr *Credit) FillApplication(ctx context.Context, accountID, id string, f CreditForm) (*CreditApplication, error) {
	app, err := cr.ApplicationOf(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if app.State != CreditSent {
		return nil, apperr.New(apperr.Conflict, "this application is %s already and cannot be changed", app.State)
	}
	now := time.Now().UTC()
	res := cr.db.WithContext(ctx).Model(&CreditApplication{}).Where("id = ? AND state = ?", app.ID, CreditSent).Updates(map[string]any{
		"state": CreditSubmitted, "full_name": f.FullName, "employer": f.Employer, "monthly_income_minor": *f.MonthlyIncomeMinor,
		"requested_limit_minor": f.RequestedLimitMinor, "consent_at": now, "submitted_at": now, "updated_at": now})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, apperr.New(apperr.Conflict, "the application changed meanwhile: reload it")
	}
	return cr.ApplicationOf(ctx, accountID, id)
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
// supervisor's store; another store's application is NotFound.
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
	now := time.Now().UTC()
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
	err = db.Where("id = ?", app.ID).Take(&app).Error
	return &app, err
}
