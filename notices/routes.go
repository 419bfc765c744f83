package notices

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// SettingsInput is the body of PUT /notices/settings: every choice, each
// said.
type SettingsInput struct {
	MissedCallPush  *bool `json:"missedCallPush"`
	MissedCallEmail *bool `json:"missedCallEmail"`
	MessagePush     *bool `json:"messagePush"`
	MessageEmail    *bool `json:"messageEmail"`
}

// ParseSettings decodes the settings strictly: all four, true or false.
func ParseSettings(body []byte) (Settings, error) {
	var in SettingsInput
	if err := web.DecodeJSONBytes(body, &in); err != nil {
		return Settings{}, err
	}
	for name, v := range map[string]*bool{"missedCallPush": in.MissedCallPush, "missedCallEmail": in.MissedCallEmail, "messagePush": in.MessagePush, "messageEmail": in.MessageEmail} {
		if v == nil {
			return Settings{}, apperr.New(apperr.Invalid, "field %q is required: true or false", name)
		}
	}
	return Settings{MissedCallPush: *in.MissedCallPush, MissedCallEmail: *in.MissedCallEmail, MessagePush: *in.MessagePush, MessageEmail: *in.MessageEmail}, nil
}

// Routes registers the signed-in member's notice settings; writes limits
// changes (per client address).
func (s *Service) Routes(api fiber.Router, writes fiber.Handler) {
	members := auth.RequireRole(auth.RoleMember)
	api.Get("/notices/settings", members, s.handleGet)
	api.Put("/notices/settings", members, writes, s.handlePut)
}

func (s *Service) handleGet(c *fiber.Ctx) error {
	st, err := s.SettingsOf(c.UserContext(), auth.CurrentAccount(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"settings": st})
}

func (s *Service) handlePut(c *fiber.Ctx) error {
	var probe json.RawMessage // the content type and an empty body
	if err := web.DecodeJSON(c, &probe); err != nil {
		return err
	}
	st, err := ParseSettings(c.Body())
	if err != nil {
		return err
	}
	st.AccountID = auth.CurrentAccount(c).ID
	if err := s.Save(c.UserContext(), st); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"settings": st})
}
