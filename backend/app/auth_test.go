package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/config"
)

func TestSignUpSignOutSignInUsernameless(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.must(401, "GET", "/api/v1/me", nil)
	c.signUp("Rosa Park", "Rosa@Example.com", "1990-04-01")
	var me struct {
		Account struct{ Name, Email, Role string }
	}
	c.must(200, "GET", "/api/v1/me", nil).json(t, &me)
	if me.Account.Name != "Rosa Park" || me.Account.Email != "rosa@example.com" || me.Account.Role != "member" {
		t.Fatalf("me = %+v", me.Account)
	}
	firstSession := c.cookies["lm_session"]

	c.must(204, "POST", "/api/v1/auth/signout", nil)
	// The browser forgot the cookie; a copy of the old one must be dead too.
	c.must(401, "GET", "/api/v1/me", nil)
	stale := newClient(t, a)
	stale.cookies["lm_session"] = firstSession
	if r := stale.do("GET", "/api/v1/me", nil); r.Status != 401 || !strings.Contains(r.Body, `"unauthorized"`) {
		t.Fatalf("old session cookie after sign-out: %d %s", r.Status, r.Body)
	}

	if r := c.signIn(); r.Status != 200 || !strings.Contains(r.Body, "Rosa Park") {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	if c.cookies["lm_session"] == "" || c.cookies["lm_session"] == firstSession {
		t.Fatalf("sign-in must issue a new session id")
	}
	c.must(200, "GET", "/api/v1/me", nil)
	// Signing in again rotates the session id again.
	second := c.cookies["lm_session"]
	c.signIn()
	if c.cookies["lm_session"] == second {
		t.Fatalf("second sign-in reused the session id")
	}
}

func TestSecondPasskey(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.signUp("Ivo", "ivo@example.com", "1985-01-31")
	phone := newClient(t, a)
	phone.cookies = c.cookies
	var b begun
	phone.must(200, "POST", "/api/v1/auth/passkeys/begin", "{}").json(t, &b)
	phone.must(201, "POST", "/api/v1/auth/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": phone.register(b)})
	var list struct{ Passkeys []struct{ ID string } }
	c.must(200, "GET", "/api/v1/auth/passkeys", nil).json(t, &list)
	if len(list.Passkeys) != 2 {
		t.Fatalf("passkeys = %d, want 2", len(list.Passkeys))
	}
	// The new passkey signs in on its own.
	c.must(204, "POST", "/api/v1/auth/signout", nil)
	phone.cookies = map[string]string{}
	if r := phone.signIn(); r.Status != 200 {
		t.Fatalf("sign in with second passkey: %d %s", r.Status, r.Body)
	}
	// Registering the same passkey twice is refused.
	phone.must(200, "POST", "/api/v1/auth/passkeys/begin", "{}").json(t, &b)
	if r := phone.do("POST", "/api/v1/auth/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": phone.register(b)}); r.Status != 409 {
		t.Fatalf("same passkey twice: %d %s", r.Status, r.Body)
	}
	// Adding a passkey needs a session.
	anon := newClient(t, a)
	anon.must(401, "POST", "/api/v1/auth/passkeys/begin", "{}")
}

func TestReplayedCeremonyIsRefused(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.signUp("Mo", "mo@example.com", "1999-12-12")
	c.must(204, "POST", "/api/v1/auth/signout", nil)

	var b begun
	c.must(200, "POST", "/api/v1/auth/signin/begin", "{}").json(t, &b)
	body := map[string]any{"ceremony": b.Ceremony, "credential": c.assert(b)}
	c.must(200, "POST", "/api/v1/auth/signin/finish", body)
	// The same ceremony and assertion a second time: the challenge is gone.
	r := c.do("POST", "/api/v1/auth/signin/finish", body)
	if r.Status != 400 || !strings.Contains(r.Body, "already used") {
		t.Fatalf("replayed finish: %d %s", r.Status, r.Body)
	}
	// The old assertion against a new ceremony: the challenge does not match.
	var b2 begun
	c.must(200, "POST", "/api/v1/auth/signin/begin", "{}").json(t, &b2)
	r = c.do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b2.Ceremony, "credential": body["credential"]})
	if r.Status != 400 || !strings.Contains(r.Body, "could not be verified") {
		t.Fatalf("replayed assertion: %d %s", r.Status, r.Body)
	}
	// A failed finish uses the ceremony up as well.
	r = c.do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b2.Ceremony, "credential": c.assert(b2)})
	if r.Status != 400 {
		t.Fatalf("ceremony reused after a failed finish: %d %s", r.Status, r.Body)
	}
	// Sign-up ceremonies are one-shot too.
	n := newClient(t, a)
	n.must(200, "POST", "/api/v1/auth/signup/begin", map[string]string{"name": "N", "email": "n@example.com", "birthDate": "2000-01-01", "address": "x"}).json(t, &b)
	cred := n.register(b)
	n.must(201, "POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": cred})
	n.must(400, "POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": cred})
}

