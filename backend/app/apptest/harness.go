package apptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// Origin is the public origin of the test nodes (and the WebAuthn origin).
const Origin = "http://localhost:8080"

// New starts a node on a fresh database (SQLite, or PostgreSQL in the
// PostgreSQL run) with an embedded NATS, seeded with the demo mall.
func New(t *testing.T, tweak ...func(*config.Config)) *app.App {
	t.Helper()
	cfg := config.Default()
	db := dbtest.Config(t)
	cfg.DatabaseURL = db.URL
	cfg.DataDir = db.DataDir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.PublicURL = Origin
	cfg.Node = "test-node"
	cfg.TURNAddr = ""
	cfg.AuthRateLimit = 1000
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Shutdown() })
	if _, err := a.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return a
}

// Client is a browser stand-in: it keeps cookies, sends the CSRF token and
// the site's Origin, and holds a virtual authenticator with one passkey.
// UseBrowser moves the person to another browser; SameBrowser puts another
// person on this one.
type Client struct {
	T       *testing.T
	App     *app.App
	Cookies map[string]string
	Origin  string
	NoCSRF  bool
	// ua is the browser's User-Agent: the server names the devices it
	// issues after it.
	UA string
	// device is the id of the device the server issued to this browser, as
	// the hello of its last signaling socket named it.
	Device string
	// jars keeps each browser's cookies and User-Agent while the person uses
	// another (UseBrowser).
	jars   map[string]browserJar
	on     string // the browser in use, "" for the first
	Remote string // base URL of a server in another process; empty sends to app in process

	Authr virtualwebauthn.Authenticator
	Cred  virtualwebauthn.Credential
	RP    virtualwebauthn.RelyingParty
}

// NewClient returns a browser stand-in for node a, with a passkey of its
// own, on a computer.
func NewClient(t *testing.T, a *app.App) *Client {
	return &Client{T: t, App: a, Cookies: map[string]string{}, Origin: Origin, UA: UAComputer,
		Authr: virtualwebauthn.NewAuthenticator(),
		Cred:  NewCredential(t),
		RP:    virtualwebauthn.RelyingParty{Name: "livemall", ID: "localhost", Origin: Origin}}
}

// User-Agents of the test browsers, and the labels the server gives them.
const (
	UAComputer = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
	UAPhone    = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
	UATablet   = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

	LabelComputer = "Firefox on Linux"
	LabelPhone    = "Chrome on Android"
	LabelTablet   = "Safari on iPadOS"
)

// browserJar is one browser's state: its cookies (session, device, CSRF)
// and User-Agent.
type browserJar struct {
	Cookies map[string]string
	UA      string
	Device  string
}

// UseBrowser moves the person to the browser called name, with its own
// cookies (so its own session and device), created with User-Agent ua the
// first time; "" is the browser the client started on. The passkey stays
// the person's.
func (c *Client) UseBrowser(name, ua string) {
	if c.jars == nil {
		c.jars = map[string]browserJar{}
	}
	c.jars[c.on] = browserJar{Cookies: c.Cookies, UA: c.UA, Device: c.Device}
	j, ok := c.jars[name]
	if !ok {
		j = browserJar{Cookies: map[string]string{}, UA: ua}
	}
	c.Cookies, c.UA, c.Device, c.on = j.Cookies, j.UA, j.Device, name
}

// SameBrowser returns another person (with their own passkey) on the
// client's browser: they share its cookies, so whoever signs in last holds
// the session, and the browser keeps one device for all of them.
func (c *Client) SameBrowser() *Client {
	o := NewClient(c.T, c.App)
	o.Cookies, o.UA = c.Cookies, c.UA
	return o
}

// NewCredential returns a virtual passkey whose public key coordinates are
// full length: virtualwebauthn drops leading zero bytes (big.Int.Bytes), and
// a key with a short coordinate (1 in 128) is one no real authenticator makes.
func NewCredential(t *testing.T) virtualwebauthn.Credential {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.X.Bytes()) != 32 || len(k.Y.Bytes()) != 32 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

// Response is what a request returned.
type Response struct {
	Status int
	Body   string
}

// JSON decodes the body into v.
func (r Response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON).
func (c *Client) Do(method, path string, body any, headers ...string) Response {
	c.T.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.Host = "localhost:8080"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		if c.Origin != "" {
			req.Header.Set("Origin", c.Origin)
		}
		if !c.NoCSRF {
			if _, ok := c.Cookies["lm_csrf"]; !ok {
				c.Do(http.MethodGet, "/api/v1/csrf", nil)
			}
			req.Header.Set("X-CSRF-Token", c.Cookies["lm_csrf"])
		}
	}
	if c.UA != "" {
		req.Header.Set("User-Agent", c.UA)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for k, v := range c.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	var res *http.Response
	var err error
	if c.Remote != "" {
		res, err = c.sendRemote(req)
	} else {
		res, err = c.App.Fiber.Test(req, -1)
	}
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.Cookies, ck.Name)
		} else {
			c.Cookies[ck.Name] = ck.Value
		}
	}
	raw, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Body: string(raw)}
}

// Must sends a request and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any) Response {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.T.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Begun is the answer of a begin step.
type Begun struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

// Register answers a registration ceremony's options with the client's
// passkey, as a browser's credential.toJSON() would.
func (c *Client) Register(b Begun) json.RawMessage {
	c.T.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(b.Options))
	if err != nil {
		c.T.Fatalf("parse creation options: %v", err)
	}
	c.Authr.Options.UserHandle = []byte(opts.UserID)
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(c.RP, c.Authr, c.Cred, *opts))
}

// Assert answers a sign-in ceremony's options with the client's passkey and
// advances its counter.
func (c *Client) Assert(b Begun) json.RawMessage {
	c.T.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(b.Options))
	if err != nil {
		c.T.Fatalf("parse request options: %v", err)
	}
	c.Cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(c.RP, c.Authr, c.Cred, *opts))
}

// SignUp creates a member with the client's passkey and signs in.
func (c *Client) SignUp(name, email, birthDate string) {
	c.T.Helper()
	var b Begun
	c.Must(200, "POST", "/api/v1/auth/signup/begin", map[string]string{"name": name, "email": email, "birthDate": birthDate, "address": "1 Main St, Springfield"}).JSON(c.T, &b)
	c.Must(201, "POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Register(b)})
}

// SignIn signs in with the client's passkey, usernameless.
func (c *Client) SignIn() Response {
	c.T.Helper()
	var b Begun
	c.Must(200, "POST", "/api/v1/auth/signin/begin", "{}").JSON(c.T, &b)
	return c.Do("POST", "/api/v1/auth/signin/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)})
}

// Enroll redeems an enrollment link's token with the client's passkey.
func (c *Client) Enroll(token string) Response {
	c.T.Helper()
	var b Begun
	c.Must(200, "POST", "/api/v1/auth/enrollments/"+token+"/begin", "{}").JSON(c.T, &b)
	return c.Do("POST", "/api/v1/auth/enrollments/"+token+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Register(b)})
}

// TokenOf extracts the enroll token from a link.
func TokenOf(t *testing.T, link string) string {
	t.Helper()
	_, tok, ok := strings.Cut(link, "?enroll=")
	if !ok {
		t.Fatalf("no token in link %q", link)
	}
	return tok
}

// B64 is base64url without padding.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// WaitFor polls cond until it holds or the deadline passes.
func WaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Main runs a package's tests with the log kept to warnings and errors:
// the nodes' start-up lines are noise beside failures and counts. Each
// package's TestMain calls it.
func Main(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
