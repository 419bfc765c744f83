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
