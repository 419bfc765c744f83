package auth

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Revoked says what RevokeAccess took away.
type Revoked struct {
	// Sessions is how many signed-in browsers were signed out.
	Sessions int64
	// Passkeys is how many passkeys were removed (0 unless asked for).
	Passkeys int64
	// Links is how many unused enrollment and recovery links died.
	Links int64
}

// RevokeAccess signs accountID out everywhere: every session ends (the next
// request of each browser is unauthorized, on every node: the change is
// announced to every node's session cache; from the command line, with no
// bus, within the cache's TTL), and every unused enrollment or recovery link
// dies. With passkeys it also removes every passkey, so only a new recovery
// link (IssueRecovery) lets the person back in. All of it happens in one
// transaction.
func (s *Service) RevokeAccess(ctx context.Context, accountID string, passkeys bool) (Revoked, error) {
	var r Revoked
	now := s.now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ?", accountID).Delete(&session{})
		if res.Error != nil {
			return fmt.Errorf("end sessions: %w", res.Error)
		}
		r.Sessions = res.RowsAffected
		res = tx.Model(&enrollment{}).Where("account_id = ? AND used_at IS NULL", accountID).Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("revoke enrollment links: %w", res.Error)
		}
		r.Links = res.RowsAffected
		res = tx.Model(&Recovery{}).Where("account_id = ? AND used_at IS NULL AND expires_at > ?", accountID, now).Update("expires_at", now)
		if res.Error != nil {
			return fmt.Errorf("revoke recovery links: %w", res.Error)
		}
		r.Links += res.RowsAffected
		if passkeys {
			res = tx.Where("account_id = ?", accountID).Delete(&Passkey{})
			if res.Error != nil {
				return fmt.Errorf("remove passkeys: %w", res.Error)
			}
			r.Passkeys = res.RowsAffected
		}
		return nil
	})
	if err == nil {
		s.announceSessionsChanged(accountID, "")
	}
	return r, err
}
