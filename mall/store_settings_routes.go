package mall

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// Routes registers GET and PUT /desk/store-settings on api (the /api/v1
// group): a supervisor reads and saves their own store's settings. The
// store is the one of the signed-in account, never one the request names;
// agents and members are refused by role.
func (s *Settings) Routes(api fiber.Router) {
	supervisor := auth.RequireRole(auth.RoleSupervisor)
	api.Get("/desk/store-settings", supervisor, s.handleShow)
	api.Put("/desk/store-settings", supervisor, s.handleSave)
}

// ownStoreID returns the signed-in supervisor's store.
func ownStoreID(c *fiber.Ctx) (int64, *auth.Account, error) {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return 0, nil, err
	}
	if a.StoreID == nil {
		return 0, nil, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	return *a.StoreID, a, nil
}

func (s *Settings) handleShow(c *fiber.Ctx) error {
	id, _, err := ownStoreID(c)
	if err != nil {
		return err
	}
	v, err := s.SettingsOf(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}

func (s *Settings) handleSave(c *fiber.Ctx) error {
	id, a, err := ownStoreID(c)
	if err != nil {
		return err
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), fiber.MIMEApplicationJSON) {
		return apperr.New(apperr.Invalid, "content type %q is not supported: send application/json", ct)
	}
	in, err := ParseStoreSettings(c.Body())
	if err != nil {
		return err
	}
	// Counted once a save would reach the database: a refused body writes
	// nothing and costs little.
	if err := s.limits.Take(c.UserContext(), s.rule, "account:"+a.ID); err != nil {
		return err
	}
	v, err := s.SaveSettings(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}
