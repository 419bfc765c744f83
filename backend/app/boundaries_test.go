package app

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/auth"
)

// agentdeskMember describes an agent of the store to add.
func agentdeskMember(store, email string) agentdesk.NewStaffMember {
	return agentdesk.NewStaffMember{StoreSlug: store, Email: email}
}

// signedInAs returns a client signed in with a fresh account of the role.
func signedInAs(t *testing.T, a *App, role auth.Role, store string) *client {
	t.Helper()
	c := newClient(t, a)
	email := string(role) + "." + store + ".x@test.example"
	switch role {
	case auth.RoleMember:
		c.signUp("Member", email, "1990-01-01")
		return c
	case auth.RoleAgent, auth.RoleSupervisor:
		added, err := a.Staff.AddStaffMember(t.Context(), agentdesk.NewStaffMember{StoreSlug: store, Email: email, Supervisor: role == auth.RoleSupervisor})
		if err != nil {
			t.Fatal(err)
		}
		if r := c.enroll(added.EnrollmentToken); r.Status != 200 {
			t.Fatalf("enroll %s: %d %s", role, r.Status, r.Body)
		}
		return c
	}
	acc, err := a.Auth.CreateAccount(t.Context(), auth.NewAccount{Role: auth.RoleAdmin, Name: "Admin", Email: email})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Auth.IssueEnrollment(t.Context(), acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.enroll(tok); r.Status != 200 {
		t.Fatalf("enroll admin: %d %s", r.Status, r.Body)
	}
	return c
}

func TestRoleBoundaries(t *testing.T) {
	a := newTestApp(t)
	const store = "lumen-electronics"
	clients := map[string]*client{
		"anonymous":  newClient(t, a),
		"member":     signedInAs(t, a, auth.RoleMember, store),
		"agent":      signedInAs(t, a, auth.RoleAgent, store),
		"supervisor": signedInAs(t, a, auth.RoleSupervisor, store),
		"admin":      signedInAs(t, a, auth.RoleAdmin, "mall"),
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
			c.t = t
			var body any
			if tt.body != "" {
				body = strings.ReplaceAll(tt.body, "%s", tt.who)
			}
			r := c.do(tt.method, tt.path, body)
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
	clients["supervisor"].t = t
	clients["supervisor"].must(200, "GET", "/api/v1/desk/team", nil).json(t, &team)
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
	a := newTestApp(t)
	tests := []struct {
		name    string
		prepare func(c *client)
		headers []string
		want    int
		message string
	}{
		{"same origin with token", func(c *client) {}, nil, 200, ""},
		{"no token", func(c *client) { c.noCSRF = true }, nil, 403, "missing CSRF token"},
		{"wrong token", func(c *client) { c.do("GET", "/api/v1/csrf", nil) }, []string{"X-CSRF-Token", "forged"}, 403, "invalid CSRF token"},
		{"foreign origin", func(c *client) { c.origin = "https://evil.example" }, nil, 403, "cross-origin"},
		{"null origin", func(c *client) { c.origin = "null" }, nil, 403, "cross-origin"},
		{"cross-site fetch without origin", func(c *client) { c.origin = "" }, []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, a)
			tt.prepare(c)
			r := c.do("POST", "/api/v1/auth/signin/begin", "{}", tt.headers...)
			if r.Status != tt.want || !strings.Contains(r.Body, tt.message) {
				t.Fatalf("status %d, want %d with %q: %s", r.Status, tt.want, tt.message, r.Body)
			}
		})
	}
	// Sign-out is state-changing too: without the token the session survives.
	c := signedInAs(t, a, auth.RoleMember, "x")
	c.noCSRF = true
	c.must(403, "POST", "/api/v1/auth/signout", nil)
	c.must(200, "GET", "/api/v1/me", nil)
}
