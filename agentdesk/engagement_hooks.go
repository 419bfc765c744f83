package agentdesk

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/mall"
)

// liveEngagement finds the connected engagement of a store's agent with a
// member shopper.
func (r *Router) liveEngagement(ctx context.Context, agentID, shopperID string) (*QueueEntry, error) {
	var e QueueEntry
	err := r.db.WithContext(ctx).Where("state = ? AND agent_account_id = ? AND account_id = ? AND callback = ?", EntryConnected, agentID, shopperID, false).
		Order("answered_at DESC").Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.Conflict, "you are not on a call with this shopper: the age check needs them on live video")
	}
	return &e, err
}

// VideoWitness confirms the agent sees the shopper on live video now: they
// are in a call together and video keeps arriving from the shopper (camera
// on, avatar off). It is the age check's witness.
func (r *Router) VideoWitness(ctx context.Context, agentID, shopperID string) error {
	e, err := r.liveEngagement(ctx, agentID, shopperID)
	if err != nil {
		return err
	}
	return r.rooms.VideoLive(ctx, e.CallID)
}

// EndForRefusedOrder ends the call of the shopper whose order was refused,
// telling both sides why.
func (r *Router) EndForRefusedOrder(ctx context.Context, o *mall.Order, reason string) {
	if o.AccountID == nil {
		return
	}
	var entries []QueueEntry
	r.db.WithContext(ctx).Where("state = ? AND account_id = ? AND store_id = ?", EntryConnected, *o.AccountID, o.StoreID).Find(&entries)
	for _, e := range entries {
		if err := r.rooms.EndCall(ctx, e.CallID, "the order was refused: "+reason); err != nil {
			r.log.Info("end call of refused order", "entry", e.ID, "err", err)
		}
	}
}

// InEngagement reports whether the shopper is talking to an agent now:
// an order they place then must be signed with their passkey.
func (r *Router) InEngagement(ctx context.Context, s mall.Shopper) bool {
	q := r.db.WithContext(ctx).Model(&QueueEntry{}).Where("state = ?", EntryConnected)
	if s.AccountID != "" {
		q = q.Where("account_id = ?", s.AccountID)
	} else {
		q = q.Where("guest_hash = ?", s.GuestHash)
	}
	var n int64
	q.Count(&n)
	return n > 0
}