func TestExpiredCeremonyIsRefused(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.signUp("Ex", "ex@example.com", "1970-06-06")
	var b begun
	c.must(200, "POST", "/api/v1/auth/signin/begin", "{}").json(t, &b)
	if err := a.DB.Exec("UPDATE ceremonies SET expires_at = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), b.Ceremony).Error; err != nil {
		t.Fatal(err)
	}
	r := c.do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.assert(b)})
	if r.Status != 400 || !strings.Contains(r.Body, "expired") {
		t.Fatalf("expired ceremony: %d %s", r.Status, r.Body)
	}
	var left int64
	a.DB.Table("ceremonies").Where("id = ?", b.Ceremony).Count(&left)
	if left != 0 {
		t.Fatalf("expired ceremony still stored")
	}
}

func TestSignCounterIsCheckedAndStored(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.cred.Counter = 5
	c.signUp("Cy", "cy@example.com", "1980-02-02")
	if r := c.signIn(); r.Status != 200 {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	var stored int64
	a.DB.Table("passkeys").Select("sign_count").Row().Scan(&stored)
	if stored != int64(c.cred.Counter) {
		t.Fatalf("stored counter %d, want %d", stored, c.cred.Counter)
	}
	// A cloned authenticator replays an older counter.
	c.cred.Counter -= 3
	if r := c.signIn(); r.Status != 401 || !strings.Contains(r.Body, "counter") {
		t.Fatalf("counter going backwards: %d %s", r.Status, r.Body)
	}
}

func TestSignInNeedsUserVerificationAndAKnownPasskey(t *testing.T) {
	a := newTestApp(t)
	c := newClient(t, a)
	c.signUp("Uv", "uv@example.com", "1980-02-02")
	c.must(204, "POST", "/api/v1/auth/signout", nil)
	c.authr.Options.UserNotVerified = true
	if r := c.signIn(); r.Status != 400 || !strings.Contains(r.Body, "could not be verified") {
		t.Fatalf("no user verification: %d %s", r.Status, r.Body)
	}
	stranger := newClient(t, a)
	stranger.authr.Options.UserHandle = []byte("nobody-here")
	if r := stranger.signIn(); r.Status != 401 || !strings.Contains(r.Body, "not registered") {
		t.Fatalf("unknown passkey: %d %s", r.Status, r.Body)
	}
}

func TestEnrollmentLinkIsOneTime(t *testing.T) {
	a := newTestApp(t)
	added, err := a.Staff.AddStaffMember(t.Context(), agentdeskMember("lumen-electronics", "new.agent@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tok := added.EnrollmentToken
	c := newClient(t, a)
	r := c.must(200, "GET", "/api/v1/auth/enrollments/"+tok, nil)
	if !strings.Contains(r.Body, `"role":"agent"`) || !strings.Contains(r.Body, "Lumen") {
		t.Fatalf("enrollment info: %s", r.Body)
	}
	if r := c.enroll(tok); r.Status != 200 {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	c.must(200, "GET", "/api/v1/desk/store", nil)
	// The link is used up: the account has a passkey now.
	other := newClient(t, a)
	other.must(409, "GET", "/api/v1/auth/enrollments/"+tok, nil)
	other.must(409, "POST", "/api/v1/auth/enrollments/"+tok+"/begin", "{}")
	// And the new agent signs in with their passkey afterwards.
	c.must(204, "POST", "/api/v1/auth/signout", nil)
	if r := c.signIn(); r.Status != 200 || !strings.Contains(r.Body, `"agent"`) {
		t.Fatalf("agent sign in: %d %s", r.Status, r.Body)
	}
}

func TestAuthRateLimitPerClientAddress(t *testing.T) {
	a := newTestApp(t, func(c *config.Config) { c.AuthRateLimit = 3 })
	c := newClient(t, a)
	for i := 0; i < 3; i++ {
		c.must(200, "POST", "/api/v1/auth/signin/begin", "{}")
	}
	r := c.do("POST", "/api/v1/auth/signin/begin", "{}")
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, `"rate_limited"`) {
		t.Fatalf("4th sign-in attempt: %d %s", r.Status, r.Body)
	}
	// Other routes are not limited.
	c.must(200, "GET", "/api/v1/stores", nil)
}

func TestRateLimitBelievesOnlyTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []string
		// wantSeparate: clients behind the proxy get a budget each.
		wantSeparate bool
	}{
		{"no proxy configured: X-Forwarded-For is ignored", nil, false},
		{"untrusted peer: X-Forwarded-For is ignored", []string{"203.0.113.9"}, false},
		{"trusted proxy: each forwarded client has its own budget", []string{"0.0.0.0"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t, func(c *config.Config) { c.AuthRateLimit = 2; c.TrustedProxies = tt.trusted })
			c := newClient(t, a)
			c.must(200, "POST", "/api/v1/auth/signin/begin", "{}")
			c.must(200, "POST", "/api/v1/auth/signin/begin", "{}")
			r := c.do("POST", "/api/v1/auth/signin/begin", "{}", "X-Forwarded-For", "198.51.100.7")
			if got := r.Status == 200; got != tt.wantSeparate {
				t.Fatalf("forwarded client after the budget was spent: %d %s", r.Status, r.Body)
			}
		})
	}
}
