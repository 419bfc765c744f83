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

	tests := []struct {
		name         string
		who          *apptest.Client
		method, path string
		body         string
		want         int
		message      string
	}{
		{"guests are never shown", guest, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"}`, 401, "sign in"},
		{"agents are not shoppers", agent, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"}`, 403, "role"},
		{"empty body", m, "POST", "/api/v1/mall/presence", ` `, 400, "body is empty"},
		{"not an object", m, "POST", "/api/v1/mall/presence", `["lumen-electronics"]`, 400, "JSON object"},
		{"store missing", m, "POST", "/api/v1/mall/presence", `{}`, 400, `"store" is required`},
		{"store not a string", m, "POST", "/api/v1/mall/presence", `{"store":7}`, 400, "must be"},
		{"unknown field", m, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics","page":"x"}`, 400, "unknown field"},
		{"malformed", m, "POST", "/api/v1/mall/presence", `{"store":`, 400, "malformed JSON"},
		{"trailing data", m, "POST", "/api/v1/mall/presence", `{"store":"lumen-electronics"} {}`, 400, "after the object"},
		{"bad slug", m, "POST", "/api/v1/mall/presence", `{"store":"../admin"}`, 400, "store slug"},
		{"unknown store", m, "POST", "/api/v1/mall/presence", `{"store":"no-such-store"}`, 404, "no store"},
		{"wrong verb", m, "GET", "/api/v1/mall/presence", "", 404, "no API endpoint"},
		{"profile show not a boolean", m, "PATCH", "/api/v1/directory/me", `{"showInMall":"yes"}`, 400, "showInMall"},
		{"profile show null changes nothing", m, "PATCH", "/api/v1/directory/me", `{"showInMall":null}`, 200, ""},
		{"profile unknown field", m, "PATCH", "/api/v1/directory/me", `{"showInStore":true}`, 400, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.who
			c.T = t
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := c.Do(tt.method, tt.path, body)
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.want, r.Body)
			}
			if tt.message != "" {
				var e struct{ Error struct{ Message string } }
				r.JSON(t, &e)
				if !strings.Contains(e.Error.Message, tt.message) {
					t.Fatalf("message %q, want %q", e.Error.Message, tt.message)
				}
			}
		})
	}
	// None of the refused requests left a trace.
	var n int64
	a.DB.Table("mall_presence").Count(&n)
	if n != 0 {
		t.Fatalf("%d sightings recorded by refused requests", n)
	}
}
