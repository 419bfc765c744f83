package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestPagesSendSecurityHeaders requests every app's pages (and an API
// answer and an error) from a real node, offline and in Stripe mode, and
// checks each security header: scripts only from the server (and Stripe
// only in Stripe mode), no plugins, no foreign <base>, no framing,
// WebSockets to the server, nosniff, the referrer policy and camera and
// microphone for the page itself only.
func TestPagesSendSecurityHeaders(t *testing.T) {
	paths := []string{"/", "/desk/", "/phone/", "/store/north-peak/product/NP-TENT-2", "/desk/anything", "/api/v1/stores", "/api/v1/nope"}
	for _, mode := range []struct {
		name   string
		stripe bool
	}{{"offline", false}, {"stripe", true}} {
		t.Run(mode.name, func(t *testing.T) {
			a := apptest.New(t, func(c *config.Config) {
				if mode.stripe {
					c.Payments = "stripe"
					c.StripeSecretKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_x", "whsec_x", "http://127.0.0.1:1"
				} else {
					c.Payments = "offline"
				}
			})
			for _, path := range paths {
				t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Host = "localhost:8080"
					res, err := a.Fiber.Test(req, -1)
					if err != nil {
						t.Fatalf("GET %s: %v", path, err)
					}
					res.Body.Close()
					h := res.Header
					for name, want := range map[string]string{
						"X-Content-Type-Options": "nosniff",
						"Referrer-Policy":        "strict-origin-when-cross-origin",
						"X-Frame-Options":        "DENY",
					} {
						if got := h.Get(name); got != want {
							t.Errorf("%s: %s = %q, want %q", path, name, got, want)
						}
					}
					pp := h.Get("Permissions-Policy")
					for _, want := range []string{"camera=(self)", "microphone=(self)"} {
						if !strings.Contains(pp, want) {
							t.Errorf("%s: Permissions-Policy %q lacks %s", path, pp, want)
						}
					}
					csp := parseCSP(h.Get("Content-Security-Policy"))
					want := map[string]string{
						"script-src":      "'self'",
						"object-src":      "'none'",
						"base-uri":        "'self'",
						"frame-ancestors": "'none'",
						"connect-src":     "'self' ws://localhost:8080",
						"frame-src":       "'self'",
						"img-src":         "'self' data: blob:",
						"media-src":       "'self' data: blob:",
					}
					if mode.stripe {
						want["script-src"] = "'self' https://js.stripe.com"
						want["connect-src"] = "'self' ws://localhost:8080 https://api.stripe.com"
						want["frame-src"] = "'self' https://js.stripe.com https://hooks.stripe.com"
					}
					for d, v := range want {
						if csp[d] != v {
							t.Errorf("%s: CSP %s = %q, want %q (policy %q)", path, d, csp[d], v, h.Get("Content-Security-Policy"))
						}
					}
					if !mode.stripe && strings.Contains(h.Get("Content-Security-Policy"), "stripe") {
						t.Errorf("%s: offline mode allows a Stripe origin: %q", path, h.Get("Content-Security-Policy"))
					}
					if strings.Contains(csp["script-src"], "unsafe") {
						t.Errorf("%s: scripts may run inline: %q", path, csp["script-src"])
					}
				})
			}
		})
	}
}

// parseCSP splits a Content-Security-Policy into its directives.
func parseCSP(policy string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = value
		}
	}
	return out
}
