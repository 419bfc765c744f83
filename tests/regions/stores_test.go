package regions_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	lmmedia "github.com/livemall/livemall/media"
)

// numberPlan is the plan scripts/regions.sh gives every node.
const numberPlan = "a=200000000000-299999999999,b=300000000000-399999999999,c=400000000000-499999999999"

// cli runs the livemall command args against region's database, as an
// operator of that region would (its region and plan, so numbers come
// from its blocks), and returns what it printed.
func (r *regions) cli(region string, args ...string) string {
	r.t.Helper()
	for i, n := range regionNames {
		if n != region {
			continue
		}
		args = append(args, "--database-url", fmt.Sprintf("postgres://postgres@%s.1%d:5432/postgres?sslmode=disable", r.net, i+1),
			"--data", r.t.TempDir(), "--public-url", apptest.Origin, "--region", region, "--number-blocks", numberPlan)
		out, err := exec.Command(r.bin, args...).CombinedOutput()
		if err != nil {
			r.t.Fatalf("livemall %s in region %s: %v\n%s", strings.Join(args[:2], " "), region, err, out)
		}
		return string(out)
	}
	r.t.Fatalf("no region %q", region)
	return ""
}

// addAgent adds an agent to store in region and enrolls them on that
// region's node.
func (r *regions) addAgent(region, store, name string) *apptest.Client {
	r.t.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + store + ".test"
	out := r.cli(region, "agent", "add", "--store", store, "--email", email, "--name", name)
	var link string
	for sc := bufio.NewScanner(bytes.NewReader([]byte(out))); sc.Scan(); {
		if _, l, ok := strings.Cut(sc.Text(), "enrollment link (one-time, valid 7 days): "); ok {
			link = l
		}
	}
	a := apptest.NewClient(r.t, nil)
	a.Remote = r.Base(region)
	if resp := a.Enroll(apptest.TokenOf(r.t, link)); resp.Status != 200 {
		r.t.Fatalf("enroll %s in region %s: %d %s", name, region, resp.Status, resp.Body)
	}
	return a
}

// count is one number a query gives in region's database.
func (r *regions) count(region, query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.DB[region].QueryRow(query, args...).Scan(&n); err != nil {
		r.t.Fatalf("%s in region %s: %v", query, region, err)
	}
	return n
}

