package appointments

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Routes registers the appointments' endpoints on api (the /api/v1 group):
// the public slots and booking of a store, the capability-link endpoints
// (by token), and the desk's list, cancel and working hours (own store
// only; hours for supervisors).
func (s *Service) Routes(api fiber.Router) {
	api.Get("/stores/:slug/appointment-slots", s.handleSlots)
	api.Post("/stores/:slug/appointments", s.handleBook)
	api.Get("/appointments/:token", s.handleShow)
	api.Get("/appointments/:token/calendar.ics", s.handleICS)
	api.Post("/appointments/:token/cancel", s.handleCancel)
	api.Post("/appointments/:token/join", s.handleJoin)
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/desk/appointments", staff, s.handleDeskList)
	api.Post("/desk/appointments/:id/cancel", staff, s.handleDeskCancel)
	api.Get("/desk/appointment-hours", auth.RequireRole(auth.RoleSupervisor), s.handleSchedule)
	api.Put("/desk/appointment-hours", auth.RequireRole(auth.RoleSupervisor), s.handleSetSchedule)
}

func (s *Service) handleSlots(c *fiber.Ctx) error {
	v, err := s.Slots(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// bookRequest is the body of POST /stores/:slug/appointments.
type bookRequest struct {
	Start   string `json:"start" required:"true"` // RFC 3339, one of the listed slots
	Name    string `json:"name" required:"true"`
	Email   string `json:"email" required:"true"`
	Product string `json:"product"` // SKU, optional
}

// ParseStart reads a slot's start as the API takes it: RFC 3339 with a
// zone offset, at most 64 characters. Anything else is apperr.Invalid.
func ParseStart(s string) (time.Time, error) {
	if len(s) > 64 {
		return time.Time{}, apperr.New(apperr.Invalid, "start is not a time like 2026-12-05T14:30:00Z")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, apperr.New(apperr.Invalid, "start %q is not a time like 2026-12-05T14:30:00Z", s)
	}
	return t.UTC(), nil
}

// AppointmentView is an appointment as its link shows it to the shopper.
type AppointmentView struct {
	ID          string    `json:"id"`
	Store       storeView `json:"store"`
	AgentName   string    `json:"agentName"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	ProductSKU  string    `json:"productSku,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	TimeZone    string    `json:"timeZone"`
	Status      string    `json:"status"`
	CancelledBy string    `json:"cancelledBy,omitempty"`
	// JoinFrom is when joining opens (JoinEarly before the start).
	JoinFrom time.Time `json:"joinFrom"`
	// Joinable says whether joining is open now.
	Joinable bool `json:"joinable"`
	// Cancellable says whether the shopper may still cancel.
	Cancellable bool `json:"cancellable"`
}

type storeView struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// view shows a to its shopper.
func (s *Service) view(c *fiber.Ctx, a *Appointment) (*AppointmentView, error) {
	ctx := c.UserContext()
	ref, err := s.stores.StoreRef(ctx, a.StoreID)
	if err != nil {
		return nil, err
	}
	_, loc, err := s.settings(ctx, a.StoreID)
	if err != nil {
		return nil, err
	}
	refs, err := s.accounts.Refs(ctx, []string{a.AgentID})
	if err != nil {
		return nil, err
	}
	now := s.now()
	joinFrom := a.StartsAt.Add(-s.cfg.JoinEarly)
	return &AppointmentView{ID: a.ID, Store: storeView{Slug: ref.Slug, Name: ref.Name}, AgentName: refs[a.AgentID].Name, Name: a.Name, Email: a.Email,
		ProductSKU: a.ProductSKU, Start: a.StartsAt, End: a.EndsAt, TimeZone: loc.String(), Status: a.Status, CancelledBy: a.CancelledBy,
		JoinFrom: joinFrom, Joinable: a.Live() && !now.Before(joinFrom) && now.Before(a.EndsAt),
		Cancellable: a.Status == StatusBooked && now.Before(a.StartsAt)}, nil
}

func (s *Service) handleBook(c *fiber.Ctx) error {
	var req bookRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	start, err := ParseStart(req.Start)
	if err != nil {
		return err
	}
	br := BookRequest{StoreSlug: c.Params("slug"), Start: start, Name: req.Name, Email: req.Email, ProductSKU: req.Product, ClientIP: web.ClientIP(c)}
	if a := auth.CurrentAccount(c); a != nil {
		br.ShopperID = a.ID
	}
	b, err := s.Book(c.UserContext(), br)
	if err != nil {
		return err
	}
	v, err := s.view(c, b.Appointment)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"appointment": v, "token": b.Token, "link": s.Link(b.Token), "calendar": s.ICSLink(b.Token)})
}

func (s *Service) handleShow(c *fiber.Ctx) error {
	a, err := s.ByToken(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.answer(c, a)
}

func (s *Service) answer(c *fiber.Ctx, a *Appointment) error {
	v, err := s.view(c, a)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return c.JSON(fiber.Map{"appointment": v})
}

func (s *Service) handleICS(c *fiber.Ctx) error {
	token := c.Params("token")
	a, err := s.ByToken(c.UserContext(), token)
	if err != nil {
		return err
	}
	store := s.storeName(c.UserContext(), a)
	desc := "Video call with " + store + ". Open this link at the time to join: " + s.Link(token)
	seq := 0
	if !a.Live() {
		seq = 1
	}
	body := ICS(Event{UID: a.ID + "@livemall", Stamp: a.UpdatedAt, Start: a.StartsAt, End: a.EndsAt, Summary: "Video call with " + store,
		Description: desc, URL: s.Link(token), Cancelled: a.Status == StatusCancelled, Sequence: seq})
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="video-call.ics"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

func (s *Service) handleCancel(c *fiber.Ctx) error {
	a, err := s.CancelByShopper(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.answer(c, a)
}

func (s *Service) handleJoin(c *fiber.Ctx) error {
	a, err := s.Join(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.answer(c, a)
}

// deskStore is the signed-in staff member's store; never from the request.
func deskStore(c *fiber.Ctx) (int64, error) {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return 0, err
	}
	if a.StoreID == nil {
		return 0, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	return *a.StoreID, nil
}

func (s *Service) handleDeskList(c *fiber.Ctx) error {
	storeID, err := deskStore(c)
	if err != nil {
		return err
	}
	list, err := s.StoreAppointments(c.UserContext(), storeID, s.now().Add(-12*time.Hour))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"appointments": list})
}

func (s *Service) handleDeskCancel(c *fiber.Ctx) error {
	storeID, err := deskStore(c)
	if err != nil {
		return err
	}
	a, err := s.CancelByStore(c.UserContext(), storeID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"appointment": fiber.Map{"id": a.ID, "status": a.Status}})
}

func (s *Service) handleSchedule(c *fiber.Ctx) error {
	storeID, err := deskStore(c)
	if err != nil {
		return err
	}
	sc, err := s.ScheduleOf(c.UserContext(), storeID)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

// scheduleRequest is the body of PUT /desk/appointment-hours.
type scheduleRequest struct {
	Settings *Settings   `json:"settings" required:"true"`
	Hours    []HoursView `json:"hours"`
}

func (s *Service) handleSetSchedule(c *fiber.Ctx) error {
	storeID, err := deskStore(c)
	if err != nil {
		return err
	}
	var req scheduleRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	sc, err := s.SetSchedule(c.UserContext(), storeID, Schedule{Settings: *req.Settings, Hours: req.Hours})
	if err != nil {
		return err
	}
	return c.JSON(sc)
}
