package mall_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
)

func TestCartRefusesBadInputAndStaysAsItWas(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	sku := apptest.ProductOf(t, a, "lumen-electronics", false)
	other := apptest.ProductOf(t, a, "casa-cucina", false)
	c.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": "lumen-electronics", "sku": sku, "quantity": 2})
	var low string
	a.DB.Table("products").Where("sku <> ?", sku).Where("store_id = (SELECT id FROM stores WHERE slug = 'lumen-electronics') AND age_limit = 0").Limit(1).Pluck("sku", &low)
	a.DB.Exec("UPDATE products SET stock = 1 WHERE sku = ?", low)
	var retired string
	a.DB.Table("products").Where("sku NOT IN ?", []string{sku, low}).Where("store_id = (SELECT id FROM stores WHERE slug = 'lumen-electronics')").Limit(1).Pluck("sku", &retired)
	a.DB.Exec("UPDATE products SET retired_at = CURRENT_TIMESTAMP WHERE sku = ?", retired)
	items, version, _ := c.Cart()

	tests := []apptest.Scenario{
		{Name: "zero quantity", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":0}`, Status: 400, Text: "between 1 and 99, not 0"},
		{Name: "negative quantity", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":-3}`, Status: 400, Text: "between 1 and 99"},
		{Name: "absurd quantity", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":100000}`, Status: 400, Text: "between 1 and 99"},
		{Name: "over 99 in total", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":98}`, Status: 400, Text: "at most 99"},
		{Name: "quantity as text", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":"2"}`, Status: 400, Text: "must be an integer"},
		{Name: "price sent by the client", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + sku + `","quantity":1,"priceMinor":1}`, Status: 400, Text: "unknown field"},
		{Name: "unknown SKU", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"NOPE-1","quantity":1}`, Status: 404, Text: "no product"},
		{Name: "unknown store", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"no-such-store","sku":"` + sku + `","quantity":1}`, Status: 404, Text: "no store"},
		{Name: "malformed slug", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"Bad Slug","sku":"` + sku + `","quantity":1}`, Status: 400, Text: "slug"},
		{Name: "another store's product", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"casa-cucina","sku":"` + other + `","quantity":1}`, Status: 409, Text: "your cart holds items from"},
		{Name: "stock exhausted", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + low + `","quantity":2}`, Status: 409, Text: "only 1"},
		{Name: "retired product", Who: "shopper", Method: "POST", Path: "/api/v1/cart/items", Body: `{"store":"lumen-electronics","sku":"` + retired + `","quantity":1}`, Status: 409, Text: "no longer sold"},
		{Name: "set quantity zero", Who: "shopper", Method: "PUT", Path: "/api/v1/cart/items/lumen-electronics/" + sku, Body: `{"quantity":0}`, Status: 400, Text: "between 1 and 99, not 0"},
		{Name: "set quantity of a product not in the cart", Who: "shopper", Method: "PUT", Path: "/api/v1/cart/items/lumen-electronics/" + low, Body: `{"quantity":1}`, Status: 404, Text: "not in your cart"},
		{Name: "remove a product not in the cart", Who: "shopper", Method: "DELETE", Path: "/api/v1/cart/items/lumen-electronics/" + low, Status: 404, Text: "not in your cart"},
		{Name: "order of someone else", Who: "shopper", Method: "GET", Path: "/api/v1/orders/ord_nope", Status: 404, Text: "no order"},
	}
	apptest.RunScenarios(t, a, apptest.Actors{"shopper": c}, tests, func(t *testing.T, _ apptest.Scenario) {
		if n, v, _ := c.Cart(); n != items || v != version {
			t.Fatalf("the cart changed: %d items v%d, was %d v%d", n, v, items, version)
		}
	})
	c.T = t
	// Empty cart checkout is refused; a guest sees only their own orders.
	stranger := apptest.NewClient(t, a)
	stranger.Must(409, "POST", "/api/v1/checkout", "{}")
	var checkout struct{ Order struct{ ID, State string } }
	c.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &checkout)
	stranger.Must(404, "GET", "/api/v1/orders/"+checkout.Order.ID, nil)
	stranger.Must(404, "POST", "/api/v1/orders/"+checkout.Order.ID+"/pay", "{}")
	var paid struct {
		Order struct {
			State       string
			TestPayment bool
		}
	}
	c.Must(200, "POST", "/api/v1/orders/"+checkout.Order.ID+"/pay", "{}").JSON(t, &paid)
	if paid.Order.State != "confirmed" || !paid.Order.TestPayment {
		t.Fatalf("offline payment: %+v", paid.Order)
	}
	// The store's staff see the order; another store's staff do not.
	lumen := apptest.SignedInAs(t, a, "agent", "lumen-electronics")
	casa := apptest.SignedInAs(t, a, "agent", "casa-cucina")
	if r := lumen.Must(200, "GET", "/api/v1/desk/orders", nil); !strings.Contains(r.Body, checkout.Order.ID) {
		t.Fatalf("the store's agent does not see its order")
	}
	if r := casa.Must(200, "GET", "/api/v1/desk/orders", nil); strings.Contains(r.Body, checkout.Order.ID) {
		t.Fatalf("another store's agent sees the order")
	}
	c.Must(401, "GET", "/api/v1/desk/orders", nil)
}

func TestTwoTabsOnOneCartStayInStep(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	tab1 := apptest.NewClient(t, a)
	sku := apptest.ProductOf(t, a, "north-peak-outfitters", false)
	tab1.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": "north-peak-outfitters", "sku": sku, "quantity": 1})
	req, _ := http.NewRequest("GET", base+"/api/v1/cart/events", nil)
	req.AddCookie(&http.Cookie{Name: "lm_guest", Value: tab1.Cookies["lm_guest"]})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				events <- line
			}
		}
		close(events)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case e := <-events:
			if !strings.Contains(e, want) {
				t.Fatalf("event %s, want %s", e, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no cart event with %s", want)
		}
	}
	t0 := time.Now()
	next(`"quantity":1`)
	t.Logf("first event after %v", time.Since(t0))
	tab2 := apptest.NewClient(t, a)
	tab2.Cookies = tab1.Cookies // the same browser, another tab
	tab2.Must(200, "PUT", "/api/v1/cart/items/north-peak-outfitters/"+sku, `{"quantity":3}`)
	t1 := time.Now()
	next(`"quantity":3`)
	t.Logf("second event after %v", time.Since(t1))
}

