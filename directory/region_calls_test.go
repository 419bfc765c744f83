package directory_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// twoRegionPlan gives regions a and c their numbers, as scripts/regions.sh.
const twoRegionPlan = "a=200000000000-299999999999,c=400000000000-499999999999"

// twoRegions starts a node of region a and a node of region c, each on a
// database of its own, on one NATS server (the gateways of a supercluster
// carry the same subjects).
func twoRegions(t *testing.T) (a, c *app.App) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	region := func(name string) func(*config.Config) {
		return func(cfg *config.Config) {
			cfg.NATSURL, cfg.Node, cfg.Region, cfg.NumberBlocks = ns.ClientURL(), "node-"+name, name, twoRegionPlan
			cfg.RingTimeout = 2 * time.Minute
		}
	}
	return apptest.New(t, region("a")), apptest.New(t, region("c"))
}

// knownIn waits until c's node resolves number (another region's member).
func knownIn(t *testing.T, c *apptest.Client, number string) {
	t.Helper()
	apptest.WaitFor(t, 30*time.Second, "the member of the other region in the directory", func() bool {
		return c.Do("GET", "/api/v1/numbers/"+number, nil).Status == 200
	})
}

// ringAnswer is what a region answers on lm.region.<r>.ring.
type ringAnswer struct {
	State   string `json:"state"`
	Devices []struct {
		DeviceID string `json:"deviceId"`
		State    string `json:"state"`
	} `json:"devices"`
	Error *struct{ Code, Message string } `json:"error"`
}

// askRing sends a ring request to region's nodes as any NATS client can.
func askRing(t *testing.T, a *app.App, region, body string) ringAnswer {
	t.Helper()
	reply, err := a.Bus.Conn.Request("lm.region."+region+".ring", []byte(body), 5*time.Second)
	if err != nil {
		t.Fatalf("ring request %s: %v", body, err)
	}
	var ans ringAnswer
	if err := json.Unmarshal(reply.Data, &ans); err != nil {
		t.Fatalf("ring answer %s: %v", reply.Data, err)
	}
	return ans
}

