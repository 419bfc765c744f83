package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

// passkeyCount returns how many passkeys the account has.
func passkeyCount(t *testing.T, a *app.App, accountID string) int {
	t.Helper()
	ps, err := a.Auth.ListPasskeys(t.Context(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

func TestEnrollmentLinkIsDeadOnceTheAccountHasAPasskey(t *testing.T) {
	a := apptest.New(t)
	ctx := t.Context()
	added, err := a.Staff.AddStaffMember(ctx, apptest.AgentdeskMember("lumen-electronics", "twice.linked@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	acc := added.Account.ID
	first := added.EnrollmentToken
	// The operator printed a second link for the same person (as serve
	// --demo did at every start), and someone began a ceremony with a third.
	second, err := a.Auth.IssueEnrollment(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	third, err := a.Auth.IssueEnrollment(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	early := apptest.NewClient(t, a)
	var earlyBegun apptest.Begun
	early.Must(200, "POST", "/api/v1/auth/enrollments/"+third+"/begin", "{}").JSON(t, &earlyBegun)

	// Before anyone enrolls, both links open.
	holder := apptest.NewClient(t, a)
	holder.Must(200, "GET", "/api/v1/auth/enrollments/"+second, nil)

	// The person enrolls with the first link.
	person := apptest.NewClient(t, a)
	if r := person.Enroll(first); r.Status != 200 {
		t.Fatalf("enroll with the first link: %d %s", r.Status, r.Body)
	}
	if n := passkeyCount(t, a, acc); n != 1 {
		t.Fatalf("passkeys after enrollment: %d, want 1", n)
	}

	// Every other link of the account is dead, with the clear message, on
	// every step; the holder of an old link gets no session and no passkey.
	for _, tok := range []string{second, first} {
		apptest.Refused(t, "look up an old link", holder.Do("GET", "/api/v1/auth/enrollments/"+tok, nil), 409, "conflict", auth.AlreadyEnrolledMessage)
		apptest.Refused(t, "begin with an old link", holder.Do("POST", "/api/v1/auth/enrollments/"+tok+"/begin", "{}"), 409, "conflict", "sign in with your passkey, or ask an admin for a recovery link")
	}
	apptest.Refused(t, "finish a ceremony begun before the enrollment",
		early.Do("POST", "/api/v1/auth/enrollments/"+third+"/finish", map[string]any{"ceremony": earlyBegun.Ceremony, "credential": early.Register(earlyBegun)}),
		409, "conflict", auth.AlreadyEnrolledMessage)
	holder.Must(401, "GET", "/api/v1/me", nil)
	early.Must(401, "GET", "/api/v1/me", nil)
	if n := passkeyCount(t, a, acc); n != 1 {
		t.Fatalf("passkeys after the old links were tried: %d, want 1", n)
	}
	// The first enrollment revoked the other tokens in the database too.
	var unused int64
	if err := a.DB.Table("enrollments").Where("account_id = ? AND used_at IS NULL", acc).Count(&unused).Error; err != nil {
		t.Fatal(err)
	}
	if unused != 0 {
		t.Fatalf("%d enrollment tokens of the account are still unused", unused)
	}

	// A link issued after the account has a passkey is refused as well.
	late, err := a.Auth.IssueEnrollment(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	apptest.Refused(t, "a new link for an enrolled account", holder.Do("GET", "/api/v1/auth/enrollments/"+late, nil), 409, "conflict", auth.AlreadyEnrolledMessage)
	apptest.Refused(t, "begin with a new link for an enrolled account", holder.Do("POST", "/api/v1/auth/enrollments/"+late+"/begin", "{}"), 409, "conflict", auth.AlreadyEnrolledMessage)

	// serve --demo no longer prints a link for the enrolled person.
	links, err := a.DemoEnrollmentLinks(ctx, apptest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Email == added.Account.Email {
			t.Fatalf("demo links include the enrolled account: %+v", l)
		}
	}

	// Links of accounts without a passkey keep their old answers: unknown or
	// expired is 404.
	other, err := a.Staff.AddStaffMember(ctx, apptest.AgentdeskMember("lumen-electronics", "not.yet@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Exec("UPDATE enrollments SET expires_at = ? WHERE account_id = ?", time.Now().UTC().Add(-time.Second), other.Account.ID).Error; err != nil {
		t.Fatal(err)
	}
	apptest.Refused(t, "expired link", holder.Do("GET", "/api/v1/auth/enrollments/"+other.EnrollmentToken, nil), 404, "not_found", "unknown, expired or already used")
	apptest.Refused(t, "unknown link", holder.Do("GET", "/api/v1/auth/enrollments/not-a-token", nil), 404, "not_found", "unknown, expired or already used")

	// The person signs in with their passkey, as the message says.
	person.Must(204, "POST", "/api/v1/auth/signout", nil)
	if r := person.SignIn(); r.Status != 200 {
		t.Fatalf("sign in after enrollment: %d %s", r.Status, r.Body)
	}
}

func TestDemoEnrollmentLinksLastADay(t *testing.T) {
	a := apptest.New(t)
	links, err := a.DemoEnrollmentLinks(t.Context(), apptest.Origin)
	if err != nil || len(links) == 0 {
		t.Fatalf("demo links: %v, %v", links, err)
	}
	admin, err := a.Auth.FindAccountByEmail(t.Context(), app.DemoAdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ CreatedAt, ExpiresAt time.Time }
	if err := a.DB.Table("enrollments").Select("created_at, expires_at").Where("account_id = ?", admin.ID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("admin enrollment tokens: %d, want 1", len(rows))
	}
	if got := rows[0].ExpiresAt.Sub(rows[0].CreatedAt); got != 24*time.Hour {
		t.Fatalf("demo link lives %v, want 24h", got)
	}
}

func TestRecoveryLinkAddsAPasskeyOnceAndIsAudited(t *testing.T) {
	a := apptest.New(t)
	ctx := t.Context()
	owner := apptest.NewClient(t, a)
	owner.SignUp("Lena Lost", "lena@example.com", "1991-03-03")
	acc := owner.AccountID()
	const issuer = "Ops Lead (os user root@desk-1)"

	token, err := a.Auth.IssueRecovery(ctx, acc, issuer)
	if err != nil {
		t.Fatal(err)
	}
	link := auth.RecoveryLink(apptest.Origin, auth.RoleMember, token)
	if !strings.HasPrefix(link, apptest.Origin+"/phone/?recover=") {
		t.Fatalf("member recovery link %q", link)
	}

	// The person, on a new device with a new passkey, opens the link.
	device := apptest.NewClient(t, a)
	r := device.Must(200, "GET", "/api/v1/auth/recoveries/"+token, nil)
	if !strings.Contains(r.Body, `"recovery"`) || !strings.Contains(r.Body, "Lena Lost") {
		t.Fatalf("recovery info: %s", r.Body)
	}
	var b apptest.Begun
	device.Must(200, "POST", "/api/v1/auth/recoveries/"+token+"/begin", "{}").JSON(t, &b)
	// A second ceremony on the same link, begun before the first finishes.
	racer := apptest.NewClient(t, a)
	var rb apptest.Begun
	racer.Must(200, "POST", "/api/v1/auth/recoveries/"+token+"/begin", "{}").JSON(t, &rb)
	// The existing passkey is excluded, so no authenticator registers it twice.
	if !strings.Contains(string(b.Options), apptest.B64(owner.Cred.ID)) {
		t.Fatalf("recovery options do not exclude the existing passkey: %s", b.Options)
	}
	r = device.Do("POST", "/api/v1/auth/recoveries/"+token+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": device.Register(b)})
	if r.Status != 200 || !strings.Contains(r.Body, "Lena Lost") {
		t.Fatalf("finish recovery: %d %s", r.Status, r.Body)
	}
	if device.AccountID() != acc {
		t.Fatalf("recovery signed in another account")
	}
	if n := passkeyCount(t, a, acc); n != 2 {
		t.Fatalf("passkeys after recovery: %d, want 2", n)
	}

	// Used once: a second use, on any step, is refused and adds nothing.
	apptest.Refused(t, "look up a used recovery link", racer.Do("GET", "/api/v1/auth/recoveries/"+token, nil), 404, "not_found", "ask an admin for a new one")
	apptest.Refused(t, "begin with a used recovery link", racer.Do("POST", "/api/v1/auth/recoveries/"+token+"/begin", "{}"), 404, "not_found", "unknown, expired or already used")
	apptest.Refused(t, "finish a ceremony begun before the link was used",
		racer.Do("POST", "/api/v1/auth/recoveries/"+token+"/finish", map[string]any{"ceremony": rb.Ceremony, "credential": racer.Register(rb)}),
		404, "not_found", "already used")
	racer.Must(401, "GET", "/api/v1/me", nil)
	if n := passkeyCount(t, a, acc); n != 2 {
		t.Fatalf("passkeys after the second use: %d, want 2", n)
	}

	// The new passkey signs in on its own.
	device.Must(204, "POST", "/api/v1/auth/signout", nil)
	if r := device.SignIn(); r.Status != 200 || !strings.Contains(r.Body, "Lena Lost") {
		t.Fatalf("sign in with the recovered passkey: %d %s", r.Status, r.Body)
	}

	// A link lives one hour: past that it is refused, even mid-ceremony.
	expiring, err := a.Auth.IssueRecovery(ctx, acc, issuer)
	if err != nil {
		t.Fatal(err)
	}
	late := apptest.NewClient(t, a)
	late.Must(200, "POST", "/api/v1/auth/recoveries/"+expiring+"/begin", "{}").JSON(t, &b)
	var life struct{ CreatedAt, ExpiresAt time.Time }
	if err := a.DB.Table("account_recoveries").Select("created_at, expires_at").Where("account_id = ? AND used_at IS NULL", acc).Take(&life).Error; err != nil {
		t.Fatal(err)
	}
	if got := life.ExpiresAt.Sub(life.CreatedAt); got != time.Hour {
		t.Fatalf("recovery link lives %v, want 1h", got)
	}
	if err := a.DB.Exec("UPDATE account_recoveries SET expires_at = ? WHERE account_id = ? AND used_at IS NULL",
		time.Now().UTC().Add(-time.Second), acc).Error; err != nil {
		t.Fatal(err)
	}
	apptest.Refused(t, "finish after the hour",
		late.Do("POST", "/api/v1/auth/recoveries/"+expiring+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": late.Register(b)}),
		404, "not_found", "expired")
	apptest.Refused(t, "look up an expired recovery link", late.Do("GET", "/api/v1/auth/recoveries/"+expiring, nil), 404, "not_found", "expired")
	if n := passkeyCount(t, a, acc); n != 2 {
		t.Fatalf("passkeys after the expired link: %d, want 2", n)
	}

	// The audit: who issued each link, when, and which passkey the used one added.
	audit, err := a.Auth.RecoveriesOf(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 {
		t.Fatalf("audit rows: %d, want 2: %+v", len(audit), audit)
	}
	ps, err := a.Auth.ListPasskeys(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	used := audit[0]
	if used.IssuedBy != issuer || used.UsedAt == nil || used.PasskeyID == nil || *used.PasskeyID != ps[1].ID || used.CreatedAt.IsZero() {
		t.Fatalf("audit of the used link: %+v (passkeys %+v)", used, ps)
	}
	if audit[1].IssuedBy != issuer || audit[1].UsedAt != nil || audit[1].PasskeyID != nil {
		t.Fatalf("audit of the expired link: %+v", audit[1])
	}

	// Refusals around the link.
	other := apptest.NewClient(t, a)
	another, err := a.Auth.IssueRecovery(ctx, acc, issuer)
	if err != nil {
		t.Fatal(err)
	}
	var ob apptest.Begun
	other.Must(200, "POST", "/api/v1/auth/recoveries/"+another+"/begin", "{}").JSON(t, &ob)
	apptest.Refused(t, "a ceremony of one link finished on another",
		other.Do("POST", "/api/v1/auth/recoveries/"+token+"/finish", map[string]any{"ceremony": ob.Ceremony, "credential": other.Register(ob)}),
		400, "invalid", "another recovery link")
	apptest.Refused(t, "an enrollment ceremony finished as a recovery", other.Do("POST", "/api/v1/auth/enrollments/"+another+"/finish", map[string]any{"ceremony": ob.Ceremony, "credential": other.Register(ob)}),
		400, "invalid", "unknown, expired or already used")
	apptest.Refused(t, "unknown recovery link", other.Do("GET", "/api/v1/auth/recoveries/nope", nil), 404, "not_found", "recovery link")
	apptest.Refused(t, "overlong recovery token", other.Do("GET", "/api/v1/auth/recoveries/"+strings.Repeat("a", 65), nil), 404, "not_found", "recovery link")
	if _, err := a.Auth.IssueRecovery(ctx, acc, " \t"); err == nil || !strings.Contains(err.Error(), "who issues") {
		t.Fatalf("recovery without an issuer: %v", err)
	}
	if _, err := a.Auth.IssueRecovery(ctx, "ac_nobody", issuer); err == nil || !strings.Contains(err.Error(), "no such account") {
		t.Fatalf("recovery of an unknown account: %v", err)
	}
}

func TestAddingAPasskeyNeedsAFreshVerification(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.SignUp("Fay Fresh", "fay@example.com", "1980-05-05")
	acc := c.AccountID()
	stale := func() {
		t.Helper()
		if err := a.DB.Exec("UPDATE sessions SET verified_at = ? WHERE account_id = ?", time.Now().UTC().Add(-6*time.Minute), acc).Error; err != nil {
			t.Fatal(err)
		}
	}

	// A session whose last passkey check is old (a stolen or forgotten
	// cookie) cannot add a passkey.
	stale()
	apptest.Refused(t, "add a passkey on a stale session", c.Do("POST", "/api/v1/auth/passkeys/begin", "{}"), 403, "forbidden", "confirm it is you")

	// Without user verification the re-check fails.
	var b apptest.Begun
	c.Must(200, "POST", "/api/v1/auth/reverify/begin", "{}").JSON(t, &b)
	c.Authr.Options.UserNotVerified = true
	apptest.Refused(t, "reverify without user verification", c.Do("POST", "/api/v1/auth/reverify/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)}), 400, "invalid", "could not be verified")
	c.Authr.Options.UserNotVerified = false
	apptest.Refused(t, "still stale", c.Do("POST", "/api/v1/auth/passkeys/begin", "{}"), 403, "forbidden", "confirm it is you")

	// Another account's passkey cannot vouch for this session.
	intruder := apptest.NewClient(t, a)
	intruder.SignUp("Ivan Intruder", "ivan@example.com", "1980-06-06")
	c.Must(200, "POST", "/api/v1/auth/reverify/begin", "{}").JSON(t, &b)
	apptest.Refused(t, "reverify with another account's passkey", c.Do("POST", "/api/v1/auth/reverify/finish", map[string]any{"ceremony": b.Ceremony, "credential": intruder.Assert(b)}), 400, "invalid", "not one of your account's")
	// Nor finish a ceremony begun by another account.
	var ib apptest.Begun
	intruder.Must(200, "POST", "/api/v1/auth/reverify/begin", "{}").JSON(t, &ib)
	apptest.Refused(t, "finish another account's reverify", c.Do("POST", "/api/v1/auth/reverify/finish", map[string]any{"ceremony": ib.Ceremony, "credential": c.Assert(ib)}), 403, "forbidden", "another account")

	// With the account's own passkey, user verified, the session is fresh again.
	c.Must(200, "POST", "/api/v1/auth/reverify/begin", "{}").JSON(t, &b)
	c.Must(204, "POST", "/api/v1/auth/reverify/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)})
	phone := apptest.NewClient(t, a)
	phone.Cookies = c.Cookies
	phone.Must(200, "POST", "/api/v1/auth/passkeys/begin", "{}").JSON(t, &b)
	phone.Must(201, "POST", "/api/v1/auth/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": phone.Register(b)})
	if n := passkeyCount(t, a, acc); n != 2 {
		t.Fatalf("passkeys: %d, want 2", n)
	}

	// Signed out, neither step is open.
	anon := apptest.NewClient(t, a)
	apptest.Refused(t, "reverify signed out", anon.Do("POST", "/api/v1/auth/reverify/begin", "{}"), 401, "unauthorized", "sign in")
	apptest.Refused(t, "reverify finish signed out", anon.Do("POST", "/api/v1/auth/reverify/finish", map[string]any{"ceremony": b.Ceremony, "credential": "x"}), 401, "unauthorized", "sign in")
	apptest.Refused(t, "reverify with a body", c.Do("POST", "/api/v1/auth/reverify/begin", `{"account":"x"}`), 400, "invalid", "unknown field")
}
