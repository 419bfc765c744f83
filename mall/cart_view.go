package mall

import (
	"time"

	"context"
	"fmt"
)

// StoreRef names a store in carts and orders, and for other slices
// (Catalog.StoreRef).
type StoreRef struct {
	ID   int64  `json:"-"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	// MaxWaitSeconds is how long a shopper waits in the store's line
	// before being offered a message or a call back.
	MaxWaitSeconds int `json:"-"`
}

// CartItemView is a cart line with its price from the catalog.
type CartItemView struct {
	ProductID      int64  `json:"productId"`
	SKU            string `json:"sku"`
	StoreSlug      string `json:"storeSlug"`
	Name           string `json:"name"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
	Quantity       int    `json:"quantity"`
	LineTotalMinor int64  `json:"lineTotalMinor"`
	AgeLimit       int    `json:"ageLimit"`
	ImageURL       string `json:"imageUrl"`
	Suggested      bool   `json:"suggested"`
	// SuggestReason says why the agent suggested it; Accepted that the
	// shopper kept it.
	SuggestReason string `json:"suggestReason,omitempty"`
	Accepted      bool   `json:"accepted"`
}

// CartView is a cart as shoppers see it: prices and totals computed by the
// server from the catalog.
type CartView struct {
	ID            string         `json:"id"`
	Store         *StoreRef      `json:"store"`
	Items         []CartItemView `json:"items"`
	SubtotalMinor int64          `json:"subtotalMinor"`
	TaxMinor      int64          `json:"taxMinor"`
	TotalMinor    int64          `json:"totalMinor"`
	Currency      string         `json:"currency"`
	ItemCount     int            `json:"itemCount"`
	Version       int64          `json:"version"`
}

// Totals are the sums of an order or cart. Prices include VAT: TaxMinor is
// the VAT contained in TotalMinor, which equals SubtotalMinor.
type Totals struct {
	SubtotalMinor, TaxMinor, TotalMinor int64
}

// computeTotals sums lines and extracts the VAT at rateBP basis points,
// rounding half up.
func computeTotals(subtotal int64, rateBP int) Totals {
	tax := (subtotal*int64(rateBP)*2 + int64(10000+rateBP)) / (2 * int64(10000+rateBP))
	return Totals{SubtotalMinor: subtotal, TaxMinor: tax, TotalMinor: subtotal}
}

// View returns the shopper's cart (an empty one when they have none).
func (cs *Carts) View(ctx context.Context, s Shopper) (*CartView, error) {
	db := cs.db.WithContext(ctx)
	c, err := cartOf(db, s, false)
	if err != nil {
		return nil, fmt.Errorf("load cart: %w", err)
	}
	v := &CartView{Items: []CartItemView{}, Currency: Currency}
	if c == nil {
		return v, nil
	}
	v.ID, v.Version = c.ID, c.Version
	if c.StoreID == nil {
		return v, nil
	}
	var st Store
	if err := db.Where("id = ?", *c.StoreID).Take(&st).Error; err != nil {
		return nil, fmt.Errorf("load cart store: %w", err)
	}
	v.Store = &StoreRef{Slug: st.Slug, Name: st.Name}
	var rows []struct {
		Product
		Quantity      int
		SuggestedBy   *string
		SuggestReason *string
		AcceptedAt    *time.Time
	}
	err = db.Table("cart_items AS i").Select("p.*, i.quantity, i.suggested_by, i.suggest_reason, i.accepted_at").
		Joins("JOIN products p ON p.id = i.product_id").
		Where("i.cart_id = ?", c.ID).Order("i.added_at, p.sku").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load cart items: %w", err)
	}
	var subtotal int64
	for _, r := range rows {
		line := r.PriceMinor * int64(r.Quantity)
		subtotal += line
		v.ItemCount += r.Quantity
		v.Items = append(v.Items, CartItemView{ProductID: r.ID, SKU: r.SKU, StoreSlug: st.Slug, Name: r.Name, UnitPriceMinor: r.PriceMinor, Quantity: r.Quantity,
			LineTotalMinor: line, AgeLimit: r.AgeLimit, ImageURL: ProductImageURL(st.Slug, r.SKU), Suggested: r.SuggestedBy != nil, Accepted: r.AcceptedAt != nil})
		if r.SuggestReason != nil {
			v.Items[len(v.Items)-1].SuggestReason = *r.SuggestReason
		}
	}
	t := computeTotals(subtotal, st.TaxRateBP)
	v.SubtotalMinor, v.TaxMinor, v.TotalMinor = t.SubtotalMinor, t.TaxMinor, t.TotalMinor
	return v, nil
}
