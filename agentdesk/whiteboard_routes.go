package agentdesk

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

// ShopperOf names the shopper of a request (the signed-in member, else the
// mall guest cookie); ok is false when it names nobody. mall.Shop.ShopperOf
// is one.
type ShopperOf func(c *fiber.Ctx) (s mall.Shopper, ok bool)

// Routes registers the boards' read routes: an engagement's board, for its
// shopper, its agent and the store's supervisors; and the board of the
// call an order was placed in, for the order's shopper and the same staff.
func (w *Whiteboard) Routes(api fiber.Router, shopperOf ShopperOf) {
	api.Get("/boards/:entry", func(c *fiber.Ctx) error { return w.handleBoard(c, shopperOf) })
	api.Get("/orders/:id/board", func(c *fiber.Ctx) error { return w.handleOrderBoard(c, shopperOf) })
}

func (w *Whiteboard) handleBoard(c *fiber.Ctx, shopperOf ShopperOf) error {
	e, err := entryOf(w.db.WithContext(c.UserContext()), c.Params("entry"))
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !mayReadBoard(c, e, shopperOf)) {
		return apperr.New(apperr.NotFound, "no whiteboard %q of yours", c.Params("entry"))
	}
	if err != nil {
		return err
	}
	b, err := w.boardOf(c.UserContext(), e)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

// orderRef is what finding an order's engagement needs of the order.
type orderRef struct {
	StoreID   int64
	AccountID *string
	GuestHash *string
	CreatedAt time.Time
}

func (w *Whiteboard) handleOrderBoard(c *fiber.Ctx, shopperOf ShopperOf) error {
	db := w.db.WithContext(c.UserContext())
	p, err := w.catalog.OrderPartyOf(c.UserContext(), c.Params("id"))
	o := orderRef(p)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.New(apperr.NotFound, "no order %q of yours", c.Params("id"))
	}
	if err != nil {
		return err
	}
	// The engagement the order came from: the last answered call of the
	// same shopper with the same store that began before the order.
	q := db.Where("store_id = ? AND answered_at IS NOT NULL AND entered_at <= ?", o.StoreID, o.CreatedAt)
	if o.AccountID != nil {
		q = q.Where("account_id = ?", *o.AccountID)
	} else if o.GuestHash != nil {
		q = q.Where("guest_hash = ?", *o.GuestHash)
	}
	var e QueueEntry
	err = q.Order("entered_at DESC").Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if !mayReadOrder(c, o, shopperOf) {
			return apperr.New(apperr.NotFound, "no order %q of yours", c.Params("id"))
		}
		return apperr.New(apperr.NotFound, "order %s was not placed during a call with the store, so it has no whiteboard", c.Params("id"))
	}
	if err != nil {
		return err
	}
	if !mayReadBoard(c, &e, shopperOf) {
		return apperr.New(apperr.NotFound, "no order %q of yours", c.Params("id"))
	}
	b, err := w.boardOf(c.UserContext(), &e)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

// mayReadBoard says whether the request may see the engagement's board:
// its shopper, its agent, or a supervisor of its store.
func mayReadBoard(c *fiber.Ctx, e *QueueEntry, shopperOf ShopperOf) bool {
	if a := auth.CurrentAccount(c); a != nil && a.StoreID != nil && *a.StoreID == e.StoreID {
		if a.Role == auth.RoleSupervisor || (e.AgentAccountID != nil && *e.AgentAccountID == a.ID) {
			return true
		}
	}
	s, ok := shopperOf(c)
	return ok && sameShopper(s, e.AccountID, e.GuestHash)
}

// mayReadOrder says whether the request is the order's shopper or a
// supervisor of its store.
func mayReadOrder(c *fiber.Ctx, o orderRef, shopperOf ShopperOf) bool {
	if a := auth.CurrentAccount(c); a != nil && a.StoreID != nil && *a.StoreID == o.StoreID && a.Role == auth.RoleSupervisor {
		return true
	}
	s, ok := shopperOf(c)
	return ok && sameShopper(s, o.AccountID, o.GuestHash)
}

func sameShopper(s mall.Shopper, accountID, guestHash *string) bool {
	if s.AccountID != "" {
		return accountID != nil && *accountID == s.AccountID
	}
	return s.GuestHash != "" && guestHash != nil && *guestHash == s.GuestHash
}
