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

	tests := []apptest.Scenario{
		{Name: "resolve needs a session", Who: "signed out", Method: "GET", Path: "/api/v1/numbers/200000000001", Status: 401, Text: "sign in"},
		{Name: "resolve letters", Who: "member", Method: "GET", Path: "/api/v1/numbers/2000abcd0001", Status: 400, Text: "is not a digit"},
		{Name: "resolve 11 digits", Who: "member", Method: "GET", Path: "/api/v1/numbers/20000000001", Status: 400, Text: "has 11"},
		{Name: "resolve 13 digits", Who: "member", Method: "GET", Path: "/api/v1/numbers/2000000000011", Status: 400, Text: "has 13"},
		{Name: "resolve first digit 1", Who: "member", Method: "GET", Path: "/api/v1/numbers/100000000001", Status: 400, Text: "from 2 to 9"},
		{Name: "resolve nobody", Who: "member", Method: "GET", Path: "/api/v1/numbers/999999999990", Status: 404, Text: "nobody has the number 9999 9999 9990"},
		{Name: "availability bad", Who: "signed out", Method: "GET", Path: "/api/v1/numbers/0000/availability", Status: 400, Text: "has 4"},
		{Name: "directory needs a session", Who: "signed out", Method: "GET", Path: "/api/v1/directory", Status: 401, Text: "sign in"},
		{Name: "directory bad limit", Who: "member", Method: "GET", Path: "/api/v1/directory?limit=500", Status: 400, Text: "between 1 and 100"},
		{Name: "directory limit not a number", Who: "member", Method: "GET", Path: "/api/v1/directory?limit=ten", Status: 400, Text: "whole number"},
		{Name: "directory bad online", Who: "member", Method: "GET", Path: "/api/v1/directory?online=maybe", Status: 400, Text: "true or false"},
		{Name: "directory bad cursor", Who: "member", Method: "GET", Path: "/api/v1/directory?cursor=xyz", Status: 400, Text: "cursor"},
		{Name: "directory bad interest", Who: "member", Method: "GET", Path: "/api/v1/directory?interest=%3Cscript%3E", Status: 400, Text: "letters, digits"},
		{Name: "me is for members", Who: "agent", Method: "GET", Path: "/api/v1/directory/me", Status: 403, Text: "role"},
		{Name: "patch unknown field", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"number":"x"}`, Status: 400, Text: "unknown field"},
		{Name: "patch bad ring mode", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"ringMode":"loud"}`, Status: 400, Text: "ring mode"},
		{Name: "patch too many interests", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"interests":["a","b","c","d","e","f","g","h","i","j","k"]}`, Status: 400, Text: "at most 10"},
		{Name: "patch bad interest", Who: "member", Method: "PATCH", Path: "/api/v1/directory/me", Body: `{"interests":["ok","not ok!"]}`, Status: 400, Text: "letters, digits"},
		{Name: "add number missing", Who: "member", Method: "POST", Path: "/api/v1/directory/me/numbers", Body: `{}`, Status: 400, Text: `"number" is required`},
		{Name: "add number invalid", Who: "member", Method: "POST", Path: "/api/v1/directory/me/numbers", Body: `{"number":"12"}`, Status: 400, Text: "has 2"},
		{Name: "add number taken", Who: "member", Method: "POST", Path: "/api/v1/directory/me/numbers", Body: `{"number":"` + taken + `"}`, Status: 409, Text: "free numbers close to it"},
		{Name: "add number free", Who: "member", Method: "POST", Path: "/api/v1/directory/me/numbers", Body: `{"number":"7777-7777-7777"}`, Status: 201},
		{Name: "add number twice", Who: "member", Method: "POST", Path: "/api/v1/directory/me/numbers", Body: `{"number":"7777 7777 7777"}`, Status: 409, Text: "is taken"},
		{Name: "signup vanity invalid", Who: "signed out", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: `{"name":"N","email":"n@example.com","birthDate":"1990-01-01","address":"x","vanityNumber":"77"}`, Status: 400, Text: "has 2"},
		{Name: "signup vanity taken", Who: "signed out", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: `{"name":"N","email":"n@example.com","birthDate":"1990-01-01","address":"x","vanityNumber":"` + taken + `"}`, Status: 409, Text: "is taken"},
		{Name: "bad device parameter", Who: "member", Method: "GET", Path: "/api/v1/ws?device=../../etc", Headers: []string{"Connection", "Upgrade", "Upgrade", "websocket", "Origin", apptest.Origin}, Status: 400, Text: "device id"},
	}
	apptest.RunScenarios(t, a, apptest.Actors{"signed out": anon, "member": m, "agent": agent}, tests)
	// A member holds at most five numbers.
	m.T = t
	for _, n := range []string{"777777777771", "777777777772", "777777777773"} {
		m.Must(201, "POST", "/api/v1/directory/me/numbers", `{"number":"`+n+`"}`)
	}
	if r := m.Do("POST", "/api/v1/directory/me/numbers", `{"number":"777777777774"}`); r.Status != 409 || !strings.Contains(r.Body, "the most one member may hold") {
		t.Fatalf("sixth number: %d %s", r.Status, r.Body)
	}
}
