package mall

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Closing serves what closes an order beyond the cart: age checks by
// staff, passkey signatures by members and store credit.
type Closing struct {
	Shop       *Shop
	AgeChecks  *AgeChecks
	Signatures *Signatures
	Credit     *Credit
}

// NewClosing builds the age check, signing and credit services over the
// shop's database; passkeys come from a, members' roles from accounts,
// live video from witness.
func NewClosing(shop *Shop, a *auth.Service, accounts Accounts, witness Witness) *Closing {
	db := shop.Orders.db
	return &Closing{Shop: shop, AgeChecks: NewAgeChecks(db, accounts, witness), Signatures: NewSignatures(db, a), Credit: NewCredit(db, accounts)}
}

// Routes registers the age check, signing and credit endpoints on api.
func (h *Closing) Routes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Post("/desk/orders/:id/age-check", staff, h.handleAgeCheck)
	api.Post("/orders/:id/sign/begin", h.handleSignBegin)
	api.Post("/orders/:id/sign/finish", h.handleSignFinish)
	api.Post("/desk/credit-applications", staff, h.handleSendCredit)
	api.Get("/desk/credit-applications", staff, h.handleStoreCredit)
	api.Post("/desk/credit-applications/:id/decision", staff, h.handleDecideCredit)
	api.Get("/credit-applications", h.handleMyCredit)
	api.Get("/credit-applications/:id", h.handleMyCreditOne)
	api.Put("/credit-applications/:id", h.handleFillCredit)
}

// AgeCheckRequest is the body of POST /desk/orders/{id}/age-check.
type AgeCheckRequest struct {
	// VideoConfirmed is the agent's word that they saw the shopper on live
	// video, camera on and avatar off.
	VideoConfirmed *bool `json:"videoConfirmed"`
}

// ParseAgeCheckRequest decodes the age check body strictly.
func ParseAgeCheckRequest(body []byte) (bool, error) {
	var r AgeCheckRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return false, err
	}
	if r.VideoConfirmed == nil {
		return false, apperr.New(apperr.Invalid, "field \"videoConfirmed\" is required: true once you saw the shopper on live video")
	}
	return *r.VideoConfirmed, nil
}

// SignFinishRequest is the body of POST /orders/{id}/sign/finish.
type SignFinishRequest struct {
	Ceremony   string          `json:"ceremony" required:"true"`
	Credential json.RawMessage `json:"credential" required:"true"`
}

// ParseSignFinishRequest decodes the finish body strictly; the credential
// must be a JSON object (the browser's PublicKeyCredential.toJSON()).
func ParseSignFinishRequest(body []byte) (SignFinishRequest, error) {
	var r SignFinishRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return r, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(r.Credential, &obj); err != nil || obj == nil {
		return r, apperr.New(apperr.Invalid, "field \"credential\" must be the passkey's answer, a JSON object")
	}
	return r, nil
}

// payRequest is the optional body of POST /orders/{id}/pay.
type payRequest struct {
	Method string `json:"method"`
}

// ParsePayMethod reads the optional payment method of POST
// /orders/{id}/pay: none (or the provider's name) pays through the
// provider, "credit" with store credit.
func ParsePayMethod(body []byte, provider string) (string, error) {
	var r payRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return "", err
	}
	switch r.Method {
	case "", provider:
		return provider, nil
	case "credit":
		return StoreCreditProvider, nil
	}
	return "", apperr.New(apperr.Invalid, "payment method %q is not offered: send \"credit\" for store credit, or leave it out", r.Method)
}

// ageCheckView answers an age check.
type ageCheckView struct {
	Verified bool       `json:"verified"`
	Reason   string     `json:"reason,omitempty"`
	Order    *OrderView `json:"order"`
}

