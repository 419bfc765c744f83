package app_test

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

func TestRoleBoundaries(t *testing.T) {
	a := apptest.New(t)
	const store = "lumen-electronics"
	clients := apptest.Actors{
		"anonymous":  apptest.NewClient(t, a),
		"member":     apptest.SignedInAs(t, a, auth.RoleMember, store),
		"agent":      apptest.SignedInAs(t, a, auth.RoleAgent, store),
		"supervisor": apptest.SignedInAs(t, a, auth.RoleSupervisor, store),
		"admin":      apptest.SignedInAs(t, a, auth.RoleAdmin, "mall"),
	}
	// staff is the body of an addition of staff, with an address of who's.
	staff := func(who string) string { return `{"store":"casa-cucina","email":"x-` + who + `@test.example"}` }
	tests := []apptest.Scenario{
		{Who: "anonymous", Method: "GET", Path: "/api/v1/desk/store", Status: 401},
		{Who: "member", Method: "GET", Path: "/api/v1/desk/store", Status: 403},
		{Who: "agent", Method: "GET", Path: "/api/v1/desk/store", Status: 200},
		{Who: "supervisor", Method: "GET", Path: "/api/v1/desk/store", Status: 200},
		{Who: "admin", Method: "GET", Path: "/api/v1/desk/store", Status: 403},
		{Who: "anonymous", Method: "GET", Path: "/api/v1/desk/team", Status: 401},
		{Who: "member", Method: "GET", Path: "/api/v1/desk/team", Status: 403},
		{Who: "agent", Method: "GET", Path: "/api/v1/desk/team", Status: 403},
		{Who: "supervisor", Method: "GET", Path: "/api/v1/desk/team", Status: 200},
		{Who: "anonymous", Method: "GET", Path: "/api/v1/admin/accounts", Status: 401},
		{Who: "member", Method: "GET", Path: "/api/v1/admin/accounts", Status: 403},
		{Who: "agent", Method: "GET", Path: "/api/v1/admin/accounts", Status: 403},
		{Who: "supervisor", Method: "GET", Path: "/api/v1/admin/accounts", Status: 403},
		{Who: "admin", Method: "GET", Path: "/api/v1/admin/accounts", Status: 200},
		{Who: "member", Method: "POST", Path: "/api/v1/admin/staff", Body: staff("member"), Status: 403},
		{Who: "agent", Method: "POST", Path: "/api/v1/admin/staff", Body: staff("agent"), Status: 403},
		{Who: "supervisor", Method: "POST", Path: "/api/v1/admin/staff", Body: staff("supervisor"), Status: 403},
		{Who: "admin", Method: "POST", Path: "/api/v1/admin/staff", Body: staff("admin"), Status: 201},
	}
	apptest.RunScenarios(t, a, clients, tests)
	// A supervisor sees only their own store's team.
	var team struct{ Team []struct{ Email string } }
	clients["supervisor"].T = t
	clients["supervisor"].Must(200, "GET", "/api/v1/desk/team", nil).JSON(t, &team)
	for _, m := range team.Team {
		if strings.Contains(m.Email, "casa-cucina") {
			t.Fatalf("supervisor of %s sees %s", store, m.Email)
		}
	}
	if len(team.Team) < 2 {
		t.Fatalf("team = %+v, want at least the demo agent and supervisor", team.Team)
	}
}

func TestCSRFAndOriginChecks(t *testing.T) {
	a := apptest.New(t)
	// Each browser is prepared before its request: with or without the
	// CSRF token, from this origin, another or none.
	browser := func(prepare func(c *apptest.Client)) *apptest.Client {
		c := apptest.NewClient(t, a)
		prepare(c)
		return c
	}
	browsers := apptest.Actors{
		"same origin with token":          browser(func(c *apptest.Client) {}),
		"no token":                        browser(func(c *apptest.Client) { c.NoCSRF = true }),
		"wrong token":                     browser(func(c *apptest.Client) { c.Do("GET", "/api/v1/csrf", nil) }),
		"foreign origin":                  browser(func(c *apptest.Client) { c.Origin = "https://evil.example" }),
		"null origin":                     browser(func(c *apptest.Client) { c.Origin = "null" }),
		"cross-site fetch without origin": browser(func(c *apptest.Client) { c.Origin = "" }),
	}
	const signIn = "/api/v1/auth/signin/begin"
	apptest.RunScenarios(t, a, browsers, []apptest.Scenario{
		{Name: "same origin with token", Who: "same origin with token", Method: "POST", Path: signIn, Body: "{}", Status: 200},
		{Name: "no token", Who: "no token", Method: "POST", Path: signIn, Body: "{}", Status: 403, Text: "missing CSRF token"},
		{Name: "wrong token", Who: "wrong token", Method: "POST", Path: signIn, Body: "{}", Headers: []string{"X-CSRF-Token", "forged"}, Status: 403, Text: "invalid CSRF token"},
		{Name: "foreign origin", Who: "foreign origin", Method: "POST", Path: signIn, Body: "{}", Status: 403, Text: "cross-origin"},
		{Name: "null origin", Who: "null origin", Method: "POST", Path: signIn, Body: "{}", Status: 403, Text: "cross-origin"},
		{Name: "cross-site fetch without origin", Who: "cross-site fetch without origin", Method: "POST", Path: signIn, Body: "{}", Headers: []string{"Sec-Fetch-Site", "cross-site"}, Status: 403, Text: "cross-origin"},
	})
	// Sign-out is state-changing too: without the token the session survives.
	c := apptest.SignedInAs(t, a, auth.RoleMember, "x")
	c.NoCSRF = true
	c.Must(403, "POST", "/api/v1/auth/signout", nil)
	c.Must(200, "GET", "/api/v1/me", nil)
}
