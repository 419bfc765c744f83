package mall_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
)

// storeVisitors is a store's visitors as GET /stores shows them, by slug.
type storeVisitors map[string][]struct {
	Name     string `json:"name"`
	Initials string `json:"initials"`
	Color    string `json:"color"`
}

// visitorsDowntown lists every store's visitors as anyone (a guest) sees them.
func visitorsDowntown(t *testing.T, c *apptest.Client) storeVisitors {
	t.Helper()
	c.T = t
	var resp struct {
		Stores []struct {
			Slug     string          `json:"slug"`
			Visitors json.RawMessage `json:"visitors"`
		} `json:"stores"`
	}
	c.Must(200, "GET", "/api/v1/stores", nil).JSON(t, &resp)
	out := storeVisitors{}
	for _, s := range resp.Stores {
		if string(s.Visitors) == "null" || len(s.Visitors) == 0 {
			t.Fatalf("store %s has no visitors array: %s", s.Slug, s.Visitors)
		}
		var v []struct {
			Name     string `json:"name"`
			Initials string `json:"initials"`
			Color    string `json:"color"`
		}
		if err := json.Unmarshal(s.Visitors, &v); err != nil {
			t.Fatalf("decode visitors of %s: %v", s.Slug, err)
		}
		out[s.Slug] = v
	}
	return out
}

// names lists the visitors' first names.
func (v storeVisitors) names(slug string) string {
	var out []string
	for _, x := range v[slug] {
		out = append(out, x.Name)
	}
	return strings.Join(out, ",")
}