// TestShopperInRegionBReachesAStoreHomedInRegionA: the demo mall is
// seeded in region a only, so its stores, their lines and their sales
// numbers (a's block) are a's; an agent of north-peak-outfitters has their
// desk on a's node. A guest shopper — who needs no account to call a
// store, the way most shoppers reach one — is on b's node and dials the
// store's sales number. The call waits in the store's line in a's
// database (b's holds no entry and no call), a's agent is rung and
// answers, and audio and video arrive at both phones; the shopper's media
// goes to a's node, where the room lives with the store's line. The
// shopper hangs up on b and a's record ends as answered. With a and b cut
// apart, the same dial fails at once: "that store's region cannot be
// reached right now".
func TestShopperInRegionBReachesAStoreHomedInRegionA(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	const store = apptest.RoutingStore
	rg.cli("a", "seed", "--demo")
	var sales string
	if err := rg.DB["a"].QueryRow(`SELECT n.number FROM numbers n JOIN stores s ON s.id = n.store_id WHERE s.slug = $1 AND n.party_type = 'queue'`, store).Scan(&sales); err != nil || !strings.HasPrefix(sales, "2") {
		t.Fatalf("the sales number of %s in region a: %q (%v)", store, sales, err)
	}
	if n := rg.count("b", `SELECT COUNT(*) FROM stores`); n != 0 {
		t.Fatalf("region b has %d stores: the store must be a's alone", n)
	}

	agent := rg.addAgent("a", store, "Ada Agent")
	ap := apptest.NewPhone(t, agent, rg.Base("a"))
	apptest.WaitFor(t, 20*time.Second, "a's agent available", func() bool {
		return rg.count("a", `SELECT COUNT(*) FROM agent_states g JOIN accounts a ON a.id = g.account_id WHERE a.email = 'ada.agent@`+store+`.test' AND g.state = 'available'`) == 1
	})

	shopper := apptest.NewClient(t, nil)
	shopper.Remote = rg.Base("b")
	shopper.Must(200, "POST", "/api/v1/guest", nil)
	sp := apptest.NewPhone(t, shopper, rg.Base("b"))
	sp.Send("call.dial", map[string]any{"number": sales, "video": true})
	queued := expect(t, sp, "call.state", `"state":"queued"`, 15*time.Second)
	id := apptest.CallIDOf(lmmedia.Message{Data: queued})
	if !strings.Contains(string(queued), store) {
		t.Fatalf("the shopper's queued state does not name the store: %s", queued)
	}
	// The shopper hears "queued" as the entry is written.
	apptest.WaitFor(t, 15*time.Second, "the call's entry in a's line", func() bool {
		return rg.count("a", `SELECT COUNT(*) FROM queue_entries e JOIN stores s ON s.id = e.store_id WHERE e.call_id = $1 AND s.slug = $2 AND e.guest_hash IS NOT NULL`, id, store) == 1
	})
	if n := rg.count("b", `SELECT COUNT(*) FROM queue_entries`) + rg.count("b", `SELECT COUNT(*) FROM calls`); n != 0 {
		t.Fatalf("region b holds %d queue entries or calls: the store's line is a's", n)
	}

	ap.Expect("call.incoming", id, 15*time.Second)
	ap.Send("call.answer", map[string]any{"callId": id})
	expect(t, sp, "call.state", `"state":"active"`, 15*time.Second)
	ap.Expect("call.state", `"state":"active"`, 15*time.Second)
	apptest.WaitMediaWithin(t, 60*time.Second, sp, ap)
	for who, p := range map[string]*apptest.Phone{"shopper": sp, "agent": ap} {
		audio, video := p.Received()
		t.Logf("the %s's phone received %d audio and %d video packets", who, audio, video)
		if audio == 0 || video == 0 {
			t.Fatalf("the %s's phone received %d audio and %d video packets", who, audio, video)
		}
		if pair := p.SelectedPair(); pair == nil || pair.Remote.Address != rg.ipOf("a") {
			t.Fatalf("the %s's media path %v: want region a's node %s (the room lives with the store's line)", who, pair, rg.ipOf("a"))
		}
	}
	if n := rg.count("a", `SELECT COUNT(*) FROM queue_entries e JOIN accounts a ON a.id = e.agent_account_id WHERE e.call_id = $1 AND e.state = 'connected' AND a.email = 'ada.agent@`+store+`.test'`, id); n != 1 {
		t.Fatal("region a's queue entry is not connected to its agent")
	}

	// The shopper hangs up on b's node; the room on a's ends the call.
	sp.Send("call.hangup", map[string]any{"callId": id})
	ap.Expect("call.state", `"state":"ended"`, 15*time.Second)
	apptest.WaitFor(t, 15*time.Second, "a's record of the call to end", func() bool {
		state, outcome, _, _ := rg.callRow("a", id)
		return state == "ended" && outcome == "answered"
	})

	// With a cut off from b, the dial fails at once and nothing is left.
	rg.Partition("a", "b")
	began := time.Now()
	sp.Send("call.dial", map[string]any{"number": sales})
	refused := expectRefusal(t, sp, 15*time.Second)
	t.Logf("the dial was refused after %v: %s", time.Since(began).Round(time.Millisecond), refused)
	if !strings.Contains(refused, "that store's region cannot be reached right now") || !strings.Contains(refused, `"code":"unavailable"`) {
		t.Fatalf("refusal %s: want unavailable, that store's region cannot be reached", refused)
	}
	if n := rg.count("b", `SELECT COUNT(*) FROM calls`); n != 0 {
		t.Fatalf("region b holds %d calls after the refused dial", n)
	}
}

// expectRefusal waits for p's next error message and returns its data.
func expectRefusal(t *testing.T, p *apptest.Phone, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-p.Msgs:
			if m.Type == "error" {
				return string(m.Data)
			}
		case <-deadline:
			t.Fatalf("no error within %v", within)
		}
	}
}
