package push

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// Routes registers the VAPID key and the signed-in member's subscription
// of the device they are on. The device comes from the session, never from
// the request: nobody subscribes another's device or reads whether it is.
// writes limits subscription changes (per client address).
func (s *Service) Routes(api fiber.Router, writes fiber.Handler) {
	api.Get("/push/key", s.handleKey)
	api.Get("/push/subscription", s.handleStatus)
	api.Put("/push/subscription", writes, s.handleSubscribe)
	api.Delete("/push/subscription", writes, s.handleUnsubscribe)
}

func (s *Service) handleKey(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"publicKey": s.PublicKey()})
}

// mine is the signed-in account and the device its session is bound to.
func mine(c *fiber.Ctx) (accountID, deviceID string, err error) {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return "", "", err
	}
	return a.ID, auth.CurrentDevice(c), nil
}

func (s *Service) handleStatus(c *fiber.Ctx) error {
	account, device, err := mine(c)
	if err != nil {
		return err
	}
	on := false
	if device != "" {
		if on, err = s.Subscribed(c.UserContext(), account, device); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"subscribed": on})
}

func (s *Service) handleSubscribe(c *fiber.Ctx) error {
	account, device, err := mine(c)
	if err != nil {
		return err
	}
	var probe json.RawMessage // the content type and an empty body
	if err := web.DecodeJSON(c, &probe); err != nil {
		return err
	}
	sub, err := ParseSubscription(c.Body(), s.cfg.AllowLocalEndpoints)
	if err != nil {
		return err
	}
	if err := s.Subscribe(c.UserContext(), account, device, sub); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"subscribed": true})
}

func (s *Service) handleUnsubscribe(c *fiber.Ctx) error {
	account, device, err := mine(c)
	if err != nil {
		return err
	}
	if device != "" {
		if _, err := s.Unsubscribe(c.UserContext(), account, device); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"subscribed": false})
}
