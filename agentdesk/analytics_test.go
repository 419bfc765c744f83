package agentdesk_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

// analyticsStore is the store whose history the analytics tests seed; its
// days are Berlin's (UTC+1 in early March).
const analyticsStore = "vinoteca-rossi"

// history is a seeded store history and the people in it.
type history struct {
	storeID, otherStoreID int64
	anna, ben             *apptest.Client // the store's agents
	annaID, benID         string
	supervisor            *apptest.Client
}

// berlin returns the instant of a Berlin wall-clock time in March 2026.
func berlin(t *testing.T, day int, clock string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04:05", fmt.Sprintf("2026-03-%02d %s", day, clock), loc)
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC()
}

// seedHistory writes a history of calls and orders over 2–4 March 2026
// (Berlin) and around it, worked out by hand in the comments of
// TestAnalyticsFiguresAgainstSeededHistory.
func seedHistory(t *testing.T, a *app.App) *history {
	t.Helper()
	h := &history{}
	var stores []struct {
		ID   int64
		Slug string
	}
	a.DB.Table("stores").Select("id, slug").Order("id").Scan(&stores)
	for _, s := range stores {
		if s.Slug == analyticsStore {
			h.storeID = s.ID
		} else if h.otherStoreID == 0 {
			h.otherStoreID = s.ID
		}
	}
	if err := a.DB.Exec("UPDATE stores SET time_zone = ?, service_level_seconds = ? WHERE id = ?", "Europe/Berlin", 20, h.storeID).Error; err != nil {
		t.Fatal(err)
	}
	h.anna = apptest.AgentOf(t, a, analyticsStore, "Anna Agent")
	h.ben = apptest.AgentOf(t, a, analyticsStore, "Ben Agent")
	h.annaID, h.benID = h.anna.AccountID(), h.ben.AccountID()
	h.supervisor = apptest.SignedInAs(t, a, auth.RoleSupervisor, analyticsStore)
	var products []int64
	a.DB.Table("products").Where("store_id = ?", h.storeID).Order("id").Limit(4).Pluck("id", &products)
	var otherProduct int64
	a.DB.Table("products").Where("store_id = ?", h.otherStoreID).Order("id").Limit(1).Pluck("id", &otherProduct)
	if len(products) < 4 || otherProduct == 0 {
		t.Fatalf("the demo stores need products: %v %d", products, otherProduct)
	}

	n := 0
	call := func(store int64, guest, agent, state string, entered time.Time, answerAfter, handle time.Duration) {
		t.Helper()
		n++
		row := map[string]any{"id": fmt.Sprintf("qe_hist_%02d", n), "store_id": store, "call_id": fmt.Sprintf("call_hist_%02d", n), "node": "test-node",
			"conn_id": "conn", "guest_hash": guest, "shopper_name": "Guest " + guest, "context": "{}", "state": state, "entered_at": entered,
			"callback": state == "callback"}
		if agent != "" {
			row["agent_account_id"] = agent
			row["offered_at"] = entered
		}
		if answerAfter >= 0 {
			row["answered_at"] = entered.Add(answerAfter)
			if handle >= 0 {
				row["ended_at"] = entered.Add(answerAfter + handle)
			}
		} else if state == "abandoned" {
			row["ended_at"] = entered.Add(45 * time.Second)
		}
		if err := a.DB.Table("queue_entries").Create(row).Error; err != nil {
			t.Fatalf("seed call %d: %v", n, err)
		}
	}
	// line is an order line: its product (index into products), price,
	// quantity and the agent who suggested it ("" for none).
	type line struct {
		product  int
		price    int64
		quantity int
		by       string
	}
	order := func(store int64, id, guest, state string, total int64, paid time.Time, lines ...line) {
		t.Helper()
		created := paid.Add(-2 * time.Minute)
		if err := a.DB.Table("orders").Create(map[string]any{"id": id, "store_id": store, "guest_hash": guest, "state": state, "subtotal_minor": total,
			"tax_minor": 0, "total_minor": total, "currency": "EUR", "needs_verification": false, "created_at": created, "updated_at": paid}).Error; err != nil {
			t.Fatalf("seed order %s: %v", id, err)
		}
		for _, l := range lines {
			p := otherProduct
			if store == h.storeID {
				p = products[l.product]
			}
			row := map[string]any{"order_id": id, "product_id": p, "sku": "SKU", "name": "Line", "unit_price_minor": l.price, "quantity": l.quantity, "age_limit": 0}
			if l.by != "" {
				row["suggested_by"] = l.by
			}
			if err := a.DB.Table("order_lines").Create(row).Error; err != nil {
				t.Fatalf("seed line of %s: %v", id, err)
			}
		}
		events := []map[string]any{{"order_id": id, "to_state": "draft", "actor": "test", "reason": "seeded", "at": created}}
		if state == "paid" || state == "confirmed" {
			events = append(events, map[string]any{"order_id": id, "from_state": "draft", "to_state": "paid", "actor": "test", "reason": "seeded", "at": paid})
		}
		if state == "confirmed" {
			events = append(events, map[string]any{"order_id": id, "from_state": "paid", "to_state": "confirmed", "actor": "test", "reason": "seeded", "at": paid.Add(time.Minute)})
		}
		for _, e := range events {
			if err := a.DB.Table("order_events").Create(e).Error; err != nil {
				t.Fatalf("seed event of %s: %v", id, err)
			}
		}
	}
	s, A, B := h.storeID, h.annaID, h.benID
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	const none = -1

	// 2 March.
	c1 := berlin(t, 2, "00:30:00") // 23:30 UTC on 1 March: Berlin's 2 March
	call(s, "g1", A, "served", c1, sec(10), sec(300))
	order(s, "ord_o1", "g1", "paid", 10000, c1.Add(sec(310)+time.Hour), line{0, 8000, 1, ""}, line{1, 2000, 1, A})
	call(s, "g2", B, "served", berlin(t, 2, "10:00:00"), sec(30), sec(200))
	call(s, "g3", "", "abandoned", berlin(t, 2, "11:00:00"), none, none)
	call(s, "g4", "", "message", berlin(t, 2, "12:00:00"), none, none)
	// 3 March.
	c5 := berlin(t, 3, "09:00:00")
	call(s, "g5", A, "served", c5, sec(20), sec(600))
	order(s, "ord_o2", "g5", "paid", 5000, c5.Add(sec(620)+23*time.Hour), line{0, 5000, 1, ""})
	order(s, "ord_o3", "g5", "paid", 7000, c5.Add(sec(620)+25*time.Hour), line{0, 7000, 1, ""}) // a day and an hour after: no call's
	c6 := berlin(t, 3, "14:00:00")
	call(s, "g1", B, "served", c6, sec(5), sec(100))
	// g1 called Anna on the 2nd and Ben now: the order is Ben's, the last call's.
	order(s, "ord_o4", "g1", "confirmed", 8000, c6.Add(sec(105)+30*time.Minute), line{1, 1500, 2, B}, line{2, 500, 1, B}, line{3, 4500, 1, ""})
	c7 := berlin(t, 3, "15:00:00")
	call(s, "g6", A, "connected", c7, sec(40), none)
	order(s, "ord_o5", "g6", "paid", 3000, c7.Add(sec(100)), line{0, 3000, 1, ""})
	order(s, "ord_o5b", "g6", "signed", 9000, c7.Add(sec(110)), line{1, 9000, 1, A})       // not paid
	order(s, "ord_o6", "g2", "paid", 6000, berlin(t, 3, "11:00:00"), line{0, 6000, 1, ""}) // 25 h after g2's call ended
	// 4 March.
	call(s, "g7", B, "abandoned", berlin(t, 4, "08:00:00"), none, none)
	call(s, "g10", "", "callback", berlin(t, 4, "10:00:00"), none, none)
	c9 := berlin(t, 4, "23:50:00")
	call(s, "g8", A, "served", c9, sec(15), sec(120))
	order(s, "ord_o7", "g8", "paid", 12000, berlin(t, 5, "01:00:00"), line{0, 8000, 1, ""}, line{2, 4000, 1, A}) // the next day, the call's still
	// Around the range, and in another store.
	call(s, "g9", A, "served", berlin(t, 5, "00:10:00"), sec(10), sec(60))
	call(s, "g9", A, "served", berlin(t, 1, "23:50:00"), sec(10), sec(60))
	call(h.otherStoreID, "g1", "", "abandoned", berlin(t, 3, "10:00:00"), none, none)
	order(h.otherStoreID, "ord_other", "g1", "paid", 4000, c1.Add(2*time.Hour), line{0, 4000, 1, ""})
	return h
}