// TestACallCrossesRegions: alice (region a) calls carol (region c) by
// number; carol's phone on c's node rings, she answers there, and media
// flows both ways through the room on a's node. The record is a's and
// names carol by number. When carol declines, alice's call ends with
// outcome declined (carol's mailbox is not a's); with carol offline it ends
// at once as offline.
func TestACallCrossesRegions(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	baseA, baseC := apptest.ServeOnLoopback(t, nodeA), apptest.ServeOnLoopback(t, nodeC)
	alice, carol := apptest.Member(t, nodeA, "Alice Of A"), apptest.Member(t, nodeC, "Carol Of C")
	carolNumber := carol.MyNumber()
	if !strings.HasPrefix(carolNumber, "4") {
		t.Fatalf("carol of region c has the number %s", carolNumber)
	}
	knownIn(t, alice, carolNumber)
	pa, pc := apptest.NewPhone(t, alice, baseA), apptest.NewPhone(t, carol, baseC)
	// Carol's region must count her phone online before alice dials: its
	// presence is written as the phone connects, and a dial that comes
	// first finds her offline (it ended the call in a loaded CI run).
	ask := `{"number":"` + carolNumber + `","accountId":"` + carol.AccountID() + `"}`
	apptest.WaitFor(t, 30*time.Second, "carol's region counting her phone online", func() bool {
		return askRing(t, nodeA, "c", ask).State == "available"
	})

	pa.Send("call.dial", map[string]any{"number": carolNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 10*time.Second))
	pc.Expect("call.incoming", id, 10*time.Second)
	pc.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 10*time.Second)
	pc.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, pa, pc)
	var rec struct {
		State           string
		CalleeNumber    string
		CalleeAccountID *string
	}
	nodeA.DB.Table("calls").Select("state, callee_number, callee_account_id").Where("id = ?", id).Take(&rec)
	if rec.State != "active" || rec.CalleeNumber != carolNumber || rec.CalleeAccountID != nil {
		t.Fatalf("a's record of the call: %+v", rec)
	}
	var inC int64
	nodeC.DB.Table("calls").Where("id = ?", id).Count(&inC)
	if inC != 0 {
		t.Fatalf("region c holds a record of a's call")
	}
	pa.Send("call.hangup", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"ended"`, 10*time.Second)

	// Declined: the call ends, no mailbox.
	pa.Send("call.dial", map[string]any{"number": carolNumber})
	id = apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 10*time.Second))
	pc.Expect("call.incoming", id, 10*time.Second)
	pc.Send("call.decline", map[string]any{"callId": id})
	ended := pa.Expect("call.state", `"state":"ended"`, 10*time.Second)
	if !strings.Contains(string(ended.Data), `"outcome":"declined"`) || !strings.Contains(string(ended.Data), "Carol Of C cannot take your call right now") {
		t.Fatalf("alice hears of the declined call: %s", ended.Data)
	}

	// Offline: ended at once.
	pc.Close()
	apptest.WaitFor(t, 10*time.Second, "carol offline in c", func() bool { return carol.Resolve(carolNumber).State == "offline" })
	pa.Send("call.dial", map[string]any{"number": carolNumber})
	ended = pa.Expect("call.state", `"state":"ended"`, 10*time.Second)
	if !strings.Contains(string(ended.Data), `"outcome":"offline"`) {
		t.Fatalf("alice hears of her call to carol offline: %s", ended.Data)
	}
	var open int64
	nodeA.DB.Table("calls").Where("state <> ?", "ended").Count(&open)
	if open != 0 {
		t.Fatalf("%d calls left open in region a", open)
	}
}

// TestRingRequestsAnswerOnlyForTheirRegionsMembers: a region's nodes
// answer a ring request with the devices of the member who holds the
// number, only when the account named is that member and homed there;
// anything else is refused without a device or a name (a wrong account,
// another region's member, a store's number, a malformed request, an
// account moved away). A guest cannot dial another region's member.
func TestRingRequestsAnswerOnlyForTheirRegionsMembers(t *testing.T) {
	nodeA, nodeC := twoRegions(t)
	baseC := apptest.ServeOnLoopback(t, nodeC)
	alice, carol := apptest.Member(t, nodeA, "Alice Of A"), apptest.Member(t, nodeC, "Carol Of C")
	carolNumber, aliceNumber := carol.MyNumber(), alice.MyNumber()
	pc := apptest.NewPhone(t, carol, baseC)
	var carolID, aliceID string
	nodeC.DB.Raw(`SELECT account_id FROM numbers WHERE number = ?`, carolNumber).Scan(&carolID)
	nodeA.DB.Raw(`SELECT account_id FROM numbers WHERE number = ?`, aliceNumber).Scan(&aliceID)
	var salesNumber string
	nodeC.DB.Raw(`SELECT number FROM numbers WHERE party_type = 'queue' LIMIT 1`).Scan(&salesNumber)
	if carolID == "" || aliceID == "" || salesNumber == "" {
		t.Fatalf("fixture: carol %q alice %q sales number %q", carolID, aliceID, salesNumber)
	}

	apptest.WaitFor(t, 10*time.Second, "carol online in c", func() bool { return carol.Resolve(carolNumber).State == "available" })
	// The control: carol's own id gets her online device.
	ans := askRing(t, nodeA, "c", `{"number":"`+carolNumber+`","accountId":"`+carolID+`"}`)
	if ans.Error != nil || ans.State != "available" || len(ans.Devices) != 1 || ans.Devices[0].DeviceID != carol.Device {
		t.Fatalf("ring request for carol: %+v", ans)
	}
	refused := []struct{ name, region, body, code string }{
		{"another account's id", "c", `{"number":"` + carolNumber + `","accountId":"` + aliceID + `"}`, "not_found"},
		{"a made-up id", "c", `{"number":"` + carolNumber + `","accountId":"ac_nobody"}`, "not_found"},
		{"a member of another region", "c", `{"number":"` + aliceNumber + `","accountId":"` + aliceID + `"}`, "not_found"},
		{"a store's sales number", "c", `{"number":"` + salesNumber + `","accountId":"` + carolID + `"}`, "not_found"},
		{"malformed", "c", `{"number":"` + carolNumber + `","accountId":"` + carolID + `","deviceId":"x"}`, "invalid"},
		{"a wildcard id", "c", `{"number":"` + carolNumber + `","accountId":"*"}`, "invalid"},
	}
	for _, tt := range refused {
		ans := askRing(t, nodeA, tt.region, tt.body)
		if ans.Error == nil || ans.Error.Code != tt.code || len(ans.Devices) != 0 || ans.State != "" || strings.Contains(ans.Error.Message, "Carol") {
			t.Fatalf("%s: %+v, want refused as %s with nothing else", tt.name, ans, tt.code)
		}
	}
	// An account whose home is no longer c is not rung from c.
	nodeC.DB.Exec(`UPDATE accounts SET home_region = 'a' WHERE id = ?`, carolID)
	if ans := askRing(t, nodeA, "c", `{"number":"`+carolNumber+`","accountId":"`+carolID+`"}`); ans.Error == nil || ans.Error.Code != "not_found" || len(ans.Devices) != 0 {
		t.Fatalf("ring request for an account homed elsewhere: %+v", ans)
	}
	nodeC.DB.Exec(`UPDATE accounts SET home_region = 'c' WHERE id = ?`, carolID)

	// A guest on a's node cannot dial carol: no ring reaches her.
	knownIn(t, alice, carolNumber)
	guest := apptest.NewClient(t, nodeA)
	guest.Must(200, "POST", "/api/v1/guest", nil)
	gs := guest.OpenSocket(apptest.ServeOnLoopback(t, nodeA))
	gs.Send("call.dial", `{"number":"`+carolNumber+`"}`)
	if m := gs.Next(); m.Type != "error" || !strings.Contains(string(m.Data), "sign in to call members") {
		t.Fatalf("a guest's dial of another region's member: %s %s", m.Type, m.Data)
	}
	select {
	case m := <-pc.Msgs:
		if m.Type == "call.incoming" {
			t.Fatalf("carol rang for a guest: %s", m.Data)
		}
	case <-time.After(500 * time.Millisecond):
	}
}
