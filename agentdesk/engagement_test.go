package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

// engaged is a shopper on a live call with an agent of store.
type engaged struct {
	shopper, agent *apptest.Client
	sp, ap         *apptest.Phone
	entry, callID  string
}

// engage signs in an agent of store, has the shopper call the store from
// the product and the agent answer; both phones carry media.
func engage(t *testing.T, a *app.App, base, store, sku string, shopper *apptest.Client, agentName string) *engaged {
	t.Helper()
	return engageWith(t, a, base, store, sku, shopper, agentName, nil)
}

// engageWith is engage with before run on the agent's client once they
// are enrolled, before their desk connects (nil: nothing).
func engageWith(t *testing.T, a *app.App, base, store, sku string, shopper *apptest.Client, agentName string, before func(ag *apptest.Client)) *engaged {
	t.Helper()
	ag := apptest.AgentOf(t, a, store, agentName)
	if before != nil {
		before(ag)
	}
	ap := apptest.NewPhone(t, ag, base)
	id := ag.AccountID()
	apptest.WaitFor(t, 5*time.Second, "agent available", func() bool { return agentState(a, id) == "available" })
	var productID int64
	a.DB.Table("products AS p").Joins("JOIN stores s ON s.id = p.store_id").Where("s.slug = ? AND p.sku = ?", store, sku).Pluck("p.id", &productID)
	sp := apptest.NewPhone(t, shopper, base)
	sp.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, store), "video": true, "context": map[string]any{"productId": productID}})
	q := sp.Expect("call.state", `"state":"queued"`, 5*time.Second)
	e := &engaged{shopper: shopper, agent: ag, sp: sp, ap: ap, entry: dataOf(t, q)["entryId"].(string), callID: apptest.CallIDOf(q)}
	ap.Expect("call.incoming", e.callID, 10*time.Second)
	ap.Send("call.answer", map[string]any{"callId": e.callID})
	sp.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, sp, ap)
	return e
}

// TestAgentSellsAnAgeRestrictedOrderOnAVideoCall is the engagement from
// the agent's side, through the real hooks: the agent sees the cart with
// suggested add-ons and their reasons, suggests one, the shopper accepts
// it, the agent checks the shopper's age on live video, the shopper signs
// with their passkey and pays; the add-on counts in the attach rate.
func TestAgentSellsAnAgeRestrictedOrderOnAVideoCall(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Vera Buyer", apptest.BornYearsAgo(30))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
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
	e.agent.Must(200, "GET", "/api/v1/desk/engagements/"+e.entry+"/cart", nil).JSON(t, &cart)
	if len(cart.Cart.Items) != 1 || len(cart.Suggestions) < 2 || cart.Suggestions[0].SKU != "VR-DECANT" || !strings.Contains(cart.Suggestions[0].Reason, "decanter") {
		t.Fatalf("the agent's view of the cart: %+v", cart)
	}
	// Someone else's engagement is not found, even in the same store.
	other := apptest.AgentOf(t, a, store, "Otto Agent")
	other.Must(404, "GET", "/api/v1/desk/engagements/"+e.entry+"/cart", nil)
	other.Must(404, "POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", map[string]any{"sku": "VR-DECANT"})
	for _, bad := range []string{`{}`, `{"sku":"VR-DECANT","quantity":0.5}`, `{"sku":"NOPE"}`, `{"sku":"VR-DECANT","quantity":100}`, `{"sku":"VR-DECANT","x":1}`} {
		if r := e.agent.Do("POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", []byte(bad)); r.Status < 400 {
			t.Errorf("suggest %s: %d, want an error", bad, r.Status)
		}
	}

	e.agent.Must(201, "POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", map[string]any{"sku": "VR-DECANT"})
	shopper.Must(200, "GET", "/api/v1/cart", nil).JSON(t, &cart)
	if len(cart.Cart.Items) != 2 || !cart.Cart.Items[1].Suggested || cart.Cart.Items[1].Accepted || !strings.Contains(cart.Cart.Items[1].SuggestReason, "decanter") {
		t.Fatalf("the shopper's cart after the suggestion: %+v", cart.Cart.Items)
	}
	shopper.Must(200, "POST", "/api/v1/cart/items/"+store+"/VR-DECANT/accept", nil).JSON(t, &cart)
	if !cart.Cart.Items[1].Accepted {
		t.Fatalf("accepting did not stick: %+v", cart.Cart.Items)
	}
	shopper.Must(404, "POST", "/api/v1/cart/items/"+store+"/VR-BAROLO-18/accept", nil)

	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	// Signing before the age check, or paying before signing, is refused.
	shopper.Must(409, "POST", "/api/v1/orders/"+o.Order.ID+"/pay", "{}")
	if r := e.agent.Judge(e.entry, "confirm"); r.Status != 201 {
		t.Fatalf("age check on live video: %d %s", r.Status, r.Body)
	}
	if r := shopper.Sign(o.Order.ID); r.Status != 200 {
		t.Fatalf("sign: %d %s", r.Status, r.Body)
	}
	shopper.Must(200, "POST", "/api/v1/orders/"+o.Order.ID+"/pay", "{}")
	apptest.WaitFor(t, 5*time.Second, "order confirmed", func() bool { return shopper.Order(o.Order.ID).Order.State == "confirmed" })

	e.ap.Send("call.hangup", map[string]any{"callId": e.callID})
	apptest.WaitFor(t, 5*time.Second, "served", func() bool { return entryState(a, e.entry) == "served" })
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, store)
	var live struct {
		AttachRate float64
		Agents     []struct {
			Name        string
			ServedToday int
			AttachRate  float64
		}
	}
	sup.Must(200, "GET", "/api/v1/desk/live", nil).JSON(t, &live)
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
	e.agent.Must(200, "GET", "/api/v1/desk/agent", nil).JSON(t, &me)
	if me.Today.Served != 1 || me.Today.Sold != 1 || me.Today.AddOns != 1 || me.Today.AverageHandleSeconds <= 0 {
		t.Fatalf("Rita's day: %+v", me.Today)
	}
	other.Must(200, "GET", "/api/v1/desk/agent", nil).JSON(t, &me)
	if me.Today.Served != 0 || me.Today.Sold != 0 {
		t.Fatalf("Otto took no call, yet his day reads %+v", me.Today)
	}
	apptest.CheckAgeInvariant(t, a)
}

