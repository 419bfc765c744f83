package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

func TestSignUpSignOutSignInUsernameless(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.Must(401, "GET", "/api/v1/me", nil)
	c.SignUp("Rosa Park", "Rosa@Example.com", "1990-04-01")
	var me struct {
		Account struct{ Name, Email, Role string }
	}
	c.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	if me.Account.Name != "Rosa Park" || me.Account.Email != "rosa@example.com" || me.Account.Role != "member" {
		t.Fatalf("me = %+v", me.Account)
	}
	firstSession := c.Cookies["lm_session"]

	c.Must(204, "POST", "/api/v1/auth/signout", nil)
	// The browser forgot the cookie; a copy of the old one must be dead too.
	c.Must(401, "GET", "/api/v1/me", nil)
	stale := apptest.NewClient(t, a)
	stale.Cookies["lm_session"] = firstSession
	if r := stale.Do("GET", "/api/v1/me", nil); r.Status != 401 || !strings.Contains(r.Body, `"unauthorized"`) {
		t.Fatalf("old session cookie after sign-out: %d %s", r.Status, r.Body)
	}

	if r := c.SignIn(); r.Status != 200 || !strings.Contains(r.Body, "Rosa Park") {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	if c.Cookies["lm_session"] == "" || c.Cookies["lm_session"] == firstSession {
		t.Fatalf("sign-in must issue a new session id")
	}
	c.Must(200, "GET", "/api/v1/me", nil)
	// Signing in again rotates the session id again.
	second := c.Cookies["lm_session"]
	c.SignIn()
	if c.Cookies["lm_session"] == second {
		t.Fatalf("second sign-in reused the session id")
	}
}

func TestSecondPasskey(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Ivo", "ivo@example.com", "1985-01-31")
	phone := apptest.NewClient(t, a)
	phone.Cookies = c.Cookies
	var b apptest.Begun
	phone.Must(200, "POST", "/api/v1/auth/passkeys/begin", "{}").JSON(t, &b)
	phone.Must(201, "POST", "/api/v1/auth/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": phone.Register(b)})
	var list struct{ Passkeys []struct{ ID string } }
	c.Must(200, "GET", "/api/v1/auth/passkeys", nil).JSON(t, &list)
	if len(list.Passkeys) != 2 {
		t.Fatalf("passkeys = %d, want 2", len(list.Passkeys))
	}
	// The new passkey signs in on its own.
	c.Must(204, "POST", "/api/v1/auth/signout", nil)
	phone.Cookies = map[string]string{}
	if r := phone.SignIn(); r.Status != 200 {
		t.Fatalf("sign in with second passkey: %d %s", r.Status, r.Body)
	}
	// Registering the same passkey twice is refused.
	phone.Must(200, "POST", "/api/v1/auth/passkeys/begin", "{}").JSON(t, &b)
	if r := phone.Do("POST", "/api/v1/auth/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": phone.Register(b)}); r.Status != 409 {
		t.Fatalf("same passkey twice: %d %s", r.Status, r.Body)
	}
	// Adding a passkey needs a session.
	anon := apptest.NewClient(t, a)
	anon.Must(401, "POST", "/api/v1/auth/passkeys/begin", "{}")
}

func TestReplayedCeremonyIsRefused(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Mo", "mo@example.com", "1999-12-12")
	c.Must(204, "POST", "/api/v1/auth/signout", nil)

	var b apptest.Begun
	c.Must(200, "POST", "/api/v1/auth/signin/begin", "{}").JSON(t, &b)
	body := map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)}
	c.Must(200, "POST", "/api/v1/auth/signin/finish", body)
	// The same ceremony and assertion a second time: the challenge is gone.
	r := c.Do("POST", "/api/v1/auth/signin/finish", body)
	if r.Status != 400 || !strings.Contains(r.Body, "already used") {
		t.Fatalf("replayed finish: %d %s", r.Status, r.Body)
	}
	// The old assertion against a new ceremony: the challenge does not match.
	var b2 apptest.Begun
	c.Must(200, "POST", "/api/v1/auth/signin/begin", "{}").JSON(t, &b2)
	r = c.Do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b2.Ceremony, "credential": body["credential"]})
	if r.Status != 400 || !strings.Contains(r.Body, "could not be verified") {
		t.Fatalf("replayed assertion: %d %s", r.Status, r.Body)
	}
	// A failed finish uses the ceremony up as well.
	r = c.Do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b2.Ceremony, "credential": c.Assert(b2)})
	if r.Status != 400 {
		t.Fatalf("ceremony reused after a failed finish: %d %s", r.Status, r.Body)
	}
	// Sign-up ceremonies are one-shot too.
	n := apptest.NewClient(t, a)
	n.Must(200, "POST", "/api/v1/auth/signup/begin", map[string]string{"name": "N", "email": "n@example.com", "birthDate": "2000-01-01", "address": "x"}).JSON(t, &b)
	cred := n.Register(b)
	n.Must(201, "POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": cred})
	n.Must(400, "POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": cred})
}

