package agentdesk

// What the contact center offers other slices. Its three parts each keep
// their methods beside their code; this file lists them, and the compiler
// holds each part to the interfaces other slices declare where they use
// them:
//
//   - Queue, the distribution (queue*.go, agent_state.go):
//     directory.Queue (the calls) — Enter, Answered, OfferLapsed, Chose,
//     Ended, CallBack, a queued call's life in the store's line;
//     mall.SalesLines (the store views) — QueueStatus, the line's state,
//     wait and agents free, the one count of agents online.
//   - Engagements, an answered call's life (engagement*.go, live.go,
//     agent_today.go): mall.WithAgent (checkout) — InEngagement;
//     mall.Witness (age checks) — VideoWitness, EndForRefusedOrder;
//     mall.Engaged (the agent's age judgement) — EngagedShopper;
//     EngagementPeers (co-browsing, whiteboards) — Peer.
//   - CreditCalls, store credit in the call (credit_calls.go):
//     mall.CreditCalls — CreditCall, TellCredit, TellSupervisors.
//   - Desk, the desk's HTTP handlers (desk.go), offers only its routes.
//
// What it needs from others is declared where it is used: Rooms, Stores
// and Accounts (queue.go), LiveCalls and Sales (engagements.go), Numbers
// (desk.go), CallJoins (supervise.go), and the directory's OnlineAgents
// and DevicesOf.

import (
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
)

var (
	_ directory.Queue  = (*Queue)(nil)
	_ mall.SalesLines  = (*Queue)(nil)
	_ mall.WithAgent   = (*Engagements)(nil)
	_ mall.Witness     = (*Engagements)(nil)
	_ mall.CreditCalls = (*CreditCalls)(nil)
	_ mall.Engaged     = (*Engagements)(nil)
	_ EngagementPeers  = (*Engagements)(nil)
	_ Rooms            = (*directory.Rooms)(nil)
	_ LiveCalls        = (*directory.Rooms)(nil)
	_ CallJoins        = (*directory.Rooms)(nil)
	_ Stores           = (*mall.Catalog)(nil)
	_ Sales            = (*mall.Catalog)(nil)
	_ Accounts         = (*auth.Accounts)(nil)
	_ Numbers          = (*directory.Numbers)(nil)
	_ mall.Visitors    = (*mall.Presence)(nil)
	_ directory.Stores = (*mall.Catalog)(nil)
)
