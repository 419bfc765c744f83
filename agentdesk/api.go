package agentdesk

// What the contact center offers other slices. Its methods stay beside
// the code they belong to (the Router's split is a later step); this file
// lists them, and the compiler holds the Router to each interface another
// slice declares where it uses it:
//
//   - directory.Queue (the calls): Enter, Answered, OfferLapsed, Chose,
//     Ended, CallBack — a queued call's life in the store's line.
//   - mall.SalesLines (the store views): QueueStatus — the line's state,
//     wait and agents free, the one count of agents online.
//   - mall.WithAgent (checkout): InEngagement.
//   - mall.Witness (age checks): VideoWitness, EndForRefusedOrder.
//
// What it needs from others is declared where it is used: Rooms and
// Stores (router.go), EngagementPeers (cobrowse.go), and the directory's
// OnlineAgents and DevicesOf.

import (
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
)

var (
	_ directory.Queue  = (*Router)(nil)
	_ mall.SalesLines  = (*Router)(nil)
	_ mall.WithAgent   = (*Router)(nil)
	_ mall.Witness     = (*Router)(nil)
	_ Rooms            = (*directory.Rooms)(nil)
	_ Stores           = (*mall.Catalog)(nil)
	_ mall.Visitors    = (*mall.Presence)(nil)
	_ directory.Stores = (*mall.Catalog)(nil)
)