// want is a figure set written by hand; rates as fractions, nil for none.
type want struct {
	offered, answered, abandoned, within int
	level, wait, handle                  *float64
	converted                            int
	conversion                           *float64
	orders, withAddOns                   int
	attach                               *float64
	revenue, addOnRevenue                int64
}

func f(v float64) *float64 { return &v }

func checkFigures(t *testing.T, what string, got agentdesk.Figures, w want) {
	t.Helper()
	ints := [][3]any{{"offered", got.Offered, w.offered}, {"answered", got.Answered, w.answered}, {"abandoned", got.Abandoned, w.abandoned},
		{"within service level", got.WithinServiceLevel, w.within}, {"converted", got.Converted, w.converted}, {"orders", got.Orders, w.orders},
		{"orders with add-ons", got.OrdersWithAddOns, w.withAddOns}}
	for _, c := range ints {
		if c[1] != c[2] {
			t.Errorf("%s: %s is %v, want %v", what, c[0], c[1], c[2])
		}
	}
	if got.RevenueMinor != w.revenue || got.AddOnRevenueMinor != w.addOnRevenue {
		t.Errorf("%s: revenue %d, add-ons %d; want %d, %d", what, got.RevenueMinor, got.AddOnRevenueMinor, w.revenue, w.addOnRevenue)
	}
	rates := []struct {
		name      string
		got, want *float64
	}{{"service level", got.ServiceLevel, w.level}, {"average wait", got.AverageWaitSeconds, w.wait}, {"average handle", got.AverageHandleSeconds, w.handle},
		{"conversion", got.Conversion, w.conversion}, {"attach rate", got.AttachRate, w.attach}}
	for _, r := range rates {
		switch {
		case r.got == nil && r.want == nil:
		case r.got == nil || r.want == nil:
			t.Errorf("%s: %s is %v, want %v", what, r.name, ptr(r.got), ptr(r.want))
		case math.Abs(*r.got-*r.want) > 1e-9:
			t.Errorf("%s: %s is %v, want %v", what, r.name, *r.got, *r.want)
		}
	}
}

