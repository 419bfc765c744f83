package mall

import (
	"context"
	"fmt"
)

// CoPurchase is a product bought together with another in past orders.
type CoPurchase struct {
	Product Product
	// Orders is how many paid orders held both products.
	Orders int
}

// ListCoPurchases returns up to limit products on sale that were bought in
// the same paid orders as product, most often first (ties by SKU). Products
// already related to it explicitly are left out: those are its add-ons.
func (c *Catalog) ListCoPurchases(ctx context.Context, product *Product, limit int) ([]CoPurchase, error) {
	var rows []struct {
		ProductID int64
		N         int
	}
	err := c.db.WithContext(ctx).Table("order_lines AS mine").
		Select("other.product_id, COUNT(DISTINCT other.order_id) AS n").
		Joins("JOIN order_lines other ON other.order_id = mine.order_id AND other.product_id <> mine.product_id").
		Joins("JOIN orders o ON o.id = mine.order_id").
		Joins("JOIN products p ON p.id = other.product_id").
		Where("mine.product_id = ? AND o.state IN ? AND p.retired_at IS NULL", product.ID, []OrderState{OrderPaid, OrderConfirmed}).
		Where("other.product_id NOT IN (SELECT addon_product_id FROM product_addons WHERE product_id = ?)", product.ID).
		Group("other.product_id, p.sku").Order("n DESC, p.sku").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("co-purchases: %w", err)
	}
	out := make([]CoPurchase, 0, len(rows))
	for _, r := range rows {
		var p Product
		if err := c.db.WithContext(ctx).Where("id = ?", r.ProductID).Take(&p).Error; err != nil {
			return nil, err
		}
		out = append(out, CoPurchase{Product: p, Orders: r.N})
	}
	return out, nil
}
