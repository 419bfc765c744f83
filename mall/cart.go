package mall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
)

// MaxQuantity is the most of one product a cart line may hold.
const MaxQuantity = 99

// Shopper is whoever owns a cart: a signed-in member, or a guest known by
// the hash of their cart cookie. Exactly one field is set.
type Shopper struct {
	AccountID string
	GuestHash string
}

// where restricts a query to the shopper's rows.
func (s Shopper) where(q *gorm.DB) *gorm.DB {
	if s.AccountID != "" {
		return q.Where("account_id = ?", s.AccountID)
	}
	return q.Where("guest_hash = ?", s.GuestHash)
}

// Cart is a shopper's cart; it holds products of one store at a time.
type Cart struct {
	ID        string    `gorm:"column:id;primaryKey"`
	AccountID *string   `gorm:"column:account_id"`
	GuestHash *string   `gorm:"column:guest_hash"`
	StoreID   *int64    `gorm:"column:store_id"`
	Version   int64     `gorm:"column:version"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

// TableName tells GORM where carts live.
func (Cart) TableName() string { return "carts" }

// CartItem is a line of a cart.
type CartItem struct {
	CartID      string  `gorm:"column:cart_id;primaryKey"`
	ProductID   int64   `gorm:"column:product_id;primaryKey"`
	Quantity    int     `gorm:"column:quantity"`
	SuggestedBy *string `gorm:"column:suggested_by"`
	// SuggestReason is what the agent's suggestion says to the shopper.
	SuggestReason *string    `gorm:"column:suggest_reason"`
	AcceptedAt    *time.Time `gorm:"column:accepted_at"`
	AddedAt       time.Time  `gorm:"column:added_at"`
}

// TableName tells GORM where cart lines live.
func (CartItem) TableName() string { return "cart_items" }

// Carts keeps shoppers' carts. Prices and totals always come from the
// catalog; every change is published on NATS for the browsers watching.
type Carts struct {
	db      *gorm.DB
	catalog *Catalog
	bus     *nats.Conn
}

// NewCarts returns the cart service; bus may be nil (no live updates).
func NewCarts(db *gorm.DB, catalog *Catalog, bus *nats.Conn) *Carts {
	return &Carts{db: db, catalog: catalog, bus: bus}
}

// cartSubject carries a cart's snapshots after each change.
func cartSubject(cartID string) string { return "lm.cart." + cartID }

func newID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// cartOf returns the shopper's cart in tx, creating it when create is set;
// nil when there is none and create is false.
func cartOf(tx *gorm.DB, s Shopper, create bool) (*Cart, error) {
	var c Cart
	err := s.where(tx).Take(&c).Error
	if err == nil {
		return &c, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	if !create {
		return nil, nil
	}
	now := time.Now().UTC()
	c = Cart{ID: newID("cart"), CreatedAt: now, UpdatedAt: now}
	if s.AccountID != "" {
		c.AccountID = &s.AccountID
	} else {
		c.GuestHash = &s.GuestHash
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error; err != nil {
		return nil, err
	}
	// A concurrent request may have created it first: read back the one.
	if err := s.where(tx).Take(&c).Error; err != nil {
		return nil, err
	}
	return &c, nil
}

// change runs f on the shopper's cart in one transaction, bumps its version
// and publishes the new snapshot. Any error leaves the cart as it was.
func (cs *Carts) change(ctx context.Context, s Shopper, f func(tx *gorm.DB, c *Cart) error) (*CartView, error) {
	var cartID string
	err := cs.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := cartOf(tx, s, true)
		if err != nil {
			return err
		}
		if err := f(tx, c); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&CartItem{}).Where("cart_id = ?", c.ID).Count(&n).Error; err != nil {
			return err
		}
		updates := map[string]any{"version": gorm.Expr("version + 1"), "updated_at": time.Now().UTC()}
		if n == 0 {
			updates["store_id"] = nil
		}
		cartID = c.ID
		return tx.Model(&Cart{}).Where("id = ?", c.ID).Updates(updates).Error
	})
	if err != nil {
		return nil, err
	}
	v, err := cs.View(ctx, s)
	if err != nil {
		return nil, err
	}
	cs.publish(cartID, v)
	return v, nil
}

// publish sends a cart snapshot to the browsers watching it.
func (cs *Carts) publish(cartID string, v *CartView) {
	if cs.bus == nil {
		return
	}
	raw, err := json.Marshal(v)
	if err == nil {
		err = cs.bus.Publish(cartSubject(cartID), raw)
	}
	if err != nil {
		slog.Warn("publish cart", "cart", cartID, "err", err)
	}
}

// checkQuantity refuses quantities outside 1–MaxQuantity.
func checkQuantity(q int) error {
	if q < 1 || q > MaxQuantity {
		return apperr.New(apperr.Invalid, "quantity must be between 1 and %d, not %d", MaxQuantity, q)
	}
	return nil
}

// productFor finds a product on sale by store slug and SKU.
func (cs *Carts) productFor(ctx context.Context, storeSlug, sku string) (*Store, *Product, error) {
	slug, err := ParseSlug(storeSlug)
	if err != nil {
		return nil, nil, err
	}
	if sku, err = ParseSKU(sku); err != nil {
		return nil, nil, err
	}
	st, err := cs.catalog.StoreBySlug(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	p, err := cs.catalog.ProductBySKU(ctx, st, sku)
	if err != nil {
		return nil, nil, err
	}
	if !p.OnSale() {
		return nil, nil, apperr.New(apperr.Conflict, "%s is no longer sold", p.Name)
	}
	return st, p, nil
}

// AddItem adds quantity of a product to the shopper's cart (on top of what
// is there). A product of another store than the cart's, a retired product
// or more than the stock is refused and the cart stays as it was.
func (cs *Carts) AddItem(ctx context.Context, s Shopper, storeSlug, sku string, quantity int, suggestedBy *string) (*CartView, error) {
	return cs.addItem(ctx, s, storeSlug, sku, quantity, suggestedBy, nil)
}

// Suggest puts a product an agent suggests into the shopper's cart, with
// the reason the shopper sees; the shopper accepts or removes it.
func (cs *Carts) Suggest(ctx context.Context, s Shopper, storeSlug, sku string, quantity int, agentID, reason string) (*CartView, error) {
	if len(reason) > 300 {
		return nil, apperr.New(apperr.Invalid, "the reason has %d characters: keep it under 300", len(reason))
	}
	return cs.addItem(ctx, s, storeSlug, sku, quantity, &agentID, &reason)
}

// AcceptSuggestion records that the shopper keeps an item an agent
// suggested.
func (cs *Carts) AcceptSuggestion(ctx context.Context, s Shopper, storeSlug, sku string) (*CartView, error) {
	_, p, err := cs.productFor(ctx, storeSlug, sku)
	if err != nil {
		return nil, err
	}
	return cs.change(ctx, s, func(tx *gorm.DB, c *Cart) error {
		res := tx.Model(&CartItem{}).Where("cart_id = ? AND product_id = ? AND suggested_by IS NOT NULL", c.ID, p.ID).Update("accepted_at", time.Now().UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.NotFound, "no suggestion of %s in your cart", p.Name)
		}
		return nil
	})
}

func (cs *Carts) addItem(ctx context.Context, s Shopper, storeSlug, sku string, quantity int, suggestedBy, reason *string) (*CartView, error) {
	if err := checkQuantity(quantity); err != nil {
		return nil, err
	}
	st, p, err := cs.productFor(ctx, storeSlug, sku)
	if err != nil {
		return nil, err
	}
	return cs.change(ctx, s, func(tx *gorm.DB, c *Cart) error {
		if c.StoreID != nil && *c.StoreID != st.ID {
			var other Store
			tx.Where("id = ?", *c.StoreID).Take(&other)
			return apperr.New(apperr.Conflict, "your cart holds items from %s: check out or empty it before shopping at %s", other.Name, st.Name)
		}
		if err := refusedAgeHolds(tx, s, st, p); err != nil {
			return err
		}
		var item CartItem
		err := tx.Where("cart_id = ? AND product_id = ?", c.ID, p.ID).Take(&item).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		total := item.Quantity + quantity
		if total > MaxQuantity {
			return apperr.New(apperr.Invalid, "at most %d of one product per order; your cart has %d", MaxQuantity, item.Quantity)
		}
		if total > p.Stock {
			return stockError(p, item.Quantity)
		}
		if err := tx.Model(&Cart{}).Where("id = ?", c.ID).Update("store_id", st.ID).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "cart_id"}, {Name: "product_id"}},
			DoUpdates: clause.Assignments(map[string]any{"quantity": total}),
		}).Create(&CartItem{CartID: c.ID, ProductID: p.ID, Quantity: total, SuggestedBy: suggestedBy, SuggestReason: reason, AddedAt: time.Now().UTC()}).Error
	})
}

// stockError says how many are left.
func stockError(p *Product, inCart int) error {
	if p.Stock == 0 {
		return apperr.New(apperr.Conflict, "%s is sold out", p.Name)
	}
	return apperr.New(apperr.Conflict, "only %d of %s left (your cart has %d)", p.Stock, p.Name, inCart)
}

// SetQuantity sets a line's quantity.
func (cs *Carts) SetQuantity(ctx context.Context, s Shopper, storeSlug, sku string, quantity int) (*CartView, error) {
	if err := checkQuantity(quantity); err != nil {
		return nil, err
	}
	_, p, err := cs.productFor(ctx, storeSlug, sku)
	if err != nil {
		return nil, err
	}
	if quantity > p.Stock {
		return nil, stockError(p, 0)
	}
	return cs.change(ctx, s, func(tx *gorm.DB, c *Cart) error {
		res := tx.Model(&CartItem{}).Where("cart_id = ? AND product_id = ?", c.ID, p.ID).Update("quantity", quantity)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "%s is not in your cart", p.Name)
		}
		return nil
	})
}

// RemoveItem takes a product out of the cart.
func (cs *Carts) RemoveItem(ctx context.Context, s Shopper, storeSlug, sku string) (*CartView, error) {
	slug, err := ParseSlug(storeSlug)
	if err != nil {
		return nil, err
	}
	if sku, err = ParseSKU(sku); err != nil {
		return nil, err
	}
	st, err := cs.catalog.StoreBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	p, err := cs.catalog.ProductBySKU(ctx, st, sku)
	if err != nil {
		return nil, err
	}
	return cs.change(ctx, s, func(tx *gorm.DB, c *Cart) error {
		res := tx.Where("cart_id = ? AND product_id = ?", c.ID, p.ID).Delete(&CartItem{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "%s is not in your cart", p.Name)
		}
		return nil
	})
}

// Clear empties the cart.
func (cs *Carts) Clear(ctx context.Context, s Shopper) (*CartView, error) {
	return cs.change(ctx, s, func(tx *gorm.DB, c *Cart) error {
		return tx.Where("cart_id = ?", c.ID).Delete(&CartItem{}).Error
	})
}

// CartID returns the id of the shopper's cart, creating the cart if needed.
func (cs *Carts) CartID(ctx context.Context, s Shopper) (string, error) {
	var id string
	err := cs.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := cartOf(tx, s, true)
		if err == nil {
			id = c.ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("cart: %w", err)
	}
	return id, nil
}
