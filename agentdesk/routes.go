package agentdesk

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Routes registers the desk's endpoints on api (the /api/v1 group).
// publicURL is the base of enrollment links that admins receive.
func (s *Staff) Routes(api fiber.Router, publicURL string) {
	api.Get("/desk/store", auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor), s.handleDeskStore)
	api.Get("/desk/team", auth.RequireRole(auth.RoleSupervisor), s.handleTeam)
	api.Post("/admin/staff", auth.RequireRole(auth.RoleAdmin), func(c *fiber.Ctx) error { return s.handleAddStaff(c, publicURL) })
}

// staffView is a colleague as the desk shows them.
type staffView struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Role  auth.Role `json:"role"`
}

// handleDeskStore answers the signed-in staff member's own store. The store
// comes from their account, never from the request, so nobody can look at
// another store's desk.
func (s *Staff) handleDeskStore(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var store struct {
		Slug       string `json:"slug"`
		Name       string `json:"name"`
		BrandColor string `json:"brandColor"`
	}
	v, err := s.auth.View(c, a)
	if err != nil {
		return err
	}
	if v.Store == nil {
		return apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	st, err := s.catalog.StoreBySlug(c.UserContext(), v.Store.Slug)
	if err != nil {
		return err
	}
	store.Slug, store.Name, store.BrandColor = st.Slug, st.Name, st.BrandColor
	return c.JSON(fiber.Map{"store": store, "role": a.Role})
}

// handleTeam lists the supervisor's own store's staff.
func (s *Staff) handleTeam(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	accounts, err := s.auth.ListAccounts(c.UserContext(), auth.AccountFilter{StoreID: a.StoreID})
	if err != nil {
		return err
	}
	out := make([]staffView, 0, len(accounts))
	for _, m := range accounts {
		out = append(out, staffView{ID: m.ID, Name: m.Name, Email: m.Email, Role: m.Role})
	}
	return c.JSON(fiber.Map{"team": out})
}

// addStaffRequest is the body of POST /admin/staff.
type addStaffRequest struct {
	Store      string `json:"store" required:"true"`
	Email      string `json:"email" required:"true"`
	Name       string `json:"name"`
	Supervisor bool   `json:"supervisor"`
}

func (s *Staff) handleAddStaff(c *fiber.Ctx, publicURL string) error {
	var req addStaffRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	added, err := s.AddStaffMember(c.UserContext(), NewStaffMember{StoreSlug: req.Store, Email: req.Email, Name: req.Name, Supervisor: req.Supervisor})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"account":        staffView{ID: added.Account.ID, Name: added.Account.Name, Email: added.Account.Email, Role: added.Account.Role},
		"enrollmentLink": auth.EnrollmentLink(publicURL, added.Account.Role, added.EnrollmentToken),
	})
}

// staffAccount returns the signed-in staff member; an account without a
// store is refused rather than treated as "any store".
func staffAccount(c *fiber.Ctx) (*auth.Account, error) {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return nil, err
	}
	if a.StoreID == nil {
		return nil, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	return a, nil
}