func TestExpiredCeremonyIsRefused(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Ex", "ex@example.com", "1970-06-06")
	var b apptest.Begun
	c.Must(200, "POST", "/api/v1/auth/signin/begin", "{}").JSON(t, &b)
	if err := a.DB.Exec("UPDATE ceremonies SET expires_at = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), b.Ceremony).Error; err != nil {
		t.Fatal(err)
	}
	r := c.Do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)})
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
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.Cred.Counter = 5
	c.SignUp("Cy", "cy@example.com", "1980-02-02")
	if r := c.SignIn(); r.Status != 200 {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	var stored int64
	a.DB.Table("passkeys").Select("sign_count").Row().Scan(&stored)
	if stored != int64(c.Cred.Counter) {
		t.Fatalf("stored counter %d, want %d", stored, c.Cred.Counter)
	}
	// A cloned authenticator replays an older counter.
	c.Cred.Counter -= 3
	if r := c.SignIn(); r.Status != 401 || !strings.Contains(r.Body, "counter") {
		t.Fatalf("counter going backwards: %d %s", r.Status, r.Body)
	}
}

func TestSignInNeedsUserVerificationAndAKnownPasskey(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Uv", "uv@example.com", "1980-02-02")
	c.Must(204, "POST", "/api/v1/auth/signout", nil)
	c.Authr.Options.UserNotVerified = true
	if r := c.SignIn(); r.Status != 400 || !strings.Contains(r.Body, "could not be verified") {
		t.Fatalf("no user verification: %d %s", r.Status, r.Body)
	}
	stranger := apptest.NewClient(t, a)
	stranger.Authr.Options.UserHandle = []byte("nobody-here")
	if r := stranger.SignIn(); r.Status != 401 || !strings.Contains(r.Body, "not registered") {
		t.Fatalf("unknown passkey: %d %s", r.Status, r.Body)
	}
}

func TestEnrollmentLinkIsOneTime(t *testing.T) {
	a := apptest.New(t)
	added, err := a.Staff.AddStaffMember(t.Context(), apptest.AgentdeskMember("lumen-electronics", "new.agent@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tok := added.EnrollmentToken
	c := apptest.NewClient(t, a)
	r := c.Must(200, "GET", "/api/v1/auth/enrollments/"+tok, nil)
	if !strings.Contains(r.Body, `"role":"agent"`) || !strings.Contains(r.Body, "Lumen") {
		t.Fatalf("enrollment info: %s", r.Body)
	}
	if r := c.Enroll(tok); r.Status != 200 {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	c.Must(200, "GET", "/api/v1/desk/store", nil)
	// The link is used up: the account has a passkey now.
	other := apptest.NewClient(t, a)
	other.Must(409, "GET", "/api/v1/auth/enrollments/"+tok, nil)
	other.Must(409, "POST", "/api/v1/auth/enrollments/"+tok+"/begin", "{}")
	// And the new agent signs in with their passkey afterwards.
	c.Must(204, "POST", "/api/v1/auth/signout", nil)
	if r := c.SignIn(); r.Status != 200 || !strings.Contains(r.Body, `"agent"`) {
		t.Fatalf("agent sign in: %d %s", r.Status, r.Body)
	}
}

func TestAuthRateLimitPerClientAddress(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.AuthRateLimit = 3 })
	c := apptest.NewClient(t, a)
	for i := 0; i < 3; i++ {
		c.Must(200, "POST", "/api/v1/auth/signin/begin", "{}")
	}
	r := c.Do("POST", "/api/v1/auth/signin/begin", "{}")
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, `"rate_limited"`) {
		t.Fatalf("4th sign-in attempt: %d %s", r.Status, r.Body)
	}
	// Other routes are not limited.
	c.Must(200, "GET", "/api/v1/stores", nil)
}

func TestRateLimitBelievesOnlyTrustedProxies(t *testing.T) {
	// Each scenario runs on a node of its own, which trusts the proxies
	// named for it, after the browser spent its budget of two sign-ins.
	trusted := map[string][]string{
		"no proxy configured: X-Forwarded-For is ignored":         nil,
		"untrusted peer: X-Forwarded-For is ignored":              {"203.0.113.9"},
		"trusted proxy: each forwarded client has its own budget": {"0.0.0.0"},
	}
	forwarded := []string{"X-Forwarded-For", "198.51.100.7"}
	const signIn = "/api/v1/auth/signin/begin"
	for _, s := range []apptest.Scenario{
		{Name: "no proxy configured: X-Forwarded-For is ignored", Method: "POST", Path: signIn, Body: "{}", Headers: forwarded, Status: 429, Code: "rate_limited"},
		{Name: "untrusted peer: X-Forwarded-For is ignored", Method: "POST", Path: signIn, Body: "{}", Headers: forwarded, Status: 429, Code: "rate_limited"},
		{Name: "trusted proxy: each forwarded client has its own budget", Method: "POST", Path: signIn, Body: "{}", Headers: forwarded, Status: 200},
	} {
		t.Run(s.Name, func(t *testing.T) {
			a := apptest.New(t, func(c *config.Config) { c.AuthRateLimit = 2; c.TrustedProxies = trusted[s.Name] })
			c := apptest.NewClient(t, a)
			c.Must(200, "POST", signIn, "{}")
			c.Must(200, "POST", signIn, "{}")
			apptest.CheckAnswer(t, s, c.Do(s.Method, s.Path, s.Body, s.Headers...))
		})
	}
}
