package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// csrfApp is a bare app with the CSRF middleware bound to the session
// cookie "sid", then the guest cookie "gid"; POST /signin sets sid, POST
// /signout clears it.
func csrfApp(key string) *fiber.App {
	app := NewApp(Options{PublicURL: "http://localhost:8080", CSRFKey: []byte(key), CSRFBindTo: []string{"sid", "gid"}})
	app.Get("/csrf", func(c *fiber.Ctx) error { return c.SendString(CSRFToken(c)) })
	app.Post("/thing", func(c *fiber.Ctx) error { return c.SendString("done") })
	app.Post("/signin", func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "sid", Value: "session-new", Path: "/"})
		return c.SendString("in")
	})
	app.Post("/signout", func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "sid", Value: "", Path: "/", MaxAge: -1})
		return c.SendString("out")
	})
	return app
}

// send makes one request with the given cookies and CSRF header ("" for
// none) and returns the status and the lm_csrf cookie it set ("" if none).
func send(t *testing.T, app *fiber.App, method, path string, cookies map[string]string, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, "http://localhost:8080"+path, nil)
	req.Header.Set("Origin", "http://localhost:8080")
	for k, v := range cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if token != "" {
		req.Header.Set(CSRFHeader, token)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == CSRFCookie {
			return res.StatusCode, ck.Value
		}
	}
	return res.StatusCode, ""
}

// TestCSRFTokenIsBoundToTheSession: the token the server issues for
// session A works for A and is refused for session B, for a guest and for
// nobody; another server key issues other tokens; a response that starts or
// ends a session issues the new session's token.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	app := csrfApp("key-one")
	a := map[string]string{"sid": "session-a"}
	b := map[string]string{"sid": "session-b"}
	_, tokenA := send(t, app, "GET", "/csrf", a, "")
	_, tokenB := send(t, app, "GET", "/csrf", b, "")
	_, tokenGuest := send(t, app, "GET", "/csrf", map[string]string{"gid": "guest-a"}, "")
	_, tokenNobody := send(t, app, "GET", "/csrf", nil, "")
	if tokenA == "" || tokenA == tokenB || tokenA == tokenGuest || tokenGuest == tokenNobody {
		t.Fatalf("tokens not one per session: A %q B %q guest %q nobody %q", tokenA, tokenB, tokenGuest, tokenNobody)
	}
	if want := CSRFTokenFor([]byte("key-one"), []string{"sid", "gid"}, a); tokenA != want {
		t.Fatalf("issued %q, CSRFTokenFor says %q", tokenA, want)
	}
	if other := CSRFTokenFor([]byte("key-two"), []string{"sid", "gid"}, a); other == tokenA {
		t.Fatal("another key issues the same token")
	}
	tests := []struct {
		name    string
		cookies map[string]string
		token   string
		want    int
	}{
		{"A's token in A", map[string]string{"sid": "session-a", CSRFCookie: tokenA}, tokenA, 200},
		{"A's token in B", map[string]string{"sid": "session-b", CSRFCookie: tokenA}, tokenA, 403},
		{"B's token in A", map[string]string{"sid": "session-a", CSRFCookie: tokenB}, tokenB, 403},
		{"A's token for a guest", map[string]string{"gid": "guest-a", CSRFCookie: tokenA}, tokenA, 403},
		{"A's token for nobody", map[string]string{CSRFCookie: tokenA}, tokenA, 403},
		{"guest's token in A (session wins)", map[string]string{"sid": "session-a", "gid": "guest-a"}, tokenGuest, 403},
		{"A's token with a guest cookie too", map[string]string{"sid": "session-a", "gid": "guest-a"}, tokenA, 200},
		{"guest's token for the guest", map[string]string{"gid": "guest-a"}, tokenGuest, 200},
		{"nobody's token for nobody", nil, tokenNobody, 200},
		{"no header", map[string]string{"sid": "session-a", CSRFCookie: tokenA}, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, _ := send(t, app, "POST", "/thing", tt.cookies, tt.token); st != tt.want {
				t.Fatalf("status %d, want %d", st, tt.want)
			}
		})
	}

	// Signing in hands out the new session's token at once; signing out
	// hands back nobody's.
	st, issued := send(t, app, "POST", "/signin", nil, tokenNobody)
	if want := CSRFTokenFor([]byte("key-one"), []string{"sid"}, map[string]string{"sid": "session-new"}); st != 200 || issued != want {
		t.Fatalf("sign-in: %d, issued %q, want the new session's %q", st, issued, want)
	}
	if st, _ := send(t, app, "POST", "/thing", map[string]string{"sid": "session-new"}, issued); st != 200 {
		t.Fatalf("the token issued at sign-in was refused: %d", st)
	}
	st, issued = send(t, app, "POST", "/signout", a, tokenA)
	if st != 200 || issued != tokenNobody {
		t.Fatalf("sign-out: %d, issued %q, want nobody's %q", st, issued, tokenNobody)
	}
}

// TestCSRFRefusesClientChosenToken: a token the client made up (or planted
// in the cookie, as a sibling subdomain can) is refused even when header
// and cookie agree, and the server answers with its own token.
func TestCSRFRefusesClientChosenToken(t *testing.T) {
	app := csrfApp("key-one")
	chosen := []string{
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                                       // the shape of a real token
		CSRFTokenFor([]byte("guessed-key"), []string{"sid"}, map[string]string{"sid": "s"}), // signed with the wrong key
		"x",
		strings.Repeat("A", 200),
	}
	for _, token := range chosen {
		st, issued := send(t, app, "POST", "/thing", map[string]string{"sid": "s", CSRFCookie: token}, token)
		if st != 403 {
			t.Fatalf("client-chosen token %q: status %d, want 403", token, st)
		}
		if want := CSRFTokenFor([]byte("key-one"), []string{"sid", "gid"}, map[string]string{"sid": "s"}); issued != want {
			t.Fatalf("after refusing %q the server issued %q, want %q", token, issued, want)
		}
	}
}
