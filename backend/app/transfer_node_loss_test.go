package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestWarmTransferOutlivesTheFirstAgentsNode: the shopper's call lives
// on node A, the first agent's desk on node B, the colleague's on A. While
// the agents consult, node B dies with the first agent's socket (and
// their device's media): the transfer completes to the colleague, who
// then hears the shopper and is heard by them.
func TestWarmTransferOutlivesTheFirstAgentsNode(t *testing.T) {
	nodeA, nodeB := twoNodes(t, func(c *config.Config) { c.AgentRingTimeout = 20 * time.Second })
	baseA, baseB := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeB)
	const store = "vinoteca-rossi"
	state := func(a *app.App, table, col, id string) string {
		var s string
		a.DB.Table(table).Where(col+" = ?", id).Pluck("state", &s)
		return s
	}

	ana := apptest.AgentOf(t, nodeB, store, "Ana Agent")
	ap := apptest.NewPhone(t, ana, baseB)
	apptest.WaitFor(t, 10*time.Second, "Ana available", func() bool { return state(nodeA, "agent_states", "account_id", ana.AccountID()) == "available" })
	shopper := apptest.ShopperBorn(t, nodeA, "Kim Shopper", apptest.BornYearsAgo(30))
	sp := apptest.NewPhone(t, shopper, baseA)
	sp.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, nodeA, store), "video": true})
	q := sp.Expect("call.state", `"state":"queued"`, 10*time.Second)
	var queued struct{ EntryID string }
	json.Unmarshal(q.Data, &queued)
	callID := apptest.CallIDOf(q)
	ap.Expect("call.incoming", callID, 10*time.Second)
	ap.Send("call.answer", map[string]any{"callId": callID})
	sp.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, sp, ap)
	if nodeA.Calls.ActiveCalls() != 1 || nodeB.Calls.ActiveCalls() != 0 {
		t.Fatalf("calls hosted: node A %d, node B %d; want the room on the shopper's node", nodeA.Calls.ActiveCalls(), nodeB.Calls.ActiveCalls())
	}

	maria := apptest.AgentOf(t, nodeA, store, "Maria Agent")
	mp := apptest.NewPhone(t, maria, baseA)
	apptest.WaitFor(t, 10*time.Second, "Maria available", func() bool { return state(nodeA, "agent_states", "account_id", maria.AccountID()) == "available" })
	var started struct{ Transfer struct{ ID string } }
	ana.Must(201, "POST", "/api/v1/desk/engagements/"+queued.EntryID+"/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "warm"}).JSON(t, &started)
	mp.Expect("call.incoming", callID, 10*time.Second)
	mp.Send("call.answer", map[string]any{"callId": callID})
	ap.Expect("call.transfer", `"state":"consulting"`, 10*time.Second)
	apptest.WaitMedia(t, ap, mp)

	// Node B dies with Ana's desk; her device's media goes with it.
	ap.Close()
	if err := nodeB.Shutdown(); err != nil {
		t.Logf("node B's shutdown: %v", err)
	}

	sp.Expect("call.transfer", `"state":"connected"`, 30*time.Second)
	sp.Expect("call.state", `Maria Agent`, 10*time.Second)
	sa, sv := sp.Received()
	ma, mv := mp.Received()
	apptest.WaitFor(t, 20*time.Second, "Maria and the shopper hear each other", func() bool {
		a1, v1 := sp.Received()
		a2, v2 := mp.Received()
		return a1 > sa+25 && v1 > sv+10 && a2 > ma+25 && v2 > mv+10
	})
	var agent string
	nodeA.DB.Table("queue_entries").Where("id = ?", queued.EntryID).Pluck("agent_account_id", &agent)
	if st := state(nodeA, "engagement_transfers", "id", started.Transfer.ID); st != "completed" || agent != maria.AccountID() {
		t.Fatalf("after node B died: the transfer is %s, the engagement is %s's", st, agent)
	}
}