func TestStripeWebhookIsExemptFromCSRFButNeedsItsSignature(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) {
		c.StripeSecretKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_x", "whsec_x", "http://127.0.0.1:1"
	})
	c := apptest.NewClient(t, a)
	c.NoCSRF, c.Origin = true, ""
	r := c.Do("POST", "/api/v1/webhooks/stripe", `{"id":"evt_1","type":"payment_intent.succeeded"}`, "Stripe-Signature", "t=1,v1=00")
	if r.Status != 400 || !strings.Contains(r.Body, "webhook refused") {
		t.Fatalf("unsigned webhook: %d %s", r.Status, r.Body)
	}
}

func TestStoresShowSalesNumberLiveAgentsAndSearch(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	var list struct {
		Stores []struct {
			Slug, SalesNumber, SalesDisplay string
			AgentsOnline, ShoppersInside    int
		}
		Products []struct{ StoreSlug, SKU, Name string }
	}
	shopper := apptest.NewClient(t, a)
	shopper.Must(200, "GET", "/api/v1/stores", nil).JSON(t, &list)
	for _, s := range list.Stores {
		if len(s.SalesNumber) != 12 || s.SalesDisplay == "" || s.AgentsOnline != 0 {
			t.Fatalf("store %+v", s)
		}
	}
	agent := apptest.SignedInAs(t, a, "agent", "vinoteca-rossi")
	agent.OpenSocket(base)
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": "vinoteca-rossi", "sku": apptest.ProductOf(t, a, "vinoteca-rossi", false), "quantity": 1})
	apptest.WaitFor(t, 3*time.Second, "the agent to count as online", func() bool {
		var one struct {
			Store struct{ AgentsOnline, ShoppersInside int }
		}
		shopper.Must(200, "GET", "/api/v1/stores/vinoteca-rossi", nil).JSON(t, &one)
		return one.Store.AgentsOnline == 1 && one.Store.ShoppersInside == 1
	})
	shopper.Must(200, "GET", "/api/v1/stores?q=tent", nil).JSON(t, &list)
	if len(list.Products) == 0 || !strings.Contains(strings.ToLower(list.Products[0].Name), "tent") {
		t.Fatalf("search for tent: %+v", list.Products)
	}
	shopper.Must(400, "GET", "/api/v1/stores?q="+strings.Repeat("x", 101), nil)
}

