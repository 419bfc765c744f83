package directory_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
)

// storeDialAnswer is what a region answers on lm.region.<r>.queue.
type storeDialAnswer struct {
	CallID string                          `json:"callId"`
	Error  *struct{ Code, Message string } `json:"error"`
}

// askStoreDial sends a store dial to region's nodes as any NATS client can.
func askStoreDial(t *testing.T, a *app.App, region, body string) storeDialAnswer {
	t.Helper()
	reply, err := a.Bus.Conn.Request("lm.region."+region+".queue", []byte(body), 5*time.Second)
	if err != nil {
		t.Fatalf("store dial %s: %v", body, err)
	}
	var ans storeDialAnswer
	if err := json.Unmarshal(reply.Data, &ans); err != nil {
		t.Fatalf("store dial answer %s: %v", reply.Data, err)
	}
	return ans
}

// countIn is how many rows of table match where in app's database.
func countIn(a *app.App, table, where string, args ...any) int64 {
	var n int64
	a.DB.Table(table).Where(where, args...).Count(&n)
	return n
}

// TestAGuestOfOneRegionCallsAStoreOfAnother: a guest on c's node dials the
// sales number of a store homed in region a (a's number block). The call
// waits in the store's line in a's database (c's has no entry and no
// call), a's agent is rung on a's node, answers, and media flows both
// ways; the guest's hang-up on c reaches the room on a. A member of c
// reaches the line too, as the guest their account stands for there, and
// a dial with a product context is refused.
func TestAGuestOfOneRegionCallsAStoreOfAnother(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	baseA, baseC := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeC)
	sales := apptest.SalesNumber(t, nodeA, apptest.RoutingStore)
	if !strings.HasPrefix(sales, "2") || apptest.SalesNumber(t, nodeC, apptest.RoutingStore) == sales {
		t.Fatalf("the store of region a has the sales number %s", sales)
	}
	ag := apptest.AgentOf(t, nodeA, apptest.RoutingStore, "Ada Agent")
	ap := apptest.NewPhone(t, ag, baseA)
	agentID := ag.AccountID()
	apptest.WaitFor(t, 10*time.Second, "a's agent available", func() bool { return agentState(nodeA, agentID) == "available" })

	guest := apptest.NewClient(t, nodeC)
	guest.Must(200, "POST", "/api/v1/guest", nil)
	gp := apptest.NewPhone(t, guest, baseC)
	gp.Send("call.dial", map[string]any{"number": sales, "video": true})
	q := gp.Expect("call.state", `"state":"queued"`, 10*time.Second)
	id := apptest.CallIDOf(q)
	if !strings.Contains(string(q.Data), "north-peak-outfitters") {
		t.Fatalf("the guest's queued state does not name the store: %s", q.Data)
	}
	// The shopper hears "queued" as the entry is written.
	apptest.WaitFor(t, 10*time.Second, "the call's entry in a's line", func() bool {
		return countIn(nodeA, "queue_entries", "call_id = ? AND guest_hash IS NOT NULL", id) == 1
	})
	if n := countIn(nodeC, "queue_entries", "call_id = ?", id) + countIn(nodeC, "calls", "id = ?", id); n != 0 {
		t.Fatalf("c's database holds %d rows of a's store's call", n)
	}
	ap.Expect("call.incoming", id, 10*time.Second)
	ap.Send("call.answer", map[string]any{"callId": id})
	gp.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, gp, ap)
	if n := countIn(nodeA, "queue_entries", "call_id = ? AND state = ? AND agent_account_id = ?", id, "connected", agentID); n != 1 {
		t.Fatalf("a's queue entry is not connected to its agent")
	}
	gp.Send("call.hangup", map[string]any{"callId": id})
	ap.Expect("call.state", `"state":"ended"`, 10*time.Second)
	apptest.WaitFor(t, 10*time.Second, "a's record of the call ended", func() bool {
		return countIn(nodeA, "calls", "id = ? AND state = ? AND outcome = ?", id, "ended", "answered") == 1
	})

	// A guest's product context names c's catalog, not a's: refused.
	gp.Send("call.dial", map[string]any{"number": sales, "context": map[string]any{"productId": 1}})
	gp.Expect("error", "carries no product or appointment", 10*time.Second)
	// A member of c: in a's line as the guest their account stands for,
	// the same on every call (a's agent is in wrap-up: the call waits).
	member := apptest.Member(t, nodeC, "Cleo Of C")
	mp := apptest.NewPhone(t, member, baseC)
	mp.Send("call.dial", map[string]any{"number": sales, "context": map[string]any{"productId": 1}})
	mp.Expect("error", "carries no product or appointment", 10*time.Second)
	mp.Send("call.dial", map[string]any{"number": sales})
	mq := mp.Expect("call.state", `"state":"queued"`, 10*time.Second)
	memberCall := apptest.CallIDOf(mq)
	apptest.WaitFor(t, 10*time.Second, "the member's entry in a's line", func() bool {
		return countIn(nodeA, "queue_entries", "call_id = ? AND guest_hash = ?", memberCall, memberAsGuest(member.AccountID())) == 1
	})
	mp.Send("call.hangup", map[string]any{"callId": memberCall})
	apptest.WaitFor(t, 10*time.Second, "a's record of the member's call ended", func() bool {
		return countIn(nodeA, "calls", "id = ? AND state = ?", memberCall, "ended") == 1
	})
	// A number of a's block that is nobody's is still nobody's.
	mp.Send("call.dial", map[string]any{"number": "299999999998"})
	mp.Expect("error", "nobody has the number", 10*time.Second)
	select {
	case m := <-ap.Msgs:
		if m.Type == "call.incoming" {
			t.Fatalf("a's agent rang for a refused dial: %s", m.Data)
		}
	case <-time.After(500 * time.Millisecond):
	}
}

