package mall

// What the mall offers other slices: typed methods over its own tables
// (stores, products, carts, orders). Other slices call these instead of
// reading the mall's tables; what the mall needs from them is declared
// where it is used (SalesNumbers, SalesLines, WithAgent, Witness).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// StoreRef returns the store with id storeID; a missing store is an
// error wrapping gorm.ErrRecordNotFound.
func (c *Catalog) StoreRef(ctx context.Context, storeID int64) (StoreRef, error) {
	var s StoreRef
	if err := c.db.WithContext(ctx).Table("stores").Select("id, slug, name, max_wait_seconds").Where("id = ?", storeID).Take(&s).Error; err != nil {
		return StoreRef{}, fmt.Errorf("store %d: %w", storeID, err)
	}
	return s, nil
}

// StoreByID returns the store with id storeID, or apperr.NotFound when
// there is none.
func (c *Catalog) StoreByID(ctx context.Context, storeID int64) (*Store, error) {
	var s Store
	err := c.db.WithContext(ctx).Where("id = ?", storeID).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no store %d", storeID)
	}
	if err != nil {
		return nil, fmt.Errorf("store %d: %w", storeID, err)
	}
	return &s, nil
}

// StoreName returns the slug and name of the store with id storeID.
func (c *Catalog) StoreName(ctx context.Context, storeID int64) (slug, name string, err error) {
	s, err := c.StoreRef(ctx, storeID)
	return s.Slug, s.Name, err
}

// SellsProduct reports whether the store lists the product (retired or
// not: a shopper may call about a product they viewed a moment ago).
func (c *Catalog) SellsProduct(ctx context.Context, storeID, productID int64) (bool, error) {
	var n int64
	err := c.db.WithContext(ctx).Model(&Product{}).Where("id = ? AND store_id = ?", productID, storeID).Count(&n).Error
	return n > 0, err
}

// ProductInStore returns the product with id productID and the slug of
// its store; a missing product is an error wrapping gorm.ErrRecordNotFound.
func (c *Catalog) ProductInStore(ctx context.Context, productID int64) (Product, string, error) {
	var p struct {
		Product
		StoreSlug string
	}
	err := c.db.WithContext(ctx).Table("products AS p").Select("p.*, s.slug AS store_slug").Joins("JOIN stores s ON s.id = p.store_id").Where("p.id = ?", productID).Take(&p).Error
	if err != nil {
		return Product{}, "", fmt.Errorf("product %d: %w", productID, err)
	}
	return p.Product, p.StoreSlug, nil
}

// StoreIDs returns the ids of every store, in id order.
func (c *Catalog) StoreIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := c.db.WithContext(ctx).Model(&Store{}).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// OrderParty is who placed an order, where and when.
type OrderParty struct {
	StoreID   int64
	AccountID *string
	GuestHash *string
	CreatedAt time.Time
}

// OrderPartyOf returns who placed the order with id orderID; a missing
// order is an error wrapping gorm.ErrRecordNotFound.
func (c *Catalog) OrderPartyOf(ctx context.Context, orderID string) (OrderParty, error) {
	var o OrderParty
	err := c.db.WithContext(ctx).Table("orders").Select("store_id, account_id, guest_hash, created_at").Where("id = ?", orderID).Take(&o).Error
	if err != nil {
		return OrderParty{}, fmt.Errorf("order %s: %w", orderID, err)
	}
	return o, nil
}

// OrderSummary is an order as the desk lists it.
type OrderSummary struct {
	ID                string    `json:"id"`
	State             string    `json:"state"`
	TotalMinor        int64     `json:"totalMinor"`
	Currency          string    `json:"currency"`
	NeedsVerification bool      `json:"needsVerification"`
	NeedsSignature    bool      `json:"needsSignature"`
	CreatedAt         time.Time `json:"createdAt"`
}

// OrdersSince lists up to limit orders the shopper (a member by account
// id, else a guest by hash) placed in the store since since, newest first.
func (c *Catalog) OrdersSince(ctx context.Context, storeID int64, s Shopper, since time.Time, limit int) ([]OrderSummary, error) {
	out := []OrderSummary{}
	q := c.db.WithContext(ctx).Table("orders").Select("id, state, total_minor, currency, needs_verification, needs_signature, created_at").
		Where("store_id = ? AND created_at >= ?", storeID, since)
	if s.AccountID != "" {
		q = q.Where("account_id = ?", s.AccountID)
	} else {
		q = q.Where("guest_hash = ?", s.GuestHash)
	}
	if err := q.Order("created_at DESC").Limit(limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("orders of store %d: %w", storeID, err)
	}
	return out, nil
}

// PaidOrder is a paid (or confirmed) order as the contact center's
// figures need it: who placed it, when, and which agents suggested a line
// of it.
type PaidOrder struct {
	OrderParty
	// SuggestedBy lists the agents who suggested one of its lines.
	SuggestedBy []string
}

// PaidOrdersSince returns the store's paid and confirmed orders created at
// or after since, in two queries (the orders, then their suggested lines).
func (c *Catalog) PaidOrdersSince(ctx context.Context, storeID int64, since time.Time) ([]PaidOrder, error) {
	db := c.db.WithContext(ctx)
	var rows []struct {
		ID string
		OrderParty
	}
	if err := db.Table("orders").Select("id, store_id, account_id, guest_hash, created_at").
		Where("store_id = ? AND state IN ? AND created_at >= ?", storeID, []string{"paid", "confirmed"}, since).Order("created_at, id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("paid orders of store %d: %w", storeID, err)
	}
	out := make([]PaidOrder, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	at := make(map[string]int, len(rows))
	for i, r := range rows {
		ids[i], at[r.ID] = r.ID, i
		out[i].OrderParty = r.OrderParty
	}
	var lines []struct {
		OrderID     string
		SuggestedBy string
	}
	if err := db.Table("order_lines").Distinct("order_id", "suggested_by").Where("order_id IN ? AND suggested_by IS NOT NULL", ids).Scan(&lines).Error; err != nil {
		return nil, fmt.Errorf("suggested lines of store %d: %w", storeID, err)
	}
	for _, l := range lines {
		i := at[l.OrderID]
		out[i].SuggestedBy = append(out[i].SuggestedBy, l.SuggestedBy)
	}
	return out, nil
}