func (h *Closing) handleAgeCheck(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	video, err := ParseAgeCheckRequest(c.Body())
	if err != nil {
		return err
	}
	out, err := h.AgeChecks.CheckAge(c.UserContext(), auth.CurrentAccount(c), c.Params("id"), video)
	if err != nil {
		return err
	}
	v, err := h.Shop.Orders.View(c.UserContext(), out.Order)
	if err != nil {
		return err
	}
	return c.JSON(ageCheckView{Verified: out.Verified, Reason: out.Reason, Order: v})
}

// decodeBody checks the content type of a JSON body and returns it.
func decodeBody(c *fiber.Ctx) ([]byte, error) {
	var probe json.RawMessage
	if err := web.DecodeJSON(c, &probe); err != nil {
		return nil, err
	}
	return c.Body(), nil
}

// signer loads the member's order for signing; a guest's order is refused.
func (h *Closing) signer(c *fiber.Ctx) (Shopper, *Order, error) {
	s, o, err := h.Shop.ownOrder(c)
	if err != nil {
		return s, nil, err
	}
	if s.AccountID == "" {
		return s, nil, apperr.New(apperr.Conflict, "only members can sign orders with a passkey: sign up first")
	}
	return s, o, nil
}

func (h *Closing) handleSignBegin(c *fiber.Ctx) error {
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &struct{}{}); err != nil {
			return err
		}
	}
	s, o, err := h.signer(c)
	if err != nil {
		return err
	}
	b, err := h.Signatures.BeginSigning(c.UserContext(), s.AccountID, o)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Closing) handleSignFinish(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	req, err := ParseSignFinishRequest(c.Body())
	if err != nil {
		return err
	}
	s, o, err := h.signer(c)
	if err != nil {
		return err
	}
	signed, err := h.Signatures.FinishSigning(c.UserContext(), s.AccountID, o.ID, req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	v, err := h.Shop.Orders.View(c.UserContext(), signed)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"order": v})
}

// CreditView is a credit application as its applicant and the store's
// supervisors see it.
type CreditView struct {
	ID                  string      `json:"id"`
	Store               StoreRef    `json:"store"`
	State               CreditState `json:"state"`
	Applicant           *Applicant  `json:"applicant,omitempty"`
	FullName            string      `json:"fullName"`
	Employer            string      `json:"employer"`
	MonthlyIncomeMinor  int64       `json:"monthlyIncomeMinor"`
	RequestedLimitMinor int64       `json:"requestedLimitMinor"`
	LimitMinor          int64       `json:"limitMinor"`
	UsedMinor           int64       `json:"usedMinor"`
	RemainingMinor      int64       `json:"remainingMinor"`
	Currency            string      `json:"currency"`
	DecisionReason      string      `json:"decisionReason"`
	CreatedAt           time.Time   `json:"createdAt"`
	SubmittedAt         *time.Time  `json:"submittedAt"`
	DecidedAt           *time.Time  `json:"decidedAt"`
}

// Applicant names the member who applies, for the store's supervisors.
type Applicant struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// creditSentView is what the sender of an application sees: not its data.
type creditSentView struct {
	ID        string      `json:"id"`
	Store     StoreRef    `json:"store"`
	State     CreditState `json:"state"`
	CreatedAt time.Time   `json:"createdAt"`
}

// storeRefs returns the slugs and names of stores by id.
func (h *Closing) storeRefs(c *fiber.Ctx, apps []CreditApplication) (map[int64]StoreRef, error) {
	ids := []int64{}
	for _, a := range apps {
		ids = append(ids, a.StoreID)
	}
	var stores []Store
	if err := h.Shop.Orders.db.WithContext(c.UserContext()).Where("id IN ?", ids).Find(&stores).Error; err != nil {
		return nil, err
	}
	out := map[int64]StoreRef{}
	for _, s := range stores {
		out[s.ID] = StoreRef{Slug: s.Slug, Name: s.Name}
	}
	return out, nil
}

