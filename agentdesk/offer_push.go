package agentdesk

import (
	"context"
	"time"
)

// OfferPusher reaches an agent whose desk is in the background (package
// push): the ring of a shopper, or a call back due, as a notification.
type OfferPusher interface {
	PushOffer(ctx context.Context, agentID string, o PushedOffer)
}

// PushedOffer is what the pushed ring of an offer says.
type PushedOffer struct {
	EntryID     string
	StoreName   string
	ShopperName string
	// Product is what the shopper called about ("" when nothing).
	Product string
	// Callback is a shopper waiting to be called back (no ring to answer).
	Callback bool
	// Expires is when the offer stops ringing.
	Expires time.Duration
}

// PushOffers makes the queue push each offer to the agent's subscribed
// devices as well, so a desk in the background still rings. Call it
// before serving; without it only the open desk rings.
func (q *Queue) PushOffers(p OfferPusher) { q.pusher = p }

// pushOffer pushes the offer of e to the agent, off the routing path.
func (q *Queue) pushOffer(e *QueueEntry, agentID, storeName string) {
	if q.pusher == nil {
		return
	}
	o := PushedOffer{EntryID: e.ID, StoreName: storeName, ShopperName: e.ShopperName, Callback: e.Callback, Expires: q.cfg.RingTimeout}
	if p := e.contextOf().Product; p != nil {
		o.Product = p.Name
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q.pusher.PushOffer(ctx, agentID, o)
	}()
}