func TestPaymentsFollowTheChosenMode(t *testing.T) {
	stripeKeys := func(c *config.Config) {
		c.StripeSecretKey, c.StripePublishableKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_x", "pk_test_x", "whsec_x", "http://127.0.0.1:1"
	}
	for _, tt := range []struct {
		name     string
		payments string
		stripe   bool
	}{
		{"stripe keys alone mean Stripe", "", true},
		{"stripe chosen", "stripe", true},
		{"offline chosen despite the keys", "offline", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := apptest.New(t, stripeKeys, func(c *config.Config) { c.Payments = tt.payments })
			if got := a.Shop.Orders.Provider().Name(); (got == "stripe") != tt.stripe {
				t.Fatalf("provider %s, want stripe %v", got, tt.stripe)
			}
			c := apptest.NewClient(t, a)
			c.NoCSRF, c.Origin = true, ""
			r := c.Do("POST", "/api/v1/webhooks/stripe", `{}`, "Stripe-Signature", "t=1,v1=00")
			if want := map[bool]int{true: 400, false: 404}[tt.stripe]; r.Status != want {
				t.Fatalf("webhook route: %d, want %d: %s", r.Status, want, r.Body)
			}
		})
	}
}

// TestStoreViewCountsAgreeWithOnlyASupervisorOnline shows the store view's
// two counts of agents (agentsOnline and the line's agentsFree) follow one
// rule: a supervisor online takes no calls, so neither counts them.
func TestStoreViewCountsAgreeWithOnlyASupervisorOnline(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	type storeView struct {
		Store struct {
			AgentsOnline int
			Queue        *struct {
				State      string
				AgentsFree int
			}
		}
	}
	shopper := apptest.NewClient(t, a)
	view := func() storeView {
		var v storeView
		shopper.Must(200, "GET", "/api/v1/stores/vinoteca-rossi", nil).JSON(t, &v)
		if v.Store.Queue == nil {
			t.Fatalf("store view without its line: %+v", v)
		}
		return v
	}
	supervisor := apptest.SignedInAs(t, a, "supervisor", "vinoteca-rossi")
	supervisor.OpenSocket(base)
	apptest.WaitFor(t, 3*time.Second, "the supervisor's presence", func() bool {
		states, err := a.Directory.States(t.Context(), []string{supervisor.AccountID()})
		return err == nil && states[supervisor.AccountID()] != directory.StateOffline
	})
	if v := view(); v.Store.AgentsOnline != 0 || v.Store.Queue.AgentsFree != 0 || v.Store.Queue.State != "closed" {
		t.Fatalf("only a supervisor online: agentsOnline %d, line %+v", v.Store.AgentsOnline, *v.Store.Queue)
	}
	agent := apptest.SignedInAs(t, a, "agent", "vinoteca-rossi")
	agent.OpenSocket(base)
	apptest.WaitFor(t, 3*time.Second, "the agent to count on both", func() bool {
		v := view()
		return v.Store.AgentsOnline == 1 && v.Store.Queue.AgentsFree == 1
	})
}
