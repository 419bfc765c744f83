package mall

// What the contact center's analytics need from the mall: a store's
// reporting terms (its time zone and service-level threshold) and the
// orders paid in a span of time with their add-on lines.

import (
	"context"
	"fmt"
	"time"
)

// ReportTerms are the terms a store's figures are reported under.
type ReportTerms struct {
	// TimeZone is the IANA name of the store's time zone: its days start
	// at midnight there.
	TimeZone string
	// ServiceLevelSeconds is the answer time the service level counts
	// (a call answered within it is "in service level").
	ServiceLevelSeconds int
}

// ReportTermsOf returns the reporting terms of the store with id storeID;
// a missing store is an error wrapping gorm.ErrRecordNotFound.
func (c *Catalog) ReportTermsOf(ctx context.Context, storeID int64) (ReportTerms, error) {
	var t ReportTerms
	err := c.db.WithContext(ctx).Table("stores").Select("time_zone, service_level_seconds").Where("id = ?", storeID).Take(&t).Error
	if err != nil {
		return ReportTerms{}, fmt.Errorf("report terms of store %d: %w", storeID, err)
	}
	return t, nil
}

// PaidSale is an order of a store as the analytics count it: who placed
// it, when it was paid, its total, and its add-ons (the lines an agent
// suggested that the shopper kept in the order).
type PaidSale struct {
	ID string
	OrderParty
	// PaidAt is when the order moved to "paid".
	PaidAt time.Time
	// TotalMinor is the order's total, tax included.
	TotalMinor int64
	// AddOnLines counts its lines an agent suggested.
	AddOnLines int
	// AddOnMinor is the price of those lines (unit price × quantity, before
	// tax).
	AddOnMinor int64
}

// SalesPaidBetween returns the store's orders that were paid at or after
// from and before to (and are paid or confirmed now), oldest payment
// first, in two queries: the orders with their payment event, then the
// sums of their suggested lines.
func (c *Catalog) SalesPaidBetween(ctx context.Context, storeID int64, from, to time.Time) ([]PaidSale, error) {
	db := c.db.WithContext(ctx)
	var out []PaidSale
	if err := db.Table("order_events AS e").
		Select("o.id, o.store_id, o.account_id, o.guest_hash, o.created_at, e.at AS paid_at, o.total_minor").
		Joins("JOIN orders o ON o.id = e.order_id").
		Where("e.to_state = ? AND e.at >= ? AND e.at < ? AND o.store_id = ? AND o.state IN ?", OrderPaid, from.UTC(), to.UTC(), storeID, []OrderState{OrderPaid, OrderConfirmed}).
		Order("e.at, o.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("sales of store %d: %w", storeID, err)
	}
	if len(out) == 0 {
		return []PaidSale{}, nil
	}
	at := make(map[string]int, len(out))
	for i, s := range out {
		at[s.ID] = i
	}
	// The same filter again rather than a list of ids, which a long range
	// would make longer than a statement may bind.
	var lines []struct {
		OrderID string
		N       int
		Minor   int64
	}
	if err := db.Table("order_lines AS l").Select("l.order_id, COUNT(*) AS n, SUM(l.unit_price_minor * l.quantity) AS minor").
		Joins("JOIN order_events e ON e.order_id = l.order_id").Joins("JOIN orders o ON o.id = l.order_id").
		Where("e.to_state = ? AND e.at >= ? AND e.at < ? AND o.store_id = ? AND o.state IN ? AND l.suggested_by IS NOT NULL", OrderPaid, from.UTC(), to.UTC(), storeID, []OrderState{OrderPaid, OrderConfirmed}).
		Group("l.order_id").Scan(&lines).Error; err != nil {
		return nil, fmt.Errorf("add-ons of store %d: %w", storeID, err)
	}
	for _, l := range lines {
		i, ok := at[l.OrderID]
		if !ok {
			continue // paid between the two queries
		}
		out[i].AddOnLines, out[i].AddOnMinor = l.N, l.Minor
	}
	return out, nil
}
