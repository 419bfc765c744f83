package appointments

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SeedDemoHours gives the demo mall something to book: every store
// without booking rules gets Europe/Berlin and the defaults, and each of
// its agents without working hours gets Monday to Saturday 09:00–18:00.
// Running it again changes nothing.
func SeedDemoHours(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var storeIDs []int64
		if err := tx.Table("stores").Order("id").Pluck("id", &storeIDs).Error; err != nil {
			return fmt.Errorf("demo hours: stores: %w", err)
		}
		for _, id := range storeIDs {
			var n int64
			if err := tx.Model(&settingsRow{}).Where("store_id = ?", id).Count(&n).Error; err != nil {
				return fmt.Errorf("demo hours: settings: %w", err)
			}
			if n == 0 {
				st := defaultSettings(id)
				st.TimeZone, st.UpdatedAt = "Europe/Berlin", time.Now().UTC()
				if err := tx.Create(&st).Error; err != nil {
					return fmt.Errorf("demo hours: settings: %w", err)
				}
			}
			var agents []string
			if err := tx.Table("accounts").Where("store_id = ? AND role = ? AND NOT EXISTS (SELECT 1 FROM agent_hours h WHERE h.agent_id = accounts.id)", id, "agent").
				Order("id").Pluck("id", &agents).Error; err != nil {
				return fmt.Errorf("demo hours: agents: %w", err)
			}
			for _, a := range agents {
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
