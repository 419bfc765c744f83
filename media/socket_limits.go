package media

import (
	"context"

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

// keepSocket keeps the socket's slot (nil: none was taken) while the
// connection lives and releases it when it closes.
func keepSocket(ctx context.Context, lease *limits.Lease) {
	if lease != nil {
		go lease.Keep(ctx)
	}
}
