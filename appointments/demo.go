package appointments

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/auth"
)

// SeedDemoHours gives the demo mall something to book: every store
// without booking rules gets the defaults (in the store's own time zone,
// which the mall's demo seeds), and each of
// its agents without working hours gets Monday to Saturday 09:00–18:00.
// Running it again changes nothing. stores lists the mall's stores and
// accounts their staff.
func SeedDemoHours(ctx context.Context, db *gorm.DB, stores interface {
	StoreIDs(ctx context.Context) ([]int64, error)
}, accounts Accounts) error {
	storeIDs, err := stores.StoreIDs(ctx)
	if err != nil {
		return fmt.Errorf("demo hours: stores: %w", err)
	}
	// Read the staff before the transaction: SQLite has one writer, and
	// the accounts are read on another connection.
	agentsOf := map[int64][]string{}
	for _, id := range storeIDs {
		if agentsOf[id], err = accounts.StaffOf(ctx, id, auth.RoleAgent); err != nil {
			return fmt.Errorf("demo hours: agents: %w", err)
		}
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, id := range storeIDs {
			var n int64
			if err := tx.Model(&settingsRow{}).Where("store_id = ?", id).Count(&n).Error; err != nil {
				return fmt.Errorf("demo hours: settings: %w", err)
			}
			if n == 0 {
				st := defaultSettings(id)
				st.UpdatedAt = time.Now().UTC()
				if err := tx.Create(&st).Error; err != nil {
					return fmt.Errorf("demo hours: settings: %w", err)
				}
			}
			for _, a := range agentsOf[id] {
				var has int64
				if err := tx.Model(&hoursRow{}).Where("agent_id = ?", a).Count(&has).Error; err != nil {
					return fmt.Errorf("demo hours: %w", err)
				}
				if has > 0 {
					continue
				}
				for d := 1; d <= 6; d++ {
					if err := tx.Create(&hoursRow{StoreID: id, AgentID: a, Weekday: d, StartMinute: 9 * 60, EndMinute: 18 * 60}).Error; err != nil {
						return fmt.Errorf("demo hours: %w", err)
					}
				}
			}
		}
		return nil
	})
}
