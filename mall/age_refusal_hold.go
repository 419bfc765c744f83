package mall

import (
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// RefusalHoldsFor is how long an agent's refusal on age ("doesn't look
// 18+", "not the account holder") keeps the store's age-restricted items
// out of the shopper's cart: what the agent took out cannot be put back in
// the same call, nor in the next one that day.
const RefusalHoldsFor = 24 * time.Hour

// refusedAgeHolds refuses an age-restricted product p of store st when one
// of the store's agents refused the shopper's age within RefusalHoldsFor;
// nil otherwise.
func refusedAgeHolds(tx *gorm.DB, s Shopper, st *Store, p *Product) error {
	if p.AgeLimit == AgeLimitNone {
		return nil
	}
	var ev AgeJudgement
	q := tx.Where("store_id = ? AND decision IN ? AND decided_at > ?", st.ID,
		[]string{DecisionLooksUnderage, DecisionNotAccountHolder}, time.Now().UTC().Add(-RefusalHoldsFor))
	if s.AccountID != "" {
		q = q.Where("account_id = ?", s.AccountID)
	} else {
		q = q.Where("guest_hash = ?", s.GuestHash)
	}
	err := q.Order("decided_at DESC").Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return apperr.New(apperr.Conflict, "%s's agent could not confirm your age on the call at %s UTC: %s (%d+) cannot be added to your cart until %s UTC",
		st.Name, ev.DecidedAt.UTC().Format("15:04"), p.Name, p.AgeLimit, ev.DecidedAt.Add(RefusalHoldsFor).UTC().Format("Jan 2 15:04"))
}