// TestAgeCheckNeedsTheShoppersLiveVideo checks the real witness: a shopper
// behind an avatar (no video) cannot be age-checked.
func TestAgeCheckNeedsTheShoppersLiveVideo(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Ava Tar", apptest.BornYearsAgo(40))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	ag := apptest.AgentOf(t, a, store, "Nora Agent")
	ap := apptest.NewPhone(t, ag, base)
	sp := apptest.NewPhone(t, shopper, base)
	sp.NoVideo = true
	id := ag.AccountID()
	apptest.WaitFor(t, 5*time.Second, "agent available", func() bool { return agentState(a, id) == "available" })
	sp.Send("call.dial", map[string]any{"number": apptest.SalesNumber(t, a, store), "video": false, "avatar": true})
	q := sp.Expect("call.state", `"state":"queued"`, 5*time.Second)
	ap.Expect("call.incoming", apptest.CallIDOf(q), 10*time.Second)
	ap.Send("call.answer", map[string]any{"callId": apptest.CallIDOf(q)})
	sp.Expect("call.state", `"state":"active"`, 10*time.Second)
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	entry := dataOf(t, q)["entryId"].(string)
	if r := ag.Judge(entry, "confirm"); r.Status != 409 || !strings.Contains(string(r.Body), "camera") {
		t.Fatalf("age check without the shopper's video: %d %s", r.Status, r.Body)
	}
	// An agent who is not on the call with the shopper cannot check them:
	// the engagement is not theirs.
	other := apptest.AgentOf(t, a, store, "Ida Agent")
	if r := other.Judge(entry, "confirm"); r.Status != 404 {
		t.Fatalf("age check by an agent not on the call: %d %s", r.Status, r.Body)
	}
	var n int64
	a.DB.Table("age_checks").Count(&n)
	if st := shopper.Order(o.Order.ID).Order.State; st != "awaiting_verification" || n != 0 {
		t.Fatalf("refused checks left the order %s with %d age checks", st, n)
	}
}

// TestUnderageOrderIsRefusedAndTheCallEnds checks the other ending: the
// shopper is under the product's age, the order is refused with the reason
// and the call ends, telling the shopper why.
func TestUnderageOrderIsRefusedAndTheCallEnds(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Tim Young", apptest.BornYearsAgo(17))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Lia Agent")
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	e.agent.Judge(e.entry, "confirm")
	ended := e.sp.Expect("call.state", `"state":"ended"`, 10*time.Second)
	if !strings.Contains(string(ended.Data), "refused") || !strings.Contains(string(ended.Data), "under 18") {
		t.Fatalf("the call ended without saying why: %s", ended.Data)
	}
	if st := shopper.Order(o.Order.ID).Order.State; st != "refused" {
		t.Fatalf("order is %s, want refused", st)
	}
	apptest.CheckAgeInvariant(t, a)
}
