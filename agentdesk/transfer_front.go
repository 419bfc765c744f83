package agentdesk

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// TransferToFront implements directory.Transfers: the first agent hung
// up while their colleague rang, and the colleague did not take the call,
// so the shopper goes back to the front of the store's line (there is no
// first agent to go back to). The entry waits again, parked (no
// connection) until requeue has moved the call, with note on the next
// agent's ring card; the first agent wraps up; a transfer into the
// store's own line is recorded (it credits the first agent as a handed-on
// call does). One transaction, guarded on the entry being the first
// agent's live call.
func (q *Queue) TransferToFront(ctx context.Context, transferID, note string, requeue func(directory.TransferRequeue) error) error {
	var t Transfer
	if err := q.db.WithContext(ctx).Where("id = ?", transferID).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.New(apperr.NotFound, "no transfer %q", transferID)
		}
		return err
	}
	e, err := entryOf(q.db.WithContext(ctx), t.EntryID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	store := q.storeRef(ctx, e.StoreID)
	back := &Transfer{ID: newTransferID(), EntryID: e.ID, ToEntryID: &e.ID, StoreID: e.StoreID, ToStoreID: e.StoreID, FromAgentID: t.FromAgentID,
		Kind: TransferQueue, Reason: note, State: transferQueued, CreatedAt: now, EndedAt: &now}
	err = q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		front, err := frontOfLine(tx, e.StoreID, e.ID, now)
		if err != nil {
			return err
		}
		c := e.contextOf()
		c.Transfer = &ContextTransfer{From: q.nameOf(ctx, t.FromAgentID), FromStore: store.Name, Reason: note, Mode: TransferQueue}
		res := tx.Model(&QueueEntry{}).Where("id = ? AND state = ? AND agent_account_id = ?", e.ID, EntryConnected, t.FromAgentID).
			Updates(map[string]any{"state": EntryWaiting, "agent_account_id": nil, "agent_conn_id": nil, "offered_at": nil, "conn_id": "",
				"entered_at": front, "context": contextJSON(c), "fallback_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "the call is no longer live with its first agent")
		}
		if err := tx.Create(back).Error; err != nil {
			return err
		}
		wrapUntil := now.Add(q.cfg.WrapUp)
		_, err = moveAgent(tx, t.FromAgentID, AgentOnCall, map[string]any{"state": AgentWrapUp, "since": now, "wrap_until": wrapUntil, "idle_since": wrapUntil})
		return err
	})
	if err != nil {
		return err
	}
	q.agentChanged(ctx, t.FromAgentID)
	err = requeue(directory.TransferRequeue{TransferID: back.ID, EntryID: e.ID, StoreID: e.StoreID, Store: media.StoreRef{Slug: store.Slug, Name: store.Name}})
	if err != nil {
		// The call is gone: its place goes with it.
		q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ?", e.ID, EntryWaiting).Updates(map[string]any{"state": EntryAbandoned, "ended_at": now})
		q.db.WithContext(ctx).Model(&Transfer{}).Where("id = ?", back.ID).Update("state", transferFailed)
		q.kick(e.StoreID)
		return err
	}
	q.db.WithContext(ctx).Model(&QueueEntry{}).Where("id = ? AND state = ? AND conn_id = ''", e.ID, EntryWaiting).Update("conn_id", e.ConnID)
	q.kick(e.StoreID)
	return nil
}
