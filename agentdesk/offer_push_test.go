package agentdesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/push/pushtest"
)

// TestAgentWithTheDeskInTheBackgroundIsPushedTheOffer: an available agent
// who turned push on gets each shopper's ring as a push too (a desk in the
// background still rings): the store, the shopper and the product, to the
// agent's push service only. Another store's agent, subscribed as well,
// gets nothing of it.
func TestAgentWithTheDeskInTheBackgroundIsPushedTheOffer(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.PushAllowLocalEndpoints = true })
	base := apptest.ServeOnLoopback(t, a)
	ps := pushtest.NewService(t, a.Push.PublicKey())
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Uma Pushed", apptest.BornYearsAgo(30))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	other := apptest.AgentOf(t, a, "casa-cucina", "Oti Elsewhere")
	otherEndpoint, ob := ps.Endpoint("other")
	other.Must(200, "PUT", "/api/v1/push/subscription", ob.Subscription(otherEndpoint))

	endpoint, b := ps.Endpoint("agent")
	e := engageWith(t, a, base, store, "VR-BAROLO-18", shopper, "Pua Agent", func(ag *apptest.Client) {
		ag.Must(200, "PUT", "/api/v1/push/subscription", b.Subscription(endpoint))
	})
	apptest.WaitFor(t, 5*time.Second, "the offer's push", func() bool { return len(ps.Received(endpoint)) == 1 })
	got := ps.Received(endpoint)[0]
	if got.Kind != "offer" || got.URL != "/desk/" || !strings.Contains(got.Title, "Uma Pushed is calling Vinoteca Rossi") || !strings.Contains(got.Body, "Barolo") {
		t.Fatalf("the pushed offer: %+v", got)
	}
	if h := ps.Headers(endpoint); h.Get("Urgency") != "high" {
		t.Fatalf("the offer's urgency %q", h.Get("Urgency"))
	}
	if n := len(ps.Received(otherEndpoint)); n != 0 {
		t.Fatalf("another store's agent got %d pushes", n)
	}
	e.ap.Send("call.hangup", map[string]any{"callId": e.callID})
}
