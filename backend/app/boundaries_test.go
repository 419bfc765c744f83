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
	clients := map[string]*apptest.Client{
		"anonymous":  apptest.NewClient(t, a),
		"member":     apptest.SignedInAs(t, a, auth.RoleMember, store),
		"agent":      apptest.SignedInAs(t, a, auth.RoleAgent, store),
		"supervisor": apptest.SignedInAs(t, a, auth.RoleSupervisor, store),
		"admin":      apptest.SignedInAs(t, a, auth.RoleAdmin, "mall"),
	}
	addStaff := `{"store":"casa-cucina","email":"x-%s@test.example"}`
	tests := []struct {
		who, method, path, body string
		want                    int
	}{
		{"anonymous", "GET", "/api/v1/desk/store", "", 401},
		{"member", "GET", "/api/v1/desk/store", "", 403},
		{"agent", "GET", "/api/v1/desk/store", "", 200},
		{"supervisor", "GET", "/api/v1/desk/store", "", 200},
		{"admin", "GET", "/api/v1/desk/store", "", 403},
		{"anonymous", "GET", "/api/v1/desk/team", "", 401},
		{"member", "GET", "/api/v1/desk/team", "", 403},
		{"agent", "GET", "/api/v1/desk/team", "", 403},
		{"supervisor", "GET", "/api/v1/desk/team", "", 200},
		{"anonymous", "GET", "/api/v1/admin/accounts", "", 401},
		{"member", "GET", "/api/v1/admin/accounts", "", 403},
		{"agent", "GET", "/api/v1/admin/accounts", "", 403},
		{"supervisor", "GET", "/api/v1/admin/accounts", "", 403},
		{"admin", "GET", "/api/v1/admin/accounts", "", 200},
		{"member", "POST", "/api/v1/admin/staff", addStaff, 403},
		{"agent", "POST", "/api/v1/admin/staff", addStaff, 403},
		{"supervisor", "POST", "/api/v1/admin/staff", addStaff, 403},
		{"admin", "POST", "/api/v1/admin/staff", addStaff, 201},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.method+" "+tt.path, func(t *testing.T) {
			c := clients[tt.who]
			c.T = t
			var body any
			if tt.body != "" {
				body = strings.ReplaceAll(tt.body, "%s", tt.who)
			}
			r := c.Do(tt.method, tt.path, body)
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.want, r.Body)
			}
			if tt.want >= 400 && !strings.Contains(r.Body, `"error":{"code":`) {
				t.Fatalf("error body not in the vocabulary: %s", r.Body)
			}
		})
	}
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
	tests := []struct {
		name    string
		prepare func(c *apptest.Client)
		headers []string
		want    int
		message string
	}{
		{"same origin with token", func(c *apptest.Client) {}, nil, 200, ""},
		{"no token", func(c *apptest.Client) { c.NoCSRF = true }, nil, 403, "missing CSRF token"},
		{"wrong token", func(c *apptest.Client) { c.Do("GET", "/api/v1/csrf", nil) }, []string{"X-CSRF-Token", "forged"}, 403, "invalid CSRF token"},
		{"foreign origin", func(c *apptest.Client) { c.Origin = "https://evil.example" }, nil, 403, "cross-origin"},
		{"null origin", func(c *apptest.Client) { c.Origin = "null" }, nil, 403, "cross-origin"},
		{"cross-site fetch without origin", func(c *apptest.Client) { c.Origin = "" }, []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apptest.NewClient(t, a)
			tt.prepare(c)
			r := c.Do("POST", "/api/v1/auth/signin/begin", "{}", tt.headers...)
			if r.Status != tt.want || !strings.Contains(r.Body, tt.message) {
				t.Fatalf("status %d, want %d with %q: %s", r.Status, tt.want, tt.message, r.Body)
			}
		})
	}
	// Sign-out is state-changing too: without the token the session survives.
	c := apptest.SignedInAs(t, a, auth.RoleMember, "x")
	c.NoCSRF = true
	c.Must(403, "POST", "/api/v1/auth/signout", nil)
	c.Must(200, "GET", "/api/v1/me", nil)
}