func ptr(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(*v)
}

// The figures of the seeded history, by hand.
var (
	// 2 March: calls 1 (Anna, 10 s wait, 300 s, sold o1 with a 20.00
	// add-on), 2 (Ben, 30 s, 200 s), 3 (abandoned), 4 (left a message).
	wantMar2 = want{offered: 4, answered: 2, abandoned: 1, within: 1, level: f(0.25), wait: f(20), handle: f(250),
		converted: 1, conversion: f(0.5), orders: 1, withAddOns: 1, attach: f(1), revenue: 10000, addOnRevenue: 2000}
	// 3 March: calls 5 (Anna, 20 s: just within, 600 s, o2 paid 23 h
	// later), 6 (Ben, 5 s, 100 s, o4 with two add-on lines 2×15.00 +
	// 5.00), 7 (Anna, 40 s, still going, o5 paid during the call).
	wantMar3 = want{offered: 3, answered: 3, abandoned: 0, within: 2, level: f(2.0 / 3), wait: f(65.0 / 3), handle: f(350),
		converted: 3, conversion: f(1), orders: 3, withAddOns: 1, attach: f(1.0 / 3), revenue: 16000, addOnRevenue: 3500}
	// 4 March: calls 8 (abandoned ringing Ben), 12 (asked for a call
	// back), 9 (Anna at 23:50, 15 s, 120 s, o7 paid after midnight with a
	// 40.00 add-on).
	wantMar4 = want{offered: 3, answered: 1, abandoned: 1, within: 1, level: f(1.0 / 3), wait: f(15), handle: f(120),
		converted: 1, conversion: f(1), orders: 1, withAddOns: 1, attach: f(1), revenue: 12000, addOnRevenue: 4000}
	wantTotal = want{offered: 10, answered: 6, abandoned: 2, within: 4, level: f(0.4), wait: f(20), handle: f(264),
		converted: 5, conversion: f(5.0 / 6), orders: 5, withAddOns: 3, attach: f(0.6), revenue: 38000, addOnRevenue: 9500}
	// Anna: calls 1, 5, 7, 9.
	wantAnna = want{offered: 4, answered: 4, abandoned: 0, within: 3, level: f(0.75), wait: f(21.25), handle: f(340),
		converted: 4, conversion: f(1), orders: 4, withAddOns: 2, attach: f(0.5), revenue: 30000, addOnRevenue: 6000}
	// Ben: calls 2, 6, 8.
	wantBen = want{offered: 3, answered: 2, abandoned: 1, within: 1, level: f(1.0 / 3), wait: f(17.5), handle: f(150),
		converted: 1, conversion: f(0.5), orders: 1, withAddOns: 1, attach: f(1), revenue: 8000, addOnRevenue: 3500}
	noCalls = want{}
)

