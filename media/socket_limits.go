package media

import (
	"context"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/limits"
)

// holdSocket takes one of the account's (or the guest's) socket slots
// before the upgrade, so that a refusal is a plain 429 with Retry-After.
// The slot lapses on its own (limits.LeaseTTL) unless serve keeps it.
func (s *Signaling) holdSocket(c *fiber.Ctx, accountID, guest string) error {
	if s.Limits == nil {
		return nil
	}
	rule, key := s.Limits.Rules.AccountSockets, "a:"+accountID
	if accountID == "" {
		rule, key = s.Limits.Rules.GuestSockets, "g:"+guest
	}
	lease, err := s.Limits.Hold(c.UserContext(), rule, key)
	if err != nil {
		return err
	}
	c.Locals("ws.lease", lease)
	return nil
}

// keepSocket keeps the socket's slot while the connection lives and
// releases it when it closes.
func keepSocket(ctx context.Context, ws *websocket.Conn) {
	if lease, ok := ws.Locals("ws.lease").(*limits.Lease); ok {
		go lease.Keep(ctx)
	}
}
