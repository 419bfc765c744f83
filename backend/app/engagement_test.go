package app

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/auth"
)

// engaged is a shopper on a live call with an agent of store.
type engaged struct {
	shopper, agent *client
	sp, ap         *phone
	entry, callID  string
}

// engage signs in an agent of store, has the shopper call the store from
// the product and the agent answer; both phones carry media.
func engage(t *testing.T, a *App, base, store, sku string, shopper *client, agentName string) *engaged {
	t.Helper()
	ag := agentOf(t, a, store, agentName)
	ap := newPhone(t, ag, base)
	id := ag.accountID()
	waitFor(t, 5*time.Second, "agent available", func() bool { return agentState(a, id) == "available" })
	var productID int64
	a.DB.Table("products AS p").Joins("JOIN stores s ON s.id = p.store_id").Where("s.slug = ? AND p.sku = ?", store, sku).Pluck("p.id", &productID)
	sp := newPhone(t, shopper, base)
	sp.send("call.dial", map[string]any{"number": salesNumber(t, a, store), "video": true, "context": map[string]any{"productId": productID}})
	q := sp.expect("call.state", `"state":"queued"`, 5*time.Second)
	e := &engaged{shopper: shopper, agent: ag, sp: sp, ap: ap, entry: dataOf(t, q)["entryId"].(string), callID: callIDOf(q)}
	ap.expect("call.incoming", e.callID, 10*time.Second)
	ap.send("call.answer", map[string]any{"callId": e.callID})
	sp.expect("call.state", `"state":"active"`, 10*time.Second)
	waitMedia(t, sp, ap)
	return e
}

// TestAgentSellsAnAgeRestrictedOrderOnAVideoCall is the engagement from
// the agent's side, through the real hooks: the agent sees the cart with
// suggested add-ons and their reasons, suggests one, the shopper accepts
// it, the agent checks the shopper's age on live video, the shopper signs
// with their passkey and pays; the add-on counts in the attach rate.
func TestAgentSellsAnAgeRestrictedOrderOnAVideoCall(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := shopperBorn(t, a, "Vera Buyer", bornYearsAgo(30))
	shopper.must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Rita Agent")

	var cart struct {
		Cart struct {
			Items []struct {
				SKU           string
				Suggested     bool
				Accepted      bool
				SuggestReason string
			}
		}
		Suggestions []struct{ SKU, Kind, Reason string }
	}
	e.agent.must(200, "GET", "/api/v1/desk/engagements/"+e.entry+"/cart", nil).json(t, &cart)
	if len(cart.Cart.Items) != 1 || len(cart.Suggestions) < 2 || cart.Suggestions[0].SKU != "VR-DECANT" || !strings.Contains(cart.Suggestions[0].Reason, "decanter") {
		t.Fatalf("the agent's view of the cart: %+v", cart)
	}
	// Someone else's engagement is not found, even in the same store.
	other := agentOf(t, a, store, "Otto Agent")
	other.must(404, "GET", "/api/v1/desk/engagements/"+e.entry+"/cart", nil)
	other.must(404, "POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", map[string]any{"sku": "VR-DECANT"})
	for _, bad := range []string{`{}`, `{"sku":"VR-DECANT","quantity":0.5}`, `{"sku":"NOPE"}`, `{"sku":"VR-DECANT","quantity":100}`, `{"sku":"VR-DECANT","x":1}`} {
		if r := e.agent.do("POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", []byte(bad)); r.Status < 400 {
			t.Errorf("suggest %s: %d, want an error", bad, r.Status)
		}
	}

	e.agent.must(201, "POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", map[string]any{"sku": "VR-DECANT"})
	shopper.must(200, "GET", "/api/v1/cart", nil).json(t, &cart)
	if len(cart.Cart.Items) != 2 || !cart.Cart.Items[1].Suggested || cart.Cart.Items[1].Accepted || !strings.Contains(cart.Cart.Items[1].SuggestReason, "decanter") {
		t.Fatalf("the shopper's cart after the suggestion: %+v", cart.Cart.Items)
	}
	shopper.must(200, "POST", "/api/v1/cart/items/"+store+"/VR-DECANT/accept", nil).json(t, &cart)
	if !cart.Cart.Items[1].Accepted {
		t.Fatalf("accepting did not stick: %+v", cart.Cart.Items)
	}
	shopper.must(404, "POST", "/api/v1/cart/items/"+store+"/VR-BAROLO-18/accept", nil)

	var o orderAnswer
	shopper.must(201, "POST", "/api/v1/checkout", "{}").json(t, &o)
	// Signing before the age check, or paying before signing, is refused.
	shopper.must(409, "POST", "/api/v1/orders/"+o.Order.ID+"/pay", "{}")
	if r := e.agent.ageCheck(o.Order.ID, true); r.Status != 200 {
		t.Fatalf("age check on live video: %d %s", r.Status, r.Body)
	}
	if r := shopper.sign(o.Order.ID); r.Status != 200 {
		t.Fatalf("sign: %d %s", r.Status, r.Body)
	}
	shopper.must(200, "POST", "/api/v1/orders/"+o.Order.ID+"/pay", "{}")
	waitFor(t, 5*time.Second, "order confirmed", func() bool { return shopper.order(o.Order.ID).Order.State == "confirmed" })

	e.ap.send("call.hangup", map[string]any{"callId": e.callID})
	waitFor(t, 5*time.Second, "served", func() bool { return entryState(a, e.entry) == "served" })
	sup := signedInAs(t, a, auth.RoleSupervisor, store)
	var live struct {
		AttachRate float64
		Agents     []struct {
			Name        string
			ServedToday int
			AttachRate  float64
		}
	}
	sup.must(200, "GET", "/api/v1/desk/live", nil).json(t, &live)
	if live.AttachRate != 1 {
		t.Fatalf("store attach rate %v, want 1: %+v", live.AttachRate, live)
	}
	for _, ag := range live.Agents {
		if ag.Name == "Rita Agent" && (ag.ServedToday != 1 || ag.AttachRate != 1) {
			t.Fatalf("Rita's figures: %+v", ag)
		}
	}
	// Rita's own tile: one call, one sale, one add-on.
	var me struct {
		Today struct {
			Served, Sold, AddOns int
			AverageHandleSeconds float64
		}
	}
	e.agent.must(200, "GET", "/api/v1/desk/agent", nil).json(t, &me)
	if me.Today.Served != 1 || me.Today.Sold != 1 || me.Today.AddOns != 1 || me.Today.AverageHandleSeconds <= 0 {
		t.Fatalf("Rita's day: %+v", me.Today)
	}
	other.must(200, "GET", "/api/v1/desk/agent", nil).json(t, &me)
	if me.Today.Served != 0 || me.Today.Sold != 0 {
		t.Fatalf("Otto took no call, yet his day reads %+v", me.Today)
	}
	checkAgeInvariant(t, a)
}

