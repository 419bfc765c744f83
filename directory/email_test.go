package directory

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/backend/mail"
	"github.com/livemall/livemall/backend/web"
)

// emailTestEnv is a verifier over a fresh database writing to an outbox.
type emailTestEnv struct {
	db     *gorm.DB
	auth   *auth.Service
	v      *EmailVerifier
	outbox string
	clock  time.Time // what v.now returns; move it to expire things
}

func newEmailTestEnv(t *testing.T) *emailTestEnv {
	t.Helper()
	db := dbtest.Open(t)
	as, err := auth.New(db.DB, auth.Config{PublicURL: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	e := &emailTestEnv{db: db.DB, auth: as, outbox: filepath.Join(t.TempDir(), "outbox"),
		clock: time.Now().UTC().Truncate(time.Second)}
	e.v = NewEmailVerifier(db.DB, auth.NewAccounts(db.DB), mail.NewOutbox(e.outbox, "livemall <noreply@livemall.test>"), "http://localhost:8080/")
	e.v.now = func() time.Time { return e.clock }
	return e
}

// member creates a member account without a profile (no hooks installed).
func (e *emailTestEnv) member(t *testing.T, name, email string) *auth.Account {
	t.Helper()
	a, err := e.auth.CreateAccount(context.Background(), auth.NewAccount{Role: auth.RoleMember, Name: name, Email: email, BirthDate: "1990-01-01", Address: "x"})
	if err != nil {
		t.Fatalf("create member %s: %v", email, err)
	}
	return a
}

// verifiedAt returns the account's email_verified_at, nil when unset or
// without a profile.
func (e *emailTestEnv) verifiedAt(t *testing.T, accountID string) *time.Time {
	t.Helper()
	at, err := emailVerifiedAt(e.db, accountID)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// emailSent is one message read back from the outbox.
type emailSent struct {
	header netmail.Header
	body   string
}

// sent returns the messages in the outbox, oldest first.
func (e *emailTestEnv) sent(t *testing.T) []emailSent {
	t.Helper()
	entries, err := os.ReadDir(e.outbox)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var out []emailSent
	for _, en := range entries {
		raw, err := os.ReadFile(filepath.Join(e.outbox, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("read %s: %v", en.Name(), err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("decode %s: %v", en.Name(), err)
		}
		out = append(out, emailSent{header: msg.Header, body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	}
	return out
}

// app returns a Fiber app serving the verifier's routes with as signed in
// (nil: nobody).
func (e *emailTestEnv) app(as *auth.Account) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Use(func(c *fiber.Ctx) error {
		if as != nil {
			c.Locals("auth.account", as)
		}
		return c.Next()
	})
	e.v.Routes(app.Group("/api/v1"))
	return app
}

// emailCall sends one JSON request and returns status and body.
func emailCall(t *testing.T, app *fiber.App, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var emailVerifyLink = regexp.MustCompile(`http://localhost:8080/phone/\?verify=([A-Za-z0-9_-]+)`)

// tokenFrom returns the token in the verification link of a message.
func tokenFrom(t *testing.T, m emailSent) string {
	t.Helper()
	got := emailVerifyLink.FindStringSubmatch(m.body)
	if got == nil {
		t.Fatalf("no verification link in:\n%s", m.body)
	}
	return got[1]
}

func TestEmailVerificationFlow(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana Souza", "ana@example.com")
	ctx := context.Background()

	if err := e.v.SendVerification(ctx, ana.ID); err != nil {
		t.Fatalf("SendVerification: %v", err)
	}
	msgs := e.sent(t)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	for k, want := range map[string]string{
		"To": "ana@example.com", "From": `"livemall" <noreply@livemall.test>`, "Subject": "Confirm your email for livemall",
		"Content-Type": "text/plain; charset=utf-8", "Mime-Version": "1.0",
	} {
		if got := m.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if m.header.Get("Date") == "" || m.header.Get("Message-Id") == "" {
		t.Errorf("Date or Message-ID missing: %v", m.header)
	}
	if !strings.Contains(m.body, "Hello Ana Souza,") {
		t.Errorf("body does not greet the member:\n%s", m.body)
	}
	token := tokenFrom(t, m)

	// Only the hash is stored, with a 48-hour life.
	var row emailTokenRow
	if err := e.db.Where("account_id = ?", ana.ID).Take(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.TokenHash != emailTokenHash(token) || row.Purpose != "verify" || row.UsedAt != nil {
		t.Fatalf("token row = %+v, want the hash of the mailed token, unused", row)
	}
	if d := row.ExpiresAt.Sub(row.CreatedAt); d != 48*time.Hour {
		t.Fatalf("token lives %v, want 48h", d)
	}
	if e.verifiedAt(t, ana.ID) != nil {
		t.Fatal("verified before the link was opened")
	}

	app := e.app(nil) // no session needed: the token is the secret
	if st, body := emailCall(t, app, "POST", "/api/v1/directory/verify", `{"token":"`+token+`"}`); st != 200 || body != `{"emailVerified":true}` {
		t.Fatalf("verify: %d %s", st, body)
	}
	at := e.verifiedAt(t, ana.ID)
	if at == nil || !at.Equal(e.clock) {
		t.Fatalf("email_verified_at = %v, want %v", at, e.clock)
	}
	var p Profile
	if err := e.db.Where("account_id = ?", ana.ID).Take(&p).Error; err != nil || !p.Listed || p.RingMode != RingNewest {
		t.Fatalf("profile created by verification = %+v (%v), want the defaults", p, err)
	}

	st, body := emailCall(t, app, "POST", "/api/v1/directory/verify", `{"token":"`+token+`"}`)
	if st != 404 || !strings.Contains(body, "unknown, expired or already used") {
		t.Fatalf("same token twice: %d %s, want 404", st, body)
	}

	st, body = emailCall(t, e.app(ana), "POST", "/api/v1/directory/verify/resend", "")
	if st != 409 || !strings.Contains(body, "already verified") {
		t.Fatalf("resend when verified: %d %s, want 409", st, body)
	}
	if n := len(e.sent(t)); n != 1 {
		t.Fatalf("outbox holds %d messages after a refused resend, want 1", n)
	}
}

func TestEmailVerifyRefusesExpiredToken(t *testing.T) {
	e := newEmailTestEnv(t)
	ben := e.member(t, "Ben Okafor", "ben@example.com")
	if err := e.v.SendVerification(context.Background(), ben.ID); err != nil {
		t.Fatal(err)
	}
	token := tokenFrom(t, e.sent(t)[0])
	e.clock = e.clock.Add(48*time.Hour + time.Second)
	st, body := emailCall(t, e.app(nil), "POST", "/api/v1/directory/verify", `{"token":"`+token+`"}`)
	if st != 404 || !strings.Contains(body, "unknown, expired or already used") {
		t.Fatalf("expired token: %d %s, want 404", st, body)
	}
	if e.verifiedAt(t, ben.ID) != nil {
		t.Fatal("an expired token verified the address")
	}

	// A fresh link works, and the old one stays dead.
	if err := e.v.SendVerification(context.Background(), ben.ID); err != nil {
		t.Fatal(err)
	}
	if id, err := e.v.Verify(context.Background(), tokenFrom(t, e.sent(t)[1])); err != nil || id != ben.ID {
		t.Fatalf("Verify(fresh) = %q, %v; want %q", id, err, ben.ID)
	}
}

func TestEmailVerificationRateLimit(t *testing.T) {
	e := newEmailTestEnv(t)
	cleo := e.member(t, "Cleo", "cleo@example.com")
	app := e.app(cleo)
	for i := range emailVerificationsPerHour {
		if st, body := emailCall(t, app, "POST", "/api/v1/directory/verify/resend", "{}"); st != 202 || body != `{"sent":true}` {
			t.Fatalf("resend %d: %d %s", i+1, st, body)
		}
	}
	if st, body := emailCall(t, app, "POST", "/api/v1/directory/verify/resend", "{}"); st != 429 || !strings.Contains(body, "last hour") {
		t.Fatalf("resend %d: %d %s, want 429", emailVerificationsPerHour+1, st, body)
	}
	e.clock = e.clock.Add(time.Hour)
	if st, body := emailCall(t, app, "POST", "/api/v1/directory/verify/resend", ""); st != 202 {
		t.Fatalf("resend an hour later: %d %s", st, body)
	}
}

func TestEmailRoutesRefuseBadRequests(t *testing.T) {
	e := newEmailTestEnv(t)
	dan := e.member(t, "Dan", "dan@example.com")
	agent := &auth.Account{ID: "ac_agent", Role: auth.RoleAgent, Name: "Agent"}
	long := strings.Repeat("é", 501)
	tests := []struct {
		name       string
		as         *auth.Account
		path, body string
		status     int
		fragment   string
	}{
		{"verify: empty body", nil, "/directory/verify", "", 400, "request body is empty"},
		{"verify: no token", nil, "/directory/verify", `{}`, 400, `field \"token\" is required`},
		{"verify: unknown field", nil, "/directory/verify", `{"token":"x","id":"1"}`, 400, "unknown field"},
		{"verify: unknown token", nil, "/directory/verify", `{"token":"nope"}`, 404, "unknown, expired or already used"},
		{"verify: huge token", nil, "/directory/verify", `{"token":"` + strings.Repeat("a", 500) + `"}`, 404, "unknown, expired or already used"},
		{"resend: signed out", nil, "/directory/verify/resend", ``, 401, "sign in first"},
		{"resend: staff", agent, "/directory/verify/resend", ``, 403, "your role (agent)"},
		{"resend: malformed", dan, "/directory/verify/resend", `{`, 400, "malformed JSON"},
		{"resend: unknown field", dan, "/directory/verify/resend", `{"x":1}`, 400, "unknown field"},
		{"invite: signed out", nil, "/directory/invites", `{"email":"zoe@example.com"}`, 401, "sign in first"},
		{"invite: staff", agent, "/directory/invites", `{"email":"zoe@example.com"}`, 403, "your role (agent)"},
		{"invite: empty body", dan, "/directory/invites", ``, 400, "request body is empty"},
		{"invite: no email", dan, "/directory/invites", `{"note":"hi"}`, 400, `field \"email\" is required`},
		{"invite: email not a string", dan, "/directory/invites", `{"email":3}`, 400, `field \"email\" must be a string`},
		{"invite: no at", dan, "/directory/invites", `{"email":"zoe.example.com"}`, 400, "not a valid address like name@example.com"},
		{"invite: display name", dan, "/directory/invites", `{"email":"Zoe <zoe@example.com>"}`, 400, "not a valid address"},
		{"invite: header injection", dan, "/directory/invites", `{"email":"zoe@example.com\r\nBcc: eve@example.com"}`, 400, "line breaks"},
		{"invite: two addresses", dan, "/directory/invites", `{"email":"zoe@example.com,eve@example.com"}`, 400, "not a valid address"},
		{"invite: no dot in domain", dan, "/directory/invites", `{"email":"zoe@localhost"}`, 400, "not a valid address"},
		{"invite: overlong note", dan, "/directory/invites", `{"email":"zoe@example.com","note":"` + long + `"}`, 400, "note is 501 characters long, the most is 500"},
		{"invite: control char in note", dan, "/directory/invites", `{"email":"zoe@example.com","note":"hi\u0007"}`, 400, "control characters"},
		{"invite: tab in note", dan, "/directory/invites", `{"email":"zoe@example.com","note":"a\tb"}`, 400, "control characters"},
		{"invite: escape in note", dan, "/directory/invites", `{"email":"zoe@example.com","note":"\u001b[31mred"}`, 400, "control characters"},
		{"invite: bare CR in note", dan, "/directory/invites", `{"email":"zoe@example.com","note":"a\rb"}`, 400, "control characters"},
		{"invite: unknown field", dan, "/directory/invites", `{"email":"zoe@example.com","cc":"eve@example.com"}`, 400, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := emailCall(t, e.app(tt.as), "POST", "/api/v1"+tt.path, tt.body)
			if st != tt.status || !strings.Contains(body, tt.fragment) {
				t.Fatalf("got %d %s, want %d containing %q", st, body, tt.status, tt.fragment)
			}
		})
	}
	if msgs := e.sent(t); len(msgs) != 0 {
		t.Fatalf("refused requests sent %d messages", len(msgs))
	}
	var n int64
	e.db.Model(&emailInviteRow{}).Count(&n)
	if n != 0 {
		t.Fatalf("refused requests recorded %d invitations", n)
	}
}

func TestEmailInvite(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana Souza", "ana@example.com")
	st, body := emailCall(t, e.app(ana), "POST", "/api/v1/directory/invites",
		`{"email":" Zoe@Example.com ","note":"Come and see the shops!\r\nCall me: 2000 0000 0001"}`)
	if st != 202 || body != `{"sent":true}` {
		t.Fatalf("invite: %d %s", st, body)
	}
	msgs := e.sent(t)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if got := m.header.Get("To"); got != "zoe@example.com" {
		t.Errorf("To = %q, want the address trimmed and lower-cased", got)
	}
	if got := m.header.Get("Subject"); got != "Ana Souza invites you to livemall" {
		t.Errorf("Subject = %q", got)
	}
	for _, want := range []string{"> Come and see the shops!\n> Call me: 2000 0000 0001\n", "http://localhost:8080/phone/?invite=1"} {
		if !strings.Contains(m.body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.body)
		}
	}
	if strings.Contains(m.body, "ana@example.com") {
		t.Errorf("the invitation shows the inviter's address:\n%s", m.body)
	}
	var rows []emailInviteRow
	e.db.Find(&rows)
	if len(rows) != 1 || rows[0].AccountID != ana.ID || rows[0].Email != "zoe@example.com" || !strings.HasPrefix(rows[0].ID, "inv_") {
		t.Fatalf("invite rows = %+v", rows)
	}
}

func TestEmailInviteAnswersAlikeForMembers(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana", "ana@example.com")
	e.member(t, "Ben", "ben@example.com")
	app := e.app(ana)
	stMember, bodyMember := emailCall(t, app, "POST", "/api/v1/directory/invites", `{"email":"ben@example.com"}`)
	stStranger, bodyStranger := emailCall(t, app, "POST", "/api/v1/directory/invites", `{"email":"zoe@example.com"}`)
	if stMember != stStranger || bodyMember != bodyStranger || stMember != 202 {
		t.Fatalf("member: %d %s; stranger: %d %s; want the same 202", stMember, bodyMember, stStranger, bodyStranger)
	}
}

func TestEmailInviteLimitPerDay(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana", "ana@example.com")
	ben := e.member(t, "Ben", "ben@example.com")
	ctx := context.Background()
	start := e.clock
	for i := range emailInvitesPerDay {
		e.clock = start.Add(time.Duration(i) * time.Minute)
		if err := e.v.Invite(ctx, ana, "friend@example.com", ""); err != nil {
			t.Fatalf("invite %d: %v", i+1, err)
		}
	}
	app := e.app(ana)
	st, body := emailCall(t, app, "POST", "/api/v1/directory/invites", `{"email":"one-more@example.com"}`)
	if st != 429 || !strings.Contains(body, "20 invitations in the last 24 hours") {
		t.Fatalf("invite 21: %d %s, want 429", st, body)
	}
	// Another member is not limited by Ana's invitations.
	if err := e.v.Invite(ctx, ben, "friend@example.com", ""); err != nil {
		t.Fatalf("Ben's first invite: %v", err)
	}
	// 24 hours after the first, one more may go.
	e.clock = start.Add(24*time.Hour + time.Second)
	if st, body := emailCall(t, app, "POST", "/api/v1/directory/invites", `{"email":"one-more@example.com"}`); st != 202 {
		t.Fatalf("invite a day later: %d %s", st, body)
	}
	if st, _ := emailCall(t, app, "POST", "/api/v1/directory/invites", `{"email":"two-more@example.com"}`); st != 429 {
		t.Fatalf("the next one: %d, want 429", st)
	}
	if n := len(e.sent(t)); n != emailInvitesPerDay+2 {
		t.Fatalf("outbox holds %d messages, want %d", n, emailInvitesPerDay+2)
	}
}

func TestEmailInviteLimitHoldsUnderConcurrency(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana", "ana@example.com")
	const tries = emailInvitesPerDay + 10
	errs := make(chan error, tries)
	var wg sync.WaitGroup
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.v.Invite(context.Background(), ana, "friend@example.com", "")
		}()
	}
	wg.Wait()
	close(errs)
	ok, limited := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case apperr.Is(err, apperr.RateLimited):
			limited++
		default:
			t.Errorf("Invite: %v", err)
		}
	}
	if ok != emailInvitesPerDay || limited != tries-emailInvitesPerDay {
		t.Fatalf("%d sent and %d limited, want %d and %d", ok, limited, emailInvitesPerDay, tries-emailInvitesPerDay)
	}
}

// emailFailingSender refuses every message.
type emailFailingSender struct{}

func (emailFailingSender) Send(context.Context, mail.Message) error {
	return errors.New("connection refused")
}

func TestEmailInviteNotSentDoesNotCount(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana", "ana@example.com")
	e.v.sender = emailFailingSender{}
	st, body := emailCall(t, e.app(ana), "POST", "/api/v1/directory/invites", `{"email":"zoe@example.com"}`)
	if st != 503 || !strings.Contains(body, "could not be sent") {
		t.Fatalf("invite with a failing sender: %d %s, want 503", st, body)
	}
	var n int64
	e.db.Model(&emailInviteRow{}).Count(&n)
	if n != 0 {
		t.Fatalf("an unsent invitation was recorded (%d rows)", n)
	}
	if err := e.v.SendVerification(context.Background(), ana.ID); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("SendVerification with a failing sender = %v, want unavailable", err)
	}
}

func TestEmailSubjectSurvivesHostileName(t *testing.T) {
	e := newEmailTestEnv(t)
	eve := e.member(t, "Eve\r\nBcc: victim@example.com", "eve@example.com")
	if err := e.v.Invite(context.Background(), eve, "zoe@example.com", ""); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	m := e.sent(t)[0]
	if got := m.header.Get("Subject"); got != "Eve Bcc: victim@example.com invites you to livemall" {
		t.Fatalf("Subject = %q", got)
	}
	if m.header.Get("Bcc") != "" || len(m.header) != 8 {
		t.Fatalf("headers were injected: %v", m.header)
	}
}

func TestEmailMarkVerified(t *testing.T) {
	e := newEmailTestEnv(t)
	ana := e.member(t, "Ana", "ana@example.com")
	ben := e.member(t, "Ben", "ben@example.com")
	// Ben has a profile with his own choices; Ana has none yet.
	if err := e.db.Create(&Profile{AccountID: ben.ID, Listed: false, Interests: ",cooking,", RingMode: RingAll}).Error; err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := e.db.Transaction(func(tx *gorm.DB) error {
		if err := e.v.MarkVerified(ctx, tx, ana.ID); err != nil {
			return err
		}
		return e.v.MarkVerified(ctx, tx, ben.ID)
	})
	if err != nil {
		t.Fatalf("MarkVerified: %v", err)
	}
	var pa, pb Profile
	e.db.Where("account_id = ?", ana.ID).Take(&pa)
	e.db.Where("account_id = ?", ben.ID).Take(&pb)
	if pa.EmailVerifiedAt == nil || !pa.Listed || pa.RingMode != RingNewest {
		t.Fatalf("Ana's profile = %+v, want defaults and verified", pa)
	}
	if pb.EmailVerifiedAt == nil || pb.Listed || pb.Interests != ",cooking," || pb.RingMode != RingAll {
		t.Fatalf("Ben's profile = %+v, want his choices kept and verified", pb)
	}
	if err := e.v.SendVerification(ctx, ana.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("SendVerification after MarkVerified = %v, want conflict", err)
	}

	// A rolled-back transaction leaves nothing behind.
	cleo := e.member(t, "Cleo", "cleo@example.com")
	e.db.Transaction(func(tx *gorm.DB) error {
		if err := e.v.MarkVerified(ctx, tx, cleo.ID); err != nil {
			t.Fatal(err)
		}
		return errors.New("roll back")
	})
	if e.verifiedAt(t, cleo.ID) != nil {
		t.Fatal("MarkVerified outlived its rolled-back transaction")
	}
}

func TestEmailSendVerificationUnknownAccount(t *testing.T) {
	e := newEmailTestEnv(t)
	if err := e.v.SendVerification(context.Background(), "ac_nobody"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("SendVerification(unknown) = %v, want not found", err)
	}
}

// FuzzEmailInviteNote checks that an accepted note is valid UTF-8 of at
// most 500 characters with no control character but line feeds.
func FuzzEmailInviteNote(f *testing.F) {
	for _, s := range []string{"", "hello", "a\r\nb", "a\rb", "a\tb", "\x00", "\u2028", "\xff", strings.Repeat("é", 500), strings.Repeat("é", 501), "  \n spaced \n  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, note string) {
		got, err := emailCleanNote(note)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if len([]rune(got)) > emailNoteMaxRunes || strings.ContainsAny(got, "\r\t\x00") || !utf8.ValidString(got) {
			t.Fatalf("accepted %q as %q", note, got)
		}
		for _, r := range got {
			if r != '\n' && (r < 0x20 || (r >= 0x7f && r < 0xa0)) {
				t.Fatalf("accepted control character %U in %q", r, got)
			}
		}
	})
}
