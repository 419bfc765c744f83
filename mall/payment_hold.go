package mall

import (
	"context"
	"log/slog"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// cancelAttempt cancels an open attempt's payment at the provider and
// applies the state it ends in: failed (the stock released) or succeeded
// (paid first: the order is paid). An attempt whose payment is unknown is
// looked up first; one whose payment was never created simply fails.
func (os *Orders) cancelAttempt(ctx context.Context, att *PaymentAttempt, actor, reason string) (*PaymentStart, error) {
	if att.ProviderRef == nil {
		var o Order
		if err := os.db.WithContext(ctx).Where("id = ?", att.OrderID).Take(&o).Error; err != nil {
			return nil, err
		}
		start, err := os.lookUp(ctx, &o, att)
		if err != nil {
			if apperr.Code(err) == apperr.Unavailable {
				if again, rerr := os.attempt(ctx, att.ID); rerr == nil && again.Status == PaymentFailed {
					return &PaymentStart{Status: PaymentFailed}, nil // the provider created nothing
				}
			}
			return nil, err
		}
		if !start.Status.Open() {
			return start, nil
		}
		att.ProviderRef = &start.Ref
	}
	st, err := os.provider.Cancel(ctx, *att.ProviderRef)
	if err != nil {
		slog.Error("cancel payment", "order", att.OrderID, "attempt", att.Attempt, "err", err)
		return nil, apperr.New(apperr.Unavailable, "the payment could not be canceled: try again in a moment")
	}
	if err := os.learn(ctx, att.ID, st, actor, reason); err != nil {
		return nil, err
	}
	return &st, nil
}

// attempt loads one payment attempt.
func (os *Orders) attempt(ctx context.Context, id string) (*PaymentAttempt, error) {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Where("id = ?", id).Take(&att).Error
	return &att, err
}

// ExpireHolds ends the holds of open attempts whose hold expired before
// now: each payment is canceled at the provider, then its stock released
// (or, paid first, the order paid). It is safe on many nodes at once: an
// attempt is claimed by a guarded update that pushes its expiry a minute
// ahead, so one node handles it (another retries after that minute if the
// provider did not answer), and canceling twice is harmless. It returns how
// many attempts it closed.
func (os *Orders) ExpireHolds(ctx context.Context, now time.Time) (int, error) {
	var due []PaymentAttempt
	if err := os.db.WithContext(ctx).Where("status IN ? AND expires_at < ?", openStatuses, now).Order("expires_at").Limit(50).Find(&due).Error; err != nil {
		return 0, err
	}
	closed := 0
	for i := range due {
		att := &due[i]
		res := os.db.WithContext(ctx).Model(&PaymentAttempt{}).Where("id = ? AND status IN ? AND expires_at < ?", att.ID, openStatuses, now).
			Update("expires_at", now.Add(time.Minute))
		if res.Error != nil {
			return closed, res.Error
		}
		if res.RowsAffected != 1 {
			continue // another node has it
		}
		if _, err := os.cancelAttempt(ctx, att, "system", "the payment was not confirmed in time"); err != nil {
			slog.Warn("end payment hold", "order", att.OrderID, "attempt", att.Attempt, "err", err)
			continue
		}
		closed++
	}
	return closed, nil
}

// SweepHolds runs ExpireHolds every interval until ctx ends; every node
// may run it.
func (os *Orders) SweepHolds(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := os.ExpireHolds(ctx, now.UTC()); err != nil && ctx.Err() == nil {
				slog.Warn("sweep payment holds", "err", err)
			} else if n > 0 {
				slog.Info("payment holds ended", "attempts", n)
			}
		}
	}
}

// Hold is how long an unconfirmed payment holds its order's stock.
func (os *Orders) Hold() time.Duration { return os.hold }