// creditViews returns the views of apps, with the applicants when
// withApplicant is set.
func (h *Closing) creditViews(c *fiber.Ctx, apps []CreditApplication, withApplicant bool) ([]CreditView, error) {
	stores, err := h.storeRefs(c, apps)
	if err != nil {
		return nil, err
	}
	people := map[string]*Applicant{}
	if withApplicant && len(apps) > 0 {
		ids := make([]string, 0, len(apps))
		for _, a := range apps {
			ids = append(ids, a.AccountID)
		}
		refs, err := h.Credit.accounts.Refs(c.UserContext(), ids)
		if err != nil {
			return nil, err
		}
		for id, a := range refs {
			people[id] = &Applicant{Name: a.Name, Email: a.Email}
		}
	}
	out := make([]CreditView, 0, len(apps))
	for _, a := range apps {
		v := CreditView{ID: a.ID, Store: stores[a.StoreID], State: a.State, Applicant: people[a.AccountID], FullName: a.FullName,
			Employer: a.Employer, MonthlyIncomeMinor: a.MonthlyIncomeMinor, RequestedLimitMinor: a.RequestedLimitMinor,
			LimitMinor: a.LimitMinor, UsedMinor: a.UsedMinor, Currency: Currency, DecisionReason: a.DecisionReason,
			CreatedAt: a.CreatedAt, SubmittedAt: a.SubmittedAt, DecidedAt: a.DecidedAt}
		if a.State == CreditApproved {
			v.RemainingMinor = a.LimitMinor - a.UsedMinor
		}
		out = append(out, v)
	}
	return out, nil
}

// sendCredits answers {"applications": [...]} with the views of apps
// (see creditViews).
func (h *Closing) sendCredits(c *fiber.Ctx, apps []CreditApplication, withApplicant bool) error {
	out, err := h.creditViews(c, apps, withApplicant)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"applications": out})
}

// sendCredit answers {"application": ...} with the view of app.
func (h *Closing) sendCredit(c *fiber.Ctx, app *CreditApplication, withApplicant bool) error {
	out, err := h.creditViews(c, []CreditApplication{*app}, withApplicant)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"application": out[0]})
}

// sendCreditRequest is the body of POST /desk/credit-applications.
type sendCreditRequest struct {
	AccountID string `json:"accountId" required:"true"`
}

func (h *Closing) handleSendCredit(c *fiber.Ctx) error {
	var req sendCreditRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	app, err := h.Credit.SendApplication(c.UserContext(), auth.CurrentAccount(c), req.AccountID)
	if err != nil {
		return err
	}
	stores, err := h.storeRefs(c, []CreditApplication{*app})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"application": creditSentView{ID: app.ID, Store: stores[app.StoreID], State: app.State, CreatedAt: app.CreatedAt}})
}

func (h *Closing) handleStoreCredit(c *fiber.Ctx) error {
	apps, err := h.Credit.StoreApplications(c.UserContext(), auth.CurrentAccount(c))
	if err != nil {
		return err
	}
	return h.sendCredits(c, apps, true)
}

func (h *Closing) handleDecideCredit(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	d, err := ParseCreditDecision(c.Body())
	if err != nil {
		return err
	}
	app, err := h.Credit.Decide(c.UserContext(), auth.CurrentAccount(c), c.Params("id"), d)
	if err != nil {
		return err
	}
	return h.sendCredit(c, app, true)
}

func (h *Closing) handleMyCredit(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	apps, err := h.Credit.ApplicationsOf(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	return h.sendCredits(c, apps, false)
}

func (h *Closing) handleMyCreditOne(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	app, err := h.Credit.ApplicationOf(c.UserContext(), a.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return h.sendCredit(c, app, false)
}

func (h *Closing) handleFillCredit(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	if _, err := decodeBody(c); err != nil {
		return err
	}
	f, err := ParseCreditForm(c.Body())
	if err != nil {
		return err
	}
	app, err := h.Credit.FillApplication(c.UserContext(), a.ID, c.Params("id"), f)
	if err != nil {
		return err
	}
	return h.sendCredit(c, app, false)
}