// TestAgeCheckNeedsTheShoppersLiveVideo checks the real witness: a shopper
// behind an avatar (no video) cannot be age-checked.
func TestAgeCheckNeedsTheShoppersLiveVideo(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := shopperBorn(t, a, "Ava Tar", bornYearsAgo(40))
	shopper.must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	ag := agentOf(t, a, store, "Nora Agent")
	ap := newPhone(t, ag, base)
	sp := newPhone(t, shopper, base)
	sp.noVideo = true
	id := ag.accountID()
	waitFor(t, 5*time.Second, "agent available", func() bool { return agentState(a, id) == "available" })
	sp.send("call.dial", map[string]any{"number": salesNumber(t, a, store), "video": false, "avatar": true})
	q := sp.expect("call.state", `"state":"queued"`, 5*time.Second)
	ap.expect("call.incoming", callIDOf(q), 10*time.Second)
	ap.send("call.answer", map[string]any{"callId": callIDOf(q)})
	sp.expect("call.state", `"state":"active"`, 10*time.Second)
	var o orderAnswer
	shopper.must(201, "POST", "/api/v1/checkout", "{}").json(t, &o)
	if r := ag.ageCheck(o.Order.ID, true); r.Status != 409 || !strings.Contains(string(r.Body), "camera") {
		t.Fatalf("age check without the shopper's video: %d %s", r.Status, r.Body)
	}
	// An agent who is not on a call with the shopper cannot check them.
	other := agentOf(t, a, store, "Ida Agent")
	if r := other.ageCheck(o.Order.ID, true); r.Status != 409 || !strings.Contains(string(r.Body), "not on a call") {
		t.Fatalf("age check by an agent not on the call: %d %s", r.Status, r.Body)
	}
}

// TestUnderageOrderIsRefusedAndTheCallEnds checks the other ending: the
// shopper is under the product's age, the order is refused with the reason
// and the call ends, telling the shopper why.
func TestUnderageOrderIsRefusedAndTheCallEnds(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := shopperBorn(t, a, "Tim Young", bornYearsAgo(17))
	shopper.must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Lia Agent")
	var o orderAnswer
	shopper.must(201, "POST", "/api/v1/checkout", "{}").json(t, &o)
	e.agent.ageCheck(o.Order.ID, true)
	ended := e.sp.expect("call.state", `"state":"ended"`, 10*time.Second)
	if !strings.Contains(string(ended.Data), "refused") || !strings.Contains(string(ended.Data), "under 18") {
		t.Fatalf("the call ended without saying why: %s", ended.Data)
	}
	if st := shopper.order(o.Order.ID).Order.State; st != "refused" {
		t.Fatalf("order is %s, want refused", st)
	}
	checkAgeInvariant(t, a)
}
