package agentdesk

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Routes registers the supervisors' steps into calls on api (the /api/v1
// group): POST /desk/calls/{entry}/supervise {mode, connId} steps in or
// changes mode, DELETE steps out. Only a store's supervisors may, in
// their own store's calls; the store comes from their account, never from
// the request.
func (s *Supervision) Routes(api fiber.Router) {
	sup := auth.RequireRole(auth.RoleSupervisor)
	api.Post("/desk/calls/:entry/supervise", sup, s.handleSupervise)
	api.Delete("/desk/calls/:entry/supervise", sup, s.handleStop)
}

// superviseRequest is the body of POST /desk/calls/{entry}/supervise.
type superviseRequest struct {
	Mode string `json:"mode" required:"true"`
	// ConnID is the desk's signaling connection, as its hello names it:
	// the call's media and signaling reach the supervisor there.
	ConnID string `json:"connId" required:"true"`
}

func (s *Supervision) handleSupervise(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req superviseRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.Supervise(c.UserContext(), a, c.Params("entry"), req.Mode, req.ConnID)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Supervision) handleStop(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	if err := s.Stop(c.UserContext(), a, c.Params("entry")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
