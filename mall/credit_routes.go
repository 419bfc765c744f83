package mall

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// creditRoutes registers the store credit endpoints: the agent sends an
// application in a call, follows it and submits it; the member fills it in,
// reports progress and signs it; supervisors decide.
func (h *Closing) creditRoutes(api fiber.Router, staff fiber.Handler) {
	api.Post("/desk/credit-applications", staff, h.handleSendCredit)
	api.Get("/desk/credit-applications", staff, h.handleStoreCredit)
	api.Post("/desk/credit-applications/:id/decision", staff, h.handleDecideCredit)
	api.Post("/desk/credit-applications/:id/submit", staff, h.handleSubmitCredit)
	api.Get("/desk/engagement-credit/:entryId", staff, h.handleEngagementCredit)
	api.Get("/credit-applications", h.handleMyCredit)
	api.Get("/credit-applications/:id", h.handleMyCreditOne)
	api.Put("/credit-applications/:id", h.handleFillCredit)
	api.Put("/credit-applications/:id/progress", h.handleCreditProgress)
	api.Post("/credit-applications/:id/sign/begin", h.handleCreditSignBegin)
	api.Post("/credit-applications/:id/sign/finish", h.handleCreditSignFinish)
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
	// EntryID is the engagement the application was sent in.
	EntryID string     `json:"entryId"`
	Step    CreditStep `json:"step"`
	Filled  []string   `json:"filled"`
	// Automatic says the store's rules approved it, not a supervisor.
	Automatic bool `json:"automatic"`
}

// Applicant names the member who applies, for the store's supervisors.
type Applicant struct {
	Name  string `json:"name"`
	Email string `json:"email"`
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
			CreatedAt: a.CreatedAt, SubmittedAt: a.SubmittedAt, DecidedAt: a.DecidedAt, EntryID: a.EntryID, Step: a.Step,
			Filled: filledOf(a.Filled), Automatic: a.DecidedAutomatically}
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

// sendCreditRequest is the body of POST /desk/credit-applications: the
// live engagement whose shopper gets the application.
type sendCreditRequest struct {
	EntryID string `json:"entryId" required:"true"`
}

// ParseSendCredit decodes and checks the body of POST
// /desk/credit-applications.
func ParseSendCredit(body []byte) (string, error) {
	var req sendCreditRequest
	if err := web.DecodeJSONBytes(body, &req); err != nil {
		return "", err
	}
	if req.EntryID == "" || len(req.EntryID) > 64 {
		return "", apperr.New(apperr.Invalid, "entryId must name the engagement, up to 64 characters")
	}
	return req.EntryID, nil
}

// sendProgress answers {"application": CreditUpdate}: what the agent sees
// of an application (its progress, not the applicant's answers).
func (h *Closing) sendProgress(c *fiber.Ctx, status int, app *CreditApplication) error {
	return c.Status(status).JSON(fiber.Map{"application": h.Credit.UpdateOf(c.UserContext(), app)})
}

func (h *Closing) handleSendCredit(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	entryID, err := ParseSendCredit(c.Body())
	if err != nil {
		return err
	}
	app, err := h.Credit.SendApplication(c.UserContext(), auth.CurrentAccount(c), entryID)
	if err != nil {
		return err
	}
	return h.sendProgress(c, fiber.StatusCreated, app)
}

func (h *Closing) handleSubmitCredit(c *fiber.Ctx) error {
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &struct{}{}); err != nil {
			return err
		}
	}
	app, err := h.Credit.Submit(c.UserContext(), auth.CurrentAccount(c), c.Params("id"))
	if err != nil {
		return err
	}
	return h.sendProgress(c, fiber.StatusOK, app)
}

func (h *Closing) handleEngagementCredit(c *fiber.Ctx) error {
	app, err := h.Credit.EngagementApplication(c.UserContext(), auth.CurrentAccount(c), c.Params("entryId"))
	if err != nil {
		return err
	}
	return h.sendProgress(c, fiber.StatusOK, app)
}

func (h *Closing) handleCreditProgress(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	if _, err := decodeBody(c); err != nil {
		return err
	}
	filled, err := ParseCreditProgress(c.Body())
	if err != nil {
		return err
	}
	app, err := h.Credit.ReportProgress(c.UserContext(), a.ID, c.Params("id"), filled)
	if err != nil {
		return err
	}
	return h.sendCredit(c, app, false)
}

func (h *Closing) handleCreditSignBegin(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &struct{}{}); err != nil {
			return err
		}
	}
	b, err := h.Credit.BeginSigning(c.UserContext(), a.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Closing) handleCreditSignFinish(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	if _, err := decodeBody(c); err != nil {
		return err
	}
	req, err := ParseSignFinishRequest(c.Body())
	if err != nil {
		return err
	}
	app, err := h.Credit.FinishSigning(c.UserContext(), a.ID, c.Params("id"), req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	return h.sendCredit(c, app, false)
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
