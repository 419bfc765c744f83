package agentdesk

import (
	"context"
	"log/slog"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/mall"
)

// EngagedShopper returns the shopper of the live engagement entryID that
// the agent serves in their store, once the shopper's camera is live in
// the call (not an avatar): the agent's age judgement rests on seeing them.
// Another agent's, another store's or an ended engagement is NotFound.
func (g *Engagements) EngagedShopper(ctx context.Context, agentID string, storeID int64, entryID string) (mall.Shopper, error) {
	e, err := g.LiveEngagementOf(ctx, agentID, storeID, entryID)
	if err != nil {
		return mall.Shopper{}, err
	}
	if err := g.calls.VideoLive(ctx, e.CallID); err != nil {
		if apperr.Code(err) != apperr.Internal {
			return mall.Shopper{}, err
		}
		slog.Warn("age judgement: video live", "entry", entryID, "err", err)
		return mall.Shopper{}, apperr.New(apperr.Conflict, "the shopper's live video could not be confirmed: ask them to turn their camera on and try again")
	}
	switch {
	case e.AccountID != nil:
		return mall.Shopper{AccountID: *e.AccountID}, nil
	case e.GuestHash != nil:
		return mall.Shopper{GuestHash: *e.GuestHash}, nil
	}
	return mall.Shopper{}, apperr.New(apperr.Conflict, "this caller has no cart in the mall: there is nothing to check")
}