func TestMallVisitorsShowOptedInMembersInTheirStore(t *testing.T) {
	a := apptest.New(t)
	guest := apptest.NewClient(t, a)
	ana := apptest.Member(t, a, "Ana Lima")
	bo := apptest.Member(t, a, "Bo Berg")

	// Opted out by default: the visit is not even recorded.
	var me struct {
		ShowInMall bool `json:"showInMall"`
	}
	ana.Must(200, "GET", "/api/v1/directory/me", nil).JSON(t, &me)
	if me.ShowInMall {
		t.Fatal("a new member is shown in the mall without choosing it")
	}
	var shown struct{ Shown bool }
	ana.Must(200, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"}`).JSON(t, &shown)
	if shown.Shown {
		t.Fatal("presence of a member who did not opt in reported as shown")
	}
	if got := visitorsDowntown(t, guest).names("lumen-electronics"); got != "" {
		t.Fatalf("visitors before opting in: %q", got)
	}

	ana.Must(200, "PATCH", "/api/v1/directory/me", `{"showInMall":true}`).JSON(t, &me)
	if !me.ShowInMall {
		t.Fatal("PATCH showInMall true did not stick")
	}
	ana.Must(200, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"}`).JSON(t, &shown)
	if !shown.Shown {
		t.Fatal("presence of an opted-in member reported as not shown")
	}
	// Bo looks at a store too but never opted in.
	bo.Must(200, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"}`)

	v := visitorsDowntown(t, guest)
	if got := v.names("lumen-electronics"); got != "Ana" {
		t.Fatalf("Lumen's visitors %q, want Ana only (first name)", got)
	}
	ana1 := v["lumen-electronics"][0]
	if ana1.Initials != "AL" || !strings.HasPrefix(ana1.Color, "#") || len(ana1.Color) != 7 {
		t.Fatalf("Ana shown as %+v", ana1)
	}
	if got := v.names("vinoteca-rossi"); got != "" {
		t.Fatalf("Vinoteca's visitors %q, want none", got)
	}
	// Nothing private leaks: no email, no surname, no number, no birth date.
	body := guest.Must(200, "GET", "/api/v1/stores", nil).Body
	for _, secret := range []string{"ana.lima@example.com", "Lima", "1990-01-01"} {
		if strings.Contains(body, secret) {
			t.Fatalf("stores API shows %q", secret)
		}
	}
	// The store and product pages carry the same visitors.
	var one struct {
		Store struct {
			Visitors []struct{ Name string } `json:"visitors"`
		} `json:"store"`
	}
	guest.Must(200, "GET", "/api/v1/stores/lumen-electronics", nil).JSON(t, &one)
	if len(one.Store.Visitors) != 1 || one.Store.Visitors[0].Name != "Ana" {
		t.Fatalf("store page visitors %+v", one.Store.Visitors)
	}

	// Moving to another store moves the avatar.
	ana.Must(200, "POST", "/api/v1/mall/presence", `{"store":"vinoteca-rossi"}`)
	v = visitorsDowntown(t, guest)
	if v.names("lumen-electronics") != "" || v.names("vinoteca-rossi") != "Ana" {
		t.Fatalf("after moving: Lumen %q, Vinoteca %q", v.names("lumen-electronics"), v.names("vinoteca-rossi"))
	}

	// Opting out removes her at once, before the window runs out.
	ana.Must(200, "PATCH", "/api/v1/directory/me", `{"showInMall":false}`)
	if got := visitorsDowntown(t, guest).names("vinoteca-rossi"); got != "" {
		t.Fatalf("visitors after opting out: %q", got)
	}
}

func TestMallVisitorsExpireAfterTheWindow(t *testing.T) {
	a := apptest.New(t)
	a.MallPresence.SetWindow(time.Second)
	guest := apptest.NewClient(t, a)
	cy := apptest.Member(t, a, "Cyrano")
	cy.Must(200, "PATCH", "/api/v1/directory/me", `{"showInMall":true}`)
	cy.Must(200, "POST", "/api/v1/mall/presence", `{"store":"casa-cucina"}`)
	v := visitorsDowntown(t, guest)
	if got := v.names("casa-cucina"); got != "Cyrano" {
		t.Fatalf("visitors %q, want Cyrano", got)
	}
	if v["casa-cucina"][0].Initials != "C" {
		t.Fatalf("one-word name initials %q", v["casa-cucina"][0].Initials)
	}
	apptest.WaitFor(t, 3*time.Second, "Cyrano to leave Casa Cucina", func() bool {
		return visitorsDowntown(t, guest).names("casa-cucina") == ""
	})
	// A heartbeat brings her back.
	cy.Must(200, "POST", "/api/v1/mall/presence", `{"store":"casa-cucina"}`)
	if got := visitorsDowntown(t, guest).names("casa-cucina"); got != "Cyrano" {
		t.Fatalf("visitors after a new heartbeat %q, want Cyrano", got)
	}
}

func TestMallVisitorsAtMostEightPerStore(t *testing.T) {
	a := apptest.New(t)
	guest := apptest.NewClient(t, a)
	for _, name := range []string{"Ann A", "Ben B", "Cat C", "Dan D", "Eve E", "Fay F", "Gus G", "Hal H", "Ivy I"} {
		m := apptest.Member(t, a, name)
		m.Must(200, "PATCH", "/api/v1/directory/me", `{"showInMall":true}`)
		m.Must(200, "POST", "/api/v1/mall/presence", `{"store":"north-peak-outfitters"}`)
	}
	if got := len(visitorsDowntown(t, guest)["north-peak-outfitters"]); got != 8 {
		t.Fatalf("%d visitors shown, want 8", got)
	}
}

func TestMallPresenceErrorCases(t *testing.T) {
	a := apptest.New(t)
	m := apptest.Member(t, a, "Dee Ray")
	guest := apptest.NewClient(t, a)
	agent := apptest.SignedInAs(t, a, "agent", "lumen-electronics")

	tests := []apptest.Scenario{
		{Name: "guests are never shown", Who: "guest", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"lumen-electronics"}`, Status: 401, Text: "sign in"},
		{Name: "agents are not shoppers", Who: "agent", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"lumen-electronics"}`, Status: 403, Text: "role"},
		{Name: "empty body", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: ` `, Status: 400, Text: "body is empty"},
		{Name: "not an object", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `["lumen-electronics"]`, Status: 400, Text: "JSON object"},
		{Name: "store missing", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{}`, Status: 400, Text: `"store" is required`},
		{Name: "store not a string", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":7}`, Status: 400, Text: "must be"},
		{Name: "unknown field", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"lumen-electronics","page":"x"}`, Status: 400, Text: "unknown field"},
		{Name: "malformed", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":`, Status: 400, Text: "malformed JSON"},
		{Name: "trailing data", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"lumen-electronics"} {}`, Status: 400, Text: "after the object"},
		{Name: "bad slug", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"../admin"}`, Status: 400, Text: "store slug"},
		{Name: "unknown store", Who: "member", Method: "POST", Path: "/api/v1/mall/presence", Body: `{"store":"no-such-store"}`, Status: 404, Text: "no store"},
		{Name: "wrong verb", Who: "member", Method: "GET", Path: "/api/v1/mall/presence", Status: 404, Text: "no API endpoint"},
		{Name: "profile show not a boolean", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"showInMall":"yes"}`, Status: 400, Text: "showInMall"},
		{Name: "profile show null changes nothing", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"showInMall":null}`, Status: 200},
		{Name: "profile unknown field", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"showInStore":true}`, Status: 400, Text: "unknown field"},
	}
	apptest.RunScenarios(t, a, apptest.Actors{"guest": guest, "member": m, "agent": agent}, tests)
	// None of the refused requests left a trace.
	var n int64
	a.DB.Table("mall_presence").Count(&n)
	if n != 0 {
		t.Fatalf("%d sightings recorded by refused requests", n)
	}
}
