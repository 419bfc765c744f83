package mall

// What the mall offers other slices: typed methods over its own tables
// (stores, products, carts, orders). Other slices call these instead of
// reading the mall's tables; what the mall needs from them is declared
// where it is used (SalesNumbers, SalesLines, WithAgent, Witness).

import (
	"context"
	"fmt"
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
