package agentdesk_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestOrderHistoryNamesBothAgents transfers a call cold from Ana to Maria,
// after which the shopper places an order: the shopper's order (alone and
// in their list) and the desk's engagement name both agents, Ana first.
// Another shopper cannot read the order, another store's agent not the
// engagement; an order from no call names nobody.
func TestOrderHistoryNamesBothAgents(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AgentRingTimeout = 20 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"

	// An order placed before any call names nobody.
	before := apptest.ShopperBorn(t, a, "Bea Before", apptest.BornYearsAgo(30))
	before.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	var early struct {
		Order struct {
			ID       string
			HelpedBy []string
		}
	}
	before.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &early)
	if early.Order.HelpedBy != nil {
		t.Fatalf("an order from no call names %v", early.Order.HelpedBy)
	}

	shopper := apptest.ShopperBorn(t, a, "Kim Shopper", apptest.BornYearsAgo(30))
	e := engage(t, a, base, store, "VR-DECANT", shopper, "Ana Agent")
	path := "/api/v1/desk/engagements/" + e.entry
	maria, mp := deskOnline(t, a, base, store, "Maria Agent")
	e.agent.Must(201, "POST", path+"/transfer", map[string]any{"agentId": maria.AccountID(), "mode": "cold"})
	mp.Expect("call.incoming", e.callID, 5*time.Second)
	mp.Send("call.answer", map[string]any{"callId": e.callID})
	e.sp.Expect("call.transfer", `"state":"connected"`, 10*time.Second)
	mediaGrows(t, "Maria and the shopper hear each other", e.sp, mp)

	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	var placed struct{ Order struct{ ID string } }
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &placed)
	want := []string{"Ana Agent", "Maria Agent"}

	var one struct{ Order struct{ HelpedBy []string } }
	shopper.Must(200, "GET", "/api/v1/orders/"+placed.Order.ID, nil).JSON(t, &one)
	if !slices.Equal(one.Order.HelpedBy, want) {
		t.Fatalf("the shopper's order is helped by %v, want %v", one.Order.HelpedBy, want)
	}
	var list struct {
		Orders []struct {
			ID       string
			HelpedBy []string
		}
	}
	shopper.Must(200, "GET", "/api/v1/orders", nil).JSON(t, &list)
	if len(list.Orders) != 1 || list.Orders[0].ID != placed.Order.ID || !slices.Equal(list.Orders[0].HelpedBy, want) {
		t.Fatalf("the shopper's orders: %+v", list.Orders)
	}

	// Who else asks: another shopper gets no order and no names.
	other := apptest.ShopperBorn(t, a, "Oli Other", apptest.BornYearsAgo(30))
	if r := other.Do("GET", "/api/v1/orders/"+placed.Order.ID, nil); r.Status != 404 || strings.Contains(r.Body, "Maria") {
		t.Fatalf("another shopper reads the order: %d %s", r.Status, r.Body)
	}
	var others struct{ Orders []struct{ ID string } }
	other.Must(200, "GET", "/api/v1/orders", nil).JSON(t, &others)
	if len(others.Orders) != 0 {
		t.Fatalf("another shopper lists %+v", others.Orders)
	}
	var still struct{ Order struct{ HelpedBy []string } }
	before.Must(200, "GET", "/api/v1/orders/"+early.Order.ID, nil).JSON(t, &still)
	if still.Order.HelpedBy != nil {
		t.Fatalf("Bea's order, placed with no call, now names %v", still.Order.HelpedBy)
	}

	// The desk: Maria (and Ana, who handed it on) read both names; another
	// store's agent reads nothing.
	for _, who := range []*apptest.Client{maria, e.agent} {
		var view struct {
			Agents []string
			Orders []struct{ ID string }
		}
		who.Must(200, "GET", path, nil).JSON(t, &view)
		if !slices.Equal(view.Agents, want) || len(view.Orders) != 1 || view.Orders[0].ID != placed.Order.ID {
			t.Fatalf("the desk's engagement: agents %v, orders %+v", view.Agents, view.Orders)
		}
	}
	stranger := apptest.AgentOf(t, a, "casa-cucina", "Carla Cucina")
	if r := stranger.Do("GET", path, nil); r.Status != 404 || strings.Contains(r.Body, "Maria") {
		t.Fatalf("another store's agent reads the engagement: %d %s", r.Status, r.Body)
	}
}