// TestStoreDialsAreTakenOnlyForTheRegionsOwnStores: a region's nodes take
// a store dial only for the sales number of one of their own stores;
// another region's store, a member's number, a number nobody has, a
// dial that names no guest and malformed or forged requests are refused,
// and nothing enters a line.
func TestStoreDialsAreTakenOnlyForTheRegionsOwnStores(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	alice := apptest.Member(t, nodeA, "Alice Of A")
	salesC := apptest.SalesNumber(t, nodeC, apptest.RoutingStore)
	salesA := apptest.SalesNumber(t, nodeA, apptest.RoutingStore)
	conn, guest := strings.Repeat("ab", 13), strings.Repeat("0f", 32)
	dial := func(number, connID, device, g string) string {
		return `{"number":"` + number + `","connId":"` + connID + `","deviceId":"` + device + `","guest":"` + g + `","video":false,"avatar":false}`
	}
	refused := []struct{ name, body, code string }{
		{"another region's store", dial(salesC, conn, "abc", guest), "not_found"},
		{"a member's number", dial(alice.MyNumber(), conn, "abc", guest), "not_found"},
		{"a number nobody has", dial("299999999998", conn, "abc", guest), "not_found"},
		{"no guest", dial(salesA, conn, "abc", ""), "invalid"},
		{"no guest, not a store", dial(alice.MyNumber(), conn, "abc", ""), "not_found"},
		{"a member's account for a guest", `{"number":"` + salesA + `","connId":"` + conn + `","deviceId":"abc","guest":"` + guest + `","video":false,"avatar":false,"accountId":"ac_x"}`, "invalid"},
		{"a wildcard connection", dial(salesA, strings.Repeat("a", 25)+">", "abc", guest), "invalid"},
		{"a dotted device", dial(salesA, conn, "ab.c", guest), "invalid"},
		{"a short guest", dial(salesA, conn, "abc", "0f0f"), "invalid"},
		{"the number spaced", dial("2000 0000 0001", conn, "abc", guest), "invalid"},
	}
	for _, tt := range refused {
		ans := askStoreDial(t, nodeC, "a", tt.body)
		if ans.Error == nil || ans.Error.Code != tt.code || ans.CallID != "" || strings.Contains(ans.Error.Message, "Alice") {
			t.Fatalf("%s: %+v, want refused as %s with nothing else", tt.name, ans, tt.code)
		}
	}
	if n := countIn(nodeA, "queue_entries", "1 = 1") + countIn(nodeA, "calls", "1 = 1"); n != 0 {
		t.Fatalf("refused store dials left %d rows in a", n)
	}
	// The control: a's own store's number is taken.
	if ans := askStoreDial(t, nodeC, "a", dial(salesA, conn, "abc", guest)); ans.Error != nil || !strings.HasPrefix(ans.CallID, "call_") {
		t.Fatalf("a store dial for a's own store: %+v", ans)
	}
	if n := countIn(nodeA, "queue_entries", "guest_hash = ?", guest); n != 1 {
		t.Fatalf("a's line holds %d entries of the guest, want 1", n)
	}
}

// memberAsGuest is the guest hash a member's own node sends for them to a
// store of another region: SHA-256 of a text no guest cookie can be.
func memberAsGuest(accountID string) string {
	sum := sha256.Sum256([]byte("livemall visiting member\x00" + accountID))
	return hex.EncodeToString(sum[:])
}

// agentState reads an agent's routing state in app's database.
func agentState(a *app.App, accountID string) string {
	var s string
	a.DB.Table("agent_states").Where("account_id = ?", accountID).Pluck("state", &s)
	return s
}

// askStoreDialAs sends a store dial named dialID in its header, as a
// shopper's node does.
func askStoreDialAs(t *testing.T, a *app.App, region, body, dialID string) storeDialAnswer {
	t.Helper()
	msg := &nats.Msg{Subject: "lm.region." + region + ".queue", Data: []byte(body), Header: nats.Header{"Lm-Store-Dial": []string{dialID}}}
	reply, err := a.Bus.Conn.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatalf("store dial %s: %v", body, err)
	}
	var ans storeDialAnswer
	if err := json.Unmarshal(reply.Data, &ans); err != nil || ans.Error != nil || !strings.HasPrefix(ans.CallID, "call_") {
		t.Fatalf("store dial answer %s: %v", reply.Data, err)
	}
	return ans
}

