package directory_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
)

func names(l apptest.Listing) string {
	var out []string
	for _, m := range l.Members {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

func TestDirectoryListsVerifiedListedMembers(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Zed Unverified", "zed@example.com", "1990-01-01")

	all := c.List("")
	if got := names(all); got != "Ana Souza,Ben Okafor,Clara Weiss,Dev Patel,Emma Lindqvist,Farid Haddad" {
		t.Fatalf("directory = %s (an unverified member must not be listed)", got)
	}
	for _, m := range all.Members {
		if m.Display != directory.Number(m.Number).String() || m.State != "offline" {
			t.Fatalf("listing %+v", m)
		}
	}
	if got := names(c.List("q=" + url.QueryEscape("WEISS"))); got != "Clara Weiss" {
		t.Fatalf("q=clara: %s", got)
	}
	if got := names(c.List("interest=wine")); got != "Ana Souza,Farid Haddad" {
		t.Fatalf("interest=wine: %s", got)
	}
	prefix := all.Members[0].Number[:9]
	if got := c.List("q=" + url.QueryEscape(directory.Number(all.Members[0].Number).String()[:11])); len(got.Members) == 0 || got.Members[0].Number[:9] != prefix {
		t.Fatalf("number prefix search: %+v", got)
	}
	if got := names(c.List("q=%25")); got != "" {
		t.Fatalf("a literal %% must not match everyone: %s", got)
	}

	// Pages of two, following the cursor.
	var paged []string
	cursor := ""
	for i := 0; i < 5; i++ {
		q := "limit=2"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		page := c.List(q)
		paged = append(paged, names(page))
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if strings.Join(paged, ",") != names(all) {
		t.Fatalf("pages %v do not add up to %s", paged, names(all))
	}

	// Unlisted members disappear from the list but still resolve.
	var anaID string
	a.DB.Table("accounts").Where("email = ?", "ana@demo.livemall.example").Pluck("id", &anaID)
	a.DB.Table("member_profiles").Where("account_id = ?", anaID).Update("listed", false)
	if strings.Contains(names(c.List("")), "Ana Souza") {
		t.Fatal("an unlisted member is listed")
	}
	if r := c.Resolve(all.Members[0].Number); r.Party.Name != "Ana Souza" {
		t.Fatalf("unlisted number resolves to %+v", r.Party)
	}
	if got := c.List("online=true"); len(got.Members) != 0 {
		t.Fatalf("online=true with nobody online: %s", names(got))
	}
}

func TestDirectoryAPIErrorCases(t *testing.T) {
	a := apptest.New(t)
	m := apptest.NewClient(t, a)
	m.SignUp("Mia", "mia@example.com", "1990-01-01")
	anon := apptest.NewClient(t, a)
	agent := apptest.SignedInAs(t, a, "agent", "lumen-electronics")
	var taken string
	a.DB.Table("numbers").Where("party_type = ?", "queue").Limit(1).Pluck("number", &taken)

	tests := []struct {
		name         string
		who          *apptest.Client
		method, path string
		body         string
		want         int
		message      string
	}{
		{"resolve needs a session", anon, "GET", "/api/v1/numbers/200000000001", "", 401, "sign in"},
		{"resolve letters", m, "GET", "/api/v1/numbers/2000abcd0001", "", 400, "is not a digit"},
		{"resolve 11 digits", m, "GET", "/api/v1/numbers/20000000001", "", 400, "has 11"},
		{"resolve 13 digits", m, "GET", "/api/v1/numbers/2000000000011", "", 400, "has 13"},
		{"resolve first digit 1", m, "GET", "/api/v1/numbers/100000000001", "", 400, "from 2 to 9"},
		{"resolve nobody", m, "GET", "/api/v1/numbers/999999999990", "", 404, "nobody has the number 9999 9999 9990"},
		{"availability bad", anon, "GET", "/api/v1/numbers/0000/availability", "", 400, "has 4"},
		{"directory needs a session", anon, "GET", "/api/v1/directory", "", 401, "sign in"},
		{"directory bad limit", m, "GET", "/api/v1/directory?limit=500", "", 400, "between 1 and 100"},
		{"directory limit not a number", m, "GET", "/api/v1/directory?limit=ten", "", 400, "whole number"},
		{"directory bad online", m, "GET", "/api/v1/directory?online=maybe", "", 400, "true or false"},
		{"directory bad cursor", m, "GET", "/api/v1/directory?cursor=xyz", "", 400, "cursor"},
		{"directory bad interest", m, "GET", "/api/v1/directory?interest=%3Cscript%3E", "", 400, "letters, digits"},
		{"me is for members", agent, "GET", "/api/v1/directory/me", "", 403, "role"},
		{"patch unknown field", m, "PATCH", "/api/v1/directory/me", `{"number":"x"}`, 400, "unknown field"},
		{"patch bad ring mode", m, "PATCH", "/api/v1/directory/me", `{"ringMode":"loud"}`, 400, "ring mode"},
		{"patch too many interests", m, "PATCH", "/api/v1/directory/me", `{"interests":["a","b","c","d","e","f","g","h","i","j","k"]}`, 400, "at most 10"},
		{"patch bad interest", m, "PATCH", "/api/v1/directory/me", `{"interests":["ok","not ok!"]}`, 400, "letters, digits"},
		{"add number missing", m, "POST", "/api/v1/directory/me/numbers", `{}`, 400, `"number" is required`},
		{"add number invalid", m, "POST", "/api/v1/directory/me/numbers", `{"number":"12"}`, 400, "has 2"},
		{"add number taken", m, "POST", "/api/v1/directory/me/numbers", `{"number":"` + taken + `"}`, 409, "free numbers close to it"},
		{"add number free", m, "POST", "/api/v1/directory/me/numbers", `{"number":"7777-7777-7777"}`, 201, ""},
		{"add number twice", m, "POST", "/api/v1/directory/me/numbers", `{"number":"7777 7777 7777"}`, 409, "is taken"},
		{"signup vanity invalid", anon, "POST", "/api/v1/auth/signup/begin", `{"name":"N","email":"n@example.com","birthDate":"1990-01-01","address":"x","vanityNumber":"77"}`, 400, "has 2"},
		{"signup vanity taken", anon, "POST", "/api/v1/auth/signup/begin", `{"name":"N","email":"n@example.com","birthDate":"1990-01-01","address":"x","vanityNumber":"` + taken + `"}`, 409, "is taken"},
		{"bad device parameter", m, "GET", "/api/v1/ws?device=../../etc", "", 400, "device id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.who
			c.T = t
			var body any
			if tt.body != "" {
				body = tt.body
			}
			var headers []string
			if tt.name == "bad device parameter" {
				headers = []string{"Connection", "Upgrade", "Upgrade", "websocket", "Origin", apptest.Origin}
			}
			r := c.Do(tt.method, tt.path, body, headers...)
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
	// A member holds at most five numbers.
	m.T = t
	for _, n := range []string{"777777777771", "777777777772", "777777777773"} {
		m.Must(201, "POST", "/api/v1/directory/me/numbers", `{"number":"`+n+`"}`)
	}
	if r := m.Do("POST", "/api/v1/directory/me/numbers", `{"number":"777777777774"}`); r.Status != 409 || !strings.Contains(r.Body, "the most one member may hold") {
		t.Fatalf("sixth number: %d %s", r.Status, r.Body)
	}
}
