package agentdesk_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
	lmmedia "github.com/livemall/livemall/media"
)

// boardItemOf decodes a board.item message.
func boardItemOf(t *testing.T, m lmmedia.Message) (id int64, kind, author string) {
	t.Helper()
	var d struct {
		EntryID string `json:"entryId"`
		Item    struct {
			ID     int64  `json:"id"`
			Kind   string `json:"kind"`
			Author string `json:"author"`
		} `json:"item"`
	}
	if err := json.Unmarshal(m.Data, &d); err != nil || d.Item.ID == 0 {
		t.Fatalf("board.item %s: %v", m.Data, err)
	}
	return d.Item.ID, d.Item.Kind, d.Item.Author
}

// boardAnswer is GET /boards/{entry} and /orders/{id}/board.
type boardAnswer struct {
	EntryID string
	Store   struct{ Slug string }
	Items   []struct {
		ID      int64
		Kind    string
		Author  string
		Text    string
		Points  [][2]float64
		Product *struct{ SKU, Name, Path string }
	}
}

// TestWhiteboardIsSharedAndReopensFromTheOrder draws on the board from
// both sides of a live engagement: each item reaches both parties in the
// order the server stored it, product cards are filled from the catalog,
// bad items and strangers are refused, an erased item leaves the board,
// and the board reads back from the engagement and from the order placed
// on the call — for the shopper, the agent and the store's supervisor
// only.
func TestWhiteboardIsSharedAndReopensFromTheOrder(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Bea Board", apptest.BornYearsAgo(35))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	e := engage(t, a, base, store, "VR-DECANT", shopper, "Wanda Agent")

	draw := func(p *apptest.Phone, data map[string]any) {
		data["entryId"] = e.entry
		p.Send("board.draw", data)
	}
	draw(e.sp, map[string]any{"kind": "stroke", "points": [][2]float64{{0.1, 0.1}, {0.2, 0.25}, {0.3, 0.2}}, "color": "#E11D48", "width": 4})
	var ids []int64
	for _, p := range []*apptest.Phone{e.sp, e.ap} {
		id, kind, author := boardItemOf(t, p.Expect("board.item", `"kind":"stroke"`, 5*time.Second))
		if kind != "stroke" || author != "shopper" {
			t.Fatalf("stroke arrived as %s by %s", kind, author)
		}
		ids = append(ids, id)
	}
	if ids[0] != ids[1] {
		t.Fatalf("the two parties saw different ids for one stroke: %v", ids)
	}
	draw(e.ap, map[string]any{"kind": "product", "sku": "VR-BAROLO-18", "x": 0.6, "y": 0.4})
	for _, p := range []*apptest.Phone{e.sp, e.ap} {
		m := p.Expect("board.item", `"kind":"product"`, 5*time.Second)
		if !strings.Contains(string(m.Data), `"name":"Barolo`) || !strings.Contains(string(m.Data), `"path":"/store/vinoteca-rossi/product/VR-BAROLO-18"`) {
			t.Fatalf("the product card is not filled from the catalog: %s", m.Data)
		}
	}
	draw(e.ap, map[string]any{"kind": "text", "text": "  Breathes in 30 minutes  ", "x": 0.1, "y": 0.8})
	textID, _, author := boardItemOf(t, e.sp.Expect("board.item", `"text":"Breathes in 30 minutes"`, 5*time.Second))
	e.ap.Expect("board.item", `"kind":"text"`, 5*time.Second)
	if author != "agent" {
		t.Fatalf("the text's author is %s", author)
	}

	// Bad items get a clear error and reach nobody.
	bad := []struct {
		data map[string]any
		code string
	}{
		{map[string]any{"kind": "stroke", "points": [][2]float64{{0.1, 1.5}}}, "invalid"},
		{map[string]any{"kind": "circle", "x": 0.1, "y": 0.1}, "invalid"},
		{map[string]any{"kind": "text", "text": "", "x": 0.1, "y": 0.1}, "invalid"},
		{map[string]any{"kind": "product", "sku": "NP-TENT-2P", "x": 0.1, "y": 0.1}, "not_found"}, // another store's product
		{map[string]any{"kind": "product", "sku": "VR-DECANT"}, "invalid"},
	}
	for _, b := range bad {
		draw(e.sp, b.data)
		if m := e.sp.Expect("error", `"code":"`+b.code+`"`, 5*time.Second); !strings.Contains(string(m.Data), `"for":"board.draw"`) {
			t.Fatalf("the error does not say which message it answers: %s", m.Data)
		}
	}
	outsider := apptest.Member(t, a, "Olga Outsider")
	op := apptest.NewPhone(t, outsider, base)
	op.Send("board.draw", map[string]any{"entryId": e.entry, "kind": "text", "text": "hi", "x": 0.5, "y": 0.5})
	op.Expect("error", `"code":"not_found"`, 5*time.Second)

	e.sp.Send("board.erase", map[string]any{"entryId": e.entry, "itemId": textID})
	e.ap.Expect("board.erased", `"itemId":`, 5*time.Second)
	e.sp.Expect("board.erased", `"itemId":`, 5*time.Second)
	e.sp.Send("board.erase", map[string]any{"entryId": e.entry, "itemId": textID})
	e.sp.Expect("error", `"code":"not_found"`, 5*time.Second)

	check := func(b boardAnswer, who string) {
		t.Helper()
		if b.EntryID != e.entry || b.Store.Slug != store || len(b.Items) != 2 || b.Items[0].Kind != "stroke" || len(b.Items[0].Points) != 3 ||
			b.Items[1].Product == nil || b.Items[1].Product.SKU != "VR-BAROLO-18" || b.Items[1].Author != "agent" {
			t.Fatalf("%s reads the board as %+v", who, b)
		}
	}
	var b boardAnswer
	shopper.Must(200, "GET", "/api/v1/boards/"+e.entry, nil).JSON(t, &b)
	check(b, "the shopper")
	e.agent.Must(200, "GET", "/api/v1/boards/"+e.entry, nil).JSON(t, &b)
	check(b, "the agent")
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, store)
	sup.Must(200, "GET", "/api/v1/boards/"+e.entry, nil).JSON(t, &b)
	check(b, "the store's supervisor")
	outsider.Must(404, "GET", "/api/v1/boards/"+e.entry, nil)
	apptest.SignedInAs(t, a, auth.RoleSupervisor, "north-peak-outfitters").Must(404, "GET", "/api/v1/boards/"+e.entry, nil)
	apptest.AgentOf(t, a, store, "Other Agent").Must(404, "GET", "/api/v1/boards/"+e.entry, nil)
	apptest.NewClient(t, a).Must(404, "GET", "/api/v1/boards/"+e.entry, nil)

	// The order placed on the call reopens the same board, after the call.
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	e.ap.Send("call.hangup", map[string]any{"callId": e.callID})
	apptest.WaitFor(t, 5*time.Second, "served", func() bool { return entryState(a, e.entry) == "served" })
	shopper.Must(200, "GET", "/api/v1/orders/"+o.Order.ID+"/board", nil).JSON(t, &b)
	check(b, "the shopper, from the order")
	sup.Must(200, "GET", "/api/v1/orders/"+o.Order.ID+"/board", nil).JSON(t, &b)
	check(b, "the supervisor, from the order")
	outsider.Must(404, "GET", "/api/v1/orders/"+o.Order.ID+"/board", nil)
	shopper.Must(404, "GET", "/api/v1/orders/ord_nope/board", nil)

	// An order bought alone has no board, and says why.
	solo := apptest.Member(t, a, "Sol Alone")
	solo.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	solo.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	if r := solo.Do("GET", "/api/v1/orders/"+o.Order.ID+"/board", nil); r.Status != 404 || !strings.Contains(string(r.Body), "not placed during a call") {
		t.Fatalf("board of an order bought alone: %d %s", r.Status, r.Body)
	}
}