// TestAWithdrawnStoreDialLeavesNoCallInTheLine: a shopper's node that
// gave up waiting for a store dial's answer withdraws it, and the store's
// region hangs up the call it placed for it — whether the withdrawal
// comes after the call was placed or before — so no call waits in the
// line, or rings an agent, for a shopper who was told it failed. A
// withdrawal of another dial from the same page leaves a placed call in
// the line, and a malformed withdrawal changes nothing.
func TestAWithdrawnStoreDialLeavesNoCallInTheLine(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	salesA := apptest.SalesNumber(t, nodeA, apptest.RoutingStore)
	conn, guest := strings.Repeat("cd", 13), strings.Repeat("1e", 32)
	dial := `{"number":"` + salesA + `","connId":"` + conn + `","deviceId":"abc","guest":"` + guest + `","video":false,"avatar":false}`
	withdraw := func(dialID string) {
		t.Helper()
		if err := nodeC.Bus.Conn.Publish("lm.region.a.queue.withdraw", []byte(`{"connId":"`+conn+`","dialId":"`+dialID+`"}`)); err != nil {
			t.Fatal(err)
		}
		nodeC.Bus.Conn.Flush()
	}
	waiting := func(callID string) bool {
		return countIn(nodeA, "queue_entries", "call_id = ? AND state = ?", callID, "waiting") == 1
	}
	cancelled := func(what, callID string) {
		t.Helper()
		apptest.WaitFor(t, 10*time.Second, what, func() bool {
			return countIn(nodeA, "calls", "id = ? AND state = ? AND outcome = ?", callID, "ended", "cancelled") == 1 && !waiting(callID)
		})
	}

	// Withdrawn after it was placed.
	first := askStoreDialAs(t, nodeC, "a", dial, "0123456789abcdef")
	if !waiting(first.CallID) {
		t.Fatalf("the placed call %s does not wait in a's line", first.CallID)
	}
	withdraw("0123456789abcdef")
	cancelled("the call withdrawn after it was placed to end as cancelled", first.CallID)

	// A withdrawal of another dial of the same page, and a malformed one,
	// leave a placed call waiting.
	second := askStoreDialAs(t, nodeC, "a", dial, "1111111111111111")
	withdraw("2222222222222222")
	nodeC.Bus.Conn.Publish("lm.region.a.queue.withdraw", []byte(`{"connId":"`+conn+`","dialId":"1111111111111111","x":1}`))
	nodeC.Bus.Conn.Publish("lm.region.a.queue.withdraw", []byte(`{"connId":"`+conn+`"}`))
	nodeC.Bus.Conn.Flush()
	time.Sleep(300 * time.Millisecond) // what NATS delivers in that time is handled in it
	if !waiting(second.CallID) {
		t.Fatal("a withdrawal of another dial, or a malformed one, took the placed call out of the line")
	}

	// Withdrawn before it was placed: hung up as soon as it is.
	withdraw("3333333333333333")
	third := askStoreDialAs(t, nodeC, "a", dial, "3333333333333333")
	cancelled("the call withdrawn before it was placed to end as cancelled", third.CallID)
	if !waiting(second.CallID) {
		t.Fatal("withdrawing the third dial took the second out of the line")
	}
}

// TestAStoreDialGivenUpOnIsWithdrawn: when the store's region takes the
// dial but does not answer in time, the shopper hears that it cannot be
// reached and their node withdraws the dial, naming the connection and
// the dial id its request carried.
func TestAStoreDialGivenUpOnIsWithdrawn(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	salesA := apptest.SalesNumber(t, nodeA, apptest.RoutingStore)
	nodeA.Shutdown() // a's nodes are gone; something takes a's dials and never answers
	silent, err := nodeC.Bus.Conn.SubscribeSync("lm.region.a.queue")
	if err != nil {
		t.Fatal(err)
	}
	withdrawals, err := nodeC.Bus.Conn.SubscribeSync("lm.region.a.queue.withdraw")
	if err != nil {
		t.Fatal(err)
	}
	nodeC.Bus.Conn.Flush()

	guest := apptest.NewClient(t, nodeC)
	guest.Must(200, "POST", "/api/v1/guest", nil)
	gp := apptest.NewPhone(t, guest, apptest.ServeOnLoopback(t, nodeC))
	gp.Send("call.dial", map[string]any{"number": salesA})
	gp.Expect("error", "cannot be reached", 15*time.Second)

	req, err := silent.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("the dial never reached a's subject: %v", err)
	}
	var dial struct{ ConnID string }
	json.Unmarshal(req.Data, &dial)
	dialID := req.Header.Get("Lm-Store-Dial")
	if len(dialID) != 16 || dial.ConnID == "" {
		t.Fatalf("the dial carried the id %q and the connection %q", dialID, dial.ConnID)
	}
	w, err := withdrawals.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no withdrawal after the dial was given up on: %v", err)
	}
	if want := `{"connId":"` + dial.ConnID + `","dialId":"` + dialID + `"}`; string(w.Data) != want {
		t.Fatalf("the withdrawal %s, want %s", w.Data, want)
	}
}