const historyRange = "/api/v1/desk/analytics?from=2026-03-02&to=2026-03-04"

// TestAnalyticsFiguresAgainstSeededHistory checks every figure of the
// supervisor's and the agents' reports against a history worked out by
// hand: days cut at Berlin's midnight, the service level's edge, orders
// within and beyond 24 h of a call, the last call taking the order, a
// call still going, add-on lines, and another store's calls and orders.
func TestAnalyticsFiguresAgainstSeededHistory(t *testing.T) {
	a := apptest.New(t)
	h := seedHistory(t, a)

	var r agentdesk.Report
	h.supervisor.Must(200, "GET", historyRange, nil).JSON(t, &r)
	if r.Range.First != "2026-03-02" || r.Range.Last != "2026-03-04" || r.Range.TimeZone != "Europe/Berlin" || r.ServiceLevelSeconds != 20 || r.Currency != "EUR" || r.Store.Slug != analyticsStore {
		t.Fatalf("report heading: %+v %d %s %+v", r.Range, r.ServiceLevelSeconds, r.Currency, r.Store)
	}
	if !r.Range.Start.Equal(time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)) || !r.Range.End.Equal(time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("range instants %v – %v, want Berlin's midnights", r.Range.Start, r.Range.End)
	}
	checkFigures(t, "store total", r.Totals, wantTotal)
	if len(r.Days) != 3 {
		t.Fatalf("%d days, want 3", len(r.Days))
	}
	for i, w := range []want{wantMar2, wantMar3, wantMar4} {
		if day := fmt.Sprintf("2026-03-%02d", i+2); r.Days[i].Day != day {
			t.Errorf("day %d is %s, want %s", i, r.Days[i].Day, day)
		}
		checkFigures(t, r.Days[i].Day, r.Days[i].Figures, w)
	}
	if r.Agent != nil {
		t.Errorf("the store's report names an agent: %+v", r.Agent)
	}
	byName := map[string]agentdesk.ReportAgent{}
	for _, ag := range r.Agents {
		byName[ag.Name] = ag
	}
	if len(r.Agents) != 3 || byName["Anna Agent"].ID != h.annaID || byName["Ben Agent"].ID != h.benID {
		t.Fatalf("agents: %+v", r.Agents)
	}
	checkFigures(t, "Anna", byName["Anna Agent"].Figures, wantAnna)
	checkFigures(t, "Ben", byName["Ben Agent"].Figures, wantBen)
	for _, ag := range r.Agents {
		if ag.ID != h.annaID && ag.ID != h.benID {
			checkFigures(t, "the demo agent", ag.Figures, noCalls)
		}
	}

	// The supervisor looks at one agent; each agent sees their own, by
	// default and by naming themselves.
	for _, c := range []struct {
		who  *apptest.Client
		path string
		id   string
		w    want
	}{
		{h.supervisor, historyRange + "&agent=" + h.benID, h.benID, wantBen},
		{h.anna, historyRange, h.annaID, wantAnna},
		{h.anna, historyRange + "&agent=" + h.annaID, h.annaID, wantAnna},
		{h.ben, historyRange, h.benID, wantBen},
	} {
		var mine agentdesk.Report
		c.who.Must(200, "GET", c.path, nil).JSON(t, &mine)
		if mine.Agent == nil || mine.Agent.ID != c.id || len(mine.Agents) != 0 {
			t.Fatalf("%s: agent %+v, agents %+v", c.path, mine.Agent, mine.Agents)
		}
		checkFigures(t, "own total "+mine.Agent.Name, mine.Totals, c.w)
		checkFigures(t, "own line "+mine.Agent.Name, mine.Agent.Figures, c.w)
	}
	var anna agentdesk.Report
	h.anna.Must(200, "GET", historyRange, nil).JSON(t, &anna)
	checkFigures(t, "Anna on 3 March", anna.Days[1].Figures, want{offered: 2, answered: 2, within: 1, level: f(0.5), wait: f(30), handle: f(600),
		converted: 2, conversion: f(1), orders: 2, attach: f(0), revenue: 8000})

	// One day before the range: only the call at 23:50 on 1 March, sold
	// nothing; a day with no calls has no rates.
	h.supervisor.Must(200, "GET", "/api/v1/desk/analytics?from=2026-03-01&to=2026-03-01", nil).JSON(t, &r)
	checkFigures(t, "1 March", r.Totals, want{offered: 1, answered: 1, within: 1, level: f(1), wait: f(10), handle: f(60), conversion: f(0)})
	h.supervisor.Must(200, "GET", "/api/v1/desk/analytics?from=2026-02-10&to=2026-02-10", nil).JSON(t, &r)
	checkFigures(t, "10 February", r.Totals, noCalls)
	// Another store's supervisor sees their own store's one call.
	var slug string
	a.DB.Table("stores").Where("id = ?", h.otherStoreID).Pluck("slug", &slug)
	other := apptest.SignedInAs(t, a, auth.RoleSupervisor, slug)
	other.Must(200, "GET", historyRange, nil).JSON(t, &r)
	checkFigures(t, "the other store", r.Totals, want{offered: 1, abandoned: 1, level: f(0)})

	// A stricter threshold moves the service level only.
	a.DB.Exec("UPDATE stores SET service_level_seconds = 10 WHERE id = ?", h.storeID)
	h.supervisor.Must(200, "GET", historyRange, nil).JSON(t, &r)
	w := wantTotal
	w.within, w.level = 2, f(0.2) // calls 1 (10 s) and 6 (5 s)
	checkFigures(t, "10 s threshold", r.Totals, w)
}

