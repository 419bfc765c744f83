package mall

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Order is a shopper's order; its lines and totals are copies taken when
// it was placed.
type Order struct {
	ID                string     `gorm:"column:id;primaryKey"`
	StoreID           int64      `gorm:"column:store_id"`
	AccountID         *string    `gorm:"column:account_id"`
	GuestHash         *string    `gorm:"column:guest_hash"`
	State             OrderState `gorm:"column:state"`
	SubtotalMinor     int64      `gorm:"column:subtotal_minor"`
	TaxMinor          int64      `gorm:"column:tax_minor"`
	TotalMinor        int64      `gorm:"column:total_minor"`
	Currency          string     `gorm:"column:currency"`
	NeedsVerification bool       `gorm:"column:needs_verification"`
	NeedsSignature    bool       `gorm:"column:needs_signature"` // the shopper's passkey must sign it before payment
	PaymentProvider   *string    `gorm:"column:payment_provider"`
	TestPayment       bool       `gorm:"column:test_payment"`
	StockReserved     bool       `gorm:"column:stock_reserved"`
	CreatedAt         time.Time  `gorm:"column:created_at"`
	UpdatedAt         time.Time  `gorm:"column:updated_at"`
}

// TableName tells GORM where orders live.
func (Order) TableName() string { return "orders" }

// OrderLine is one product of an order.
type OrderLine struct {
	OrderID        string `gorm:"column:order_id;primaryKey"`
	ProductID      int64  `gorm:"column:product_id;primaryKey"`
	SKU            string `gorm:"column:sku"`
	Name           string `gorm:"column:name"`
	UnitPriceMinor int64  `gorm:"column:unit_price_minor"`
	Quantity       int    `gorm:"column:quantity"`
	AgeLimit       int    `gorm:"column:age_limit"`
	// SuggestedBy is the agent who suggested the line into the cart.
	SuggestedBy *string `gorm:"column:suggested_by"`
}

// TableName tells GORM where order lines live.
func (OrderLine) TableName() string { return "order_lines" }

// Orders places orders and takes their payments.
type Orders struct {
	db       *gorm.DB
	carts    *Carts
	provider PaymentProvider
	hold     time.Duration // how long an unconfirmed payment holds its stock
	agents   WithAgent     // nil: nobody shops with an agent
}

// WithAgent is what checkout needs from the contact center, which owns the
// engagements (agentdesk.Engagements implements it).
type WithAgent interface {
	// InEngagement reports whether the member shops with an agent now: the
	// order must then be signed with their passkey before payment.
	// Age-restricted orders always must; guests cannot sign, so it is not
	// asked for them.
	InEngagement(ctx context.Context, s Shopper) bool
}

// HelpedBy names the agents who served the call an order came from, in
// the order they served it ("Helped by Maria, then Sam"); nil when it
// came from no call. The contact center owns the engagements
// (agentdesk.Engagements implements it); Orders asks it when its
// WithAgent does.
type HelpedBy interface {
	HelpedBy(ctx context.Context, o *Order) []string
}

// DefaultPaymentHold is how long an unconfirmed payment holds its stock
// when NewOrders is given no hold.
const DefaultPaymentHold = 15 * time.Minute

// NewOrders returns the order service paying through provider. An
// unconfirmed payment holds its order's stock for hold (0 means
// DefaultPaymentHold); SweepHolds ends the holds. agents, when not nil,
// tells which members shop with an agent.
func NewOrders(db *gorm.DB, carts *Carts, provider PaymentProvider, hold time.Duration, agents WithAgent) *Orders {
	if hold <= 0 {
		hold = DefaultPaymentHold
	}
	return &Orders{db: db, carts: carts, provider: provider, hold: hold, agents: agents}
}

// Provider is the payment provider orders are paid with.
func (os *Orders) Provider() PaymentProvider { return os.provider }

// actorOf names the shopper in order events.
func actorOf(s Shopper) string {
	if s.AccountID != "" {
		return "member:" + s.AccountID
	}
	return "guest"
}