// TestAnalyticsCSV checks the export: the rows of the seeded history,
// RFC 4180 quoting and CRLF line ends, and an agent whose name a
// spreadsheet would run as a formula.
func TestAnalyticsCSV(t *testing.T) {
	a := apptest.New(t)
	h := seedHistory(t, a)
	if err := a.DB.Exec("UPDATE accounts SET name = ? WHERE id = ?", `=HYPERLINK("http://evil.example","Ben")`, h.benID).Error; err != nil {
		t.Fatal(err)
	}
	csvPath := strings.Replace(historyRange, "analytics?", "analytics.csv?", 1)
	req := httptest.NewRequest("GET", csvPath, nil)
	req.Host = "localhost:8080"
	for k, v := range h.supervisor.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := a.Fiber.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		res.Header.Get("Content-Disposition") != `attachment; filename="livemall-vinoteca-rossi-2026-03-02-2026-03-04.csv"` {
		t.Errorf("answer %d, headers %v", res.StatusCode, res.Header)
	}
	var demoAgent string
	a.DB.Table("accounts").Where("email = ?", agentdesk.DemoStaffEmail(analyticsStore, false)).Pluck("name", &demoAgent)
	r := h.supervisor.Must(200, "GET", csvPath, nil)
	lines := strings.Split(strings.TrimSuffix(r.Body, "\r\n"), "\r\n")
	want := []string{
		"period,agent,offered,answered,abandoned,answered_within_service_level,service_level,average_wait_seconds,average_handle_seconds,converted_calls,conversion,orders,orders_with_add_ons,attach_rate,revenue,add_on_revenue,assisted_orders,assisted_revenue,currency",
		"2026-03-02,All agents,4,2,1,1,0.2500,20.0,250.0,1,0.5000,1,1,1.0000,100.00,20.00,0,0.00,EUR",
		"2026-03-03,All agents,3,3,0,2,0.6667,21.7,350.0,3,1.0000,3,1,0.3333,160.00,35.00,0,0.00,EUR",
		"2026-03-04,All agents,3,1,1,1,0.3333,15.0,120.0,1,1.0000,1,1,1.0000,120.00,40.00,0,0.00,EUR",
		"2026-03-02 to 2026-03-04,All agents,10,6,2,4,0.4000,20.0,264.0,5,0.8333,5,3,0.6000,380.00,95.00,0,0.00,EUR",
		`2026-03-02 to 2026-03-04,"'=HYPERLINK(""http://evil.example"",""Ben"")",3,2,1,1,0.3333,17.5,150.0,1,0.5000,1,1,1.0000,80.00,35.00,0,0.00,EUR`,
		"2026-03-02 to 2026-03-04,Anna Agent,4,4,0,3,0.7500,21.2,340.0,4,1.0000,4,2,0.5000,300.00,60.00,0,0.00,EUR",
		"2026-03-02 to 2026-03-04," + demoAgent + ",0,0,0,0,,,,0,,0,0,,0.00,0.00,0,0.00,EUR",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("csv:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// An agent's own export holds their rows only.
	r = h.anna.Must(200, "GET", csvPath, nil)
	if n := strings.Count(r.Body, "\r\n"); n != 5 || !strings.Contains(r.Body, "2026-03-02 to 2026-03-04,Anna Agent,4,4,0,3,0.7500") || strings.Contains(r.Body, "All agents") {
		t.Errorf("Anna's csv (%d lines):\n%s", n, r.Body)
	}
}

// TestTransferredSaleIsCreditedToBothAgents checks the attributed sale of
// a transfer: the order stays the closing agent's, the agent who handed
// the call on is credited with it as assisted, the store counts it once;
// a transfer that was not taken, or that left for another store's line,
// credits nobody.
func TestTransferredSaleIsCreditedToBothAgents(t *testing.T) {
	a := apptest.New(t)
	h := seedHistory(t, a)
	demo := apptest.AgentOf(t, a, analyticsStore, "Dana Demo").AccountID()
	transfer := func(id, entry, from, to, state string, toStore int64) {
		t.Helper()
		at := berlin(t, 3, "09:05:00")
		row := map[string]any{"id": id, "entry_id": entry, "store_id": h.storeID, "to_store_id": toStore, "from_agent_id": from,
			"kind": "warm", "reason": "", "state": state, "created_at": at, "ended_at": at.Add(time.Minute)}
		if to != "" {
			row["to_agent_id"] = to
		}
		if err := a.DB.Table("engagement_transfers").Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Call 5 (g5, 3 March, ord_o2 5,000): Ben handed it to Anna, who closed.
	transfer("tr_1", "qe_hist_05", h.benID, h.annaID, "completed", h.storeID)
	// Dana's transfers of it were not taken, or went to another store.
	transfer("tr_2", "qe_hist_05", demo, h.annaID, "no_answer", h.storeID)
	transfer("tr_3", "qe_hist_01", demo, "", "queued", h.otherStoreID)

	var r agentdesk.Report
	h.supervisor.Must(200, "GET", historyRange, nil).JSON(t, &r)
	checkFigures(t, "store total", r.Totals, wantTotal)
	if r.Totals.AssistedOrders != 1 || r.Totals.AssistedRevenueMinor != 5000 || r.Days[1].AssistedOrders != 1 || r.Days[0].AssistedOrders != 0 {
		t.Errorf("store assists: total %d/%d, 2 March %d, 3 March %d", r.Totals.AssistedOrders, r.Totals.AssistedRevenueMinor, r.Days[0].AssistedOrders, r.Days[1].AssistedOrders)
	}
	for _, ag := range r.Agents {
		want := map[string]int64{h.benID: 5000}[ag.ID]
		if ag.AssistedRevenueMinor != want || ag.AssistedOrders != map[bool]int{true: 1}[want > 0] {
			t.Errorf("%s assisted %d orders, %d: want %d", ag.Name, ag.AssistedOrders, ag.AssistedRevenueMinor, want)
		}
		switch ag.ID {
		case h.annaID:
			checkFigures(t, "Anna", ag.Figures, wantAnna)
		case h.benID:
			checkFigures(t, "Ben", ag.Figures, wantBen)
		}
	}
	// Ben's own report counts the assist; Anna's does not.
	var ben, anna agentdesk.Report
	h.ben.Must(200, "GET", historyRange, nil).JSON(t, &ben)
	checkFigures(t, "Ben's own", ben.Agent.Figures, wantBen)
	if ben.Agent.AssistedOrders != 1 || ben.Totals.AssistedRevenueMinor != 5000 || ben.Days[1].AssistedOrders != 1 {
		t.Errorf("Ben's own assists: %+v, totals %+v", ben.Agent.Figures, ben.Totals)
	}
	h.anna.Must(200, "GET", historyRange, nil).JSON(t, &anna)
	checkFigures(t, "Anna's own", anna.Agent.Figures, wantAnna)
	if anna.Agent.AssistedOrders != 0 || anna.Totals.AssistedOrders != 0 {
		t.Errorf("Anna's own assists: %+v", anna.Agent.Figures)
	}
}