// Checkout turns the shopper's cart into an order, in one transaction: the
// lines and totals are taken from the catalog now, the cart is emptied. An
// order with an age-restricted product awaits verification.
func (os *Orders) Checkout(ctx context.Context, s Shopper) (*Order, error) {
	var order *Order
	var cartID string
	withAgent := s.AccountID != "" && os.agents != nil && os.agents.InEngagement(ctx, s)
	err := os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := cartOf(tx, s, false)
		if err != nil {
			return err
		}
		if c == nil || c.StoreID == nil {
			return apperr.New(apperr.Conflict, "your cart is empty")
		}
		cartID = c.ID
		var store Store
		if err := tx.Where("id = ?", *c.StoreID).Take(&store).Error; err != nil {
			return err
		}
		var rows []struct {
			Product
			Quantity    int
			SuggestedBy *string
		}
		if err := tx.Table("cart_items AS i").Select("p.*, i.quantity, i.suggested_by").Joins("JOIN products p ON p.id = i.product_id").
			Where("i.cart_id = ?", c.ID).Order("p.sku").Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return apperr.New(apperr.Conflict, "your cart is empty")
		}
		now := time.Now().UTC()
		o := &Order{ID: newID("ord"), StoreID: store.ID, State: OrderDraft, Currency: Currency, CreatedAt: now, UpdatedAt: now}
		if s.AccountID != "" {
			o.AccountID = &s.AccountID
		} else {
			o.GuestHash = &s.GuestHash
		}
		var lines []OrderLine
		var subtotal int64
		for _, r := range rows {
			if !r.OnSale() {
				return apperr.New(apperr.Conflict, "%s is no longer sold: remove it from your cart", r.Name)
			}
			if r.AgeLimit > 0 {
				o.NeedsVerification = true
			}
			subtotal += r.PriceMinor * int64(r.Quantity)
			lines = append(lines, OrderLine{OrderID: o.ID, ProductID: r.ID, SKU: r.SKU, Name: r.Name, UnitPriceMinor: r.PriceMinor, Quantity: r.Quantity, AgeLimit: r.AgeLimit, SuggestedBy: r.SuggestedBy})
		}
		o.NeedsSignature = o.NeedsVerification || withAgent
		t := computeTotals(subtotal, store.TaxRateBP)
		o.SubtotalMinor, o.TaxMinor, o.TotalMinor = t.SubtotalMinor, t.TaxMinor, t.TotalMinor
		if err := tx.Create(o).Error; err != nil {
			return err
		}
		if err := tx.Create(&lines).Error; err != nil {
			return err
		}
		if err := tx.Create(&OrderEvent{OrderID: o.ID, ToState: OrderDraft, Actor: actorOf(s), Reason: "checked out the cart", At: now}).Error; err != nil {
			return err
		}
		if o.NeedsVerification {
			if err := move(tx, o, OrderAwaitingVerification, "system", "holds age-restricted products"); err != nil {
				return err
			}
		}
		if err := tx.Where("cart_id = ?", c.ID).Delete(&CartItem{}).Error; err != nil {
			return err
		}
		order = o
		return tx.Model(&Cart{}).Where("id = ?", c.ID).Updates(map[string]any{"store_id": nil, "version": gorm.Expr("version + 1"), "updated_at": now}).Error
	})
	if err != nil {
		return nil, err
	}
	if v, err := os.carts.View(ctx, s); err == nil {
		os.carts.publish(cartID, v)
	}
	return order, nil
}

// OrderOf returns the shopper's order, or NotFound: another shopper's order
// is indistinguishable from none.
func (os *Orders) OrderOf(ctx context.Context, s Shopper, id string) (*Order, error) {
	var o Order
	err := s.where(os.db.WithContext(ctx)).Where("id = ?", id).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no order %q of yours", id)
	}
	return &o, err
}

// ListOrders returns the shopper's orders, newest first.
func (os *Orders) ListOrders(ctx context.Context, s Shopper) ([]Order, error) {
	var out []Order
	err := s.where(os.db.WithContext(ctx)).Order("created_at DESC").Limit(100).Find(&out).Error
	return out, err
}

// ListStoreOrders returns a store's orders, newest first, for its staff.
func (os *Orders) ListStoreOrders(ctx context.Context, storeID int64) ([]Order, error) {
	var out []Order
	err := os.db.WithContext(ctx).Where("store_id = ?", storeID).Order("created_at DESC").Limit(200).Find(&out).Error
	return out, err
}

// Abandon gives up an order that is not paid yet. A payment under way is
// canceled at the provider first (its stock released); one that turns out
// to have succeeded meanwhile pays the order instead, and the order is not
// abandoned.
func (os *Orders) Abandon(ctx context.Context, s Shopper, id string) (*Order, error) {
	o, err := os.OrderOf(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if err := os.reconcile(ctx, o); err != nil {
		return nil, err
	}
	att, err := os.openAttempt(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if att != nil {
		st, err := os.cancelAttempt(ctx, att, actorOf(s), "abandoned by the shopper")
		if err != nil {
			return nil, err
		}
		if st.Status == PaymentSucceeded {
			return nil, apperr.New(apperr.Conflict, "this order was paid meanwhile and cannot be abandoned")
		}
	}
	if o, err = os.OrderOf(ctx, s, id); err != nil {
		return nil, err
	}
	err = os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if o.StockReserved {
			return apperr.New(apperr.Conflict, "a payment for this order is under way")
		}
		return move(tx, o, OrderAbandoned, actorOf(s), "abandoned by the shopper")
	})
	return o, err
}

// Move applies a state change on behalf of staff or the system (age
// verification, signatures); it is one transaction with its event.
func (os *Orders) Move(ctx context.Context, id string, to OrderState, actor, reason string) (*Order, error) {
	var o Order
	err := os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.New(apperr.NotFound, "no order %q", id)
			}
			return err
		}
		return move(tx, &o, to, actor, reason)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// linesOf returns an order's lines.
func (os *Orders) linesOf(ctx context.Context, id string) ([]OrderLine, error) {
	var lines []OrderLine
	err := os.db.WithContext(ctx).Where("order_id = ?", id).Order("sku").Find(&lines).Error
	return lines, err
}

// eventsOf returns an order's history, oldest first.
func (os *Orders) eventsOf(ctx context.Context, id string) ([]OrderEvent, error) {
	var evs []OrderEvent
	err := os.db.WithContext(ctx).Where("order_id = ?", id).Order("id").Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("load order events: %w", err)
	}
	return evs, nil
}
