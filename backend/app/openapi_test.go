package app_test

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// documentedMethods are the HTTP methods an OpenAPI path item may hold as
// operations and that the API registers.
var documentedMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// fiberParam matches a Fiber path parameter such as :slug.
var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPICoversRoutes fails when a registered API route is missing from
// openapi.json, or when the document describes a route that is not
// registered, so that the two cannot drift apart.
func TestOpenAPICoversRoutes(t *testing.T) {
	// Stripe configured, so that its webhook route is registered and checked
	// too; nothing here calls Stripe.
	a := apptest.New(t, func(c *config.Config) {
		c.StripeSecretKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_x", "whsec_x", "http://127.0.0.1:1"
	})
	c := apptest.NewClient(t, a)

	// The document is served, as JSON, and parses.
	req := httptest.NewRequest("GET", "/api/v1/openapi.json", nil)
	req.Host = "localhost:8080"
	res, err := a.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("GET /api/v1/openapi.json: %v", err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: content type %q, want application/json", ct)
	}
	r := c.Must(200, "GET", "/api/v1/openapi.json", nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.JSON(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi is %q, want 3.x", doc.OpenAPI)
	}
	if r.Body != string(app.OpenAPI) {
		t.Fatalf("served document differs from the embedded openapi.json")
	}

	// Every registered route is documented.
	registered := map[string]bool{} // "GET /api/v1/stores/{slug}"
	for _, rt := range a.Fiber.GetRoutes(true) {
		if !slices.Contains(documentedMethods, rt.Method) {
			continue // HEAD (added for every GET), OPTIONS, CONNECT, TRACE
		}
		p := rt.Path
		if p == "/*" || strings.HasSuffix(p, "/*") {
			continue // the UI and the API's not-found catch-all
		}
		if !strings.HasPrefix(p, "/api/v1/") && p != "/healthz" && p != "/readyz" {
			continue
		}
		p = fiberParam.ReplaceAllString(p, "{$1}")
		key := rt.Method + " " + p
		if registered[key] {
			continue
		}
		registered[key] = true
		if _, ok := doc.Paths[p][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	if len(registered) == 0 {
		t.Fatal("no routes found: GetRoutes returned nothing to check")
	}

	// Every documented operation is registered.
	for p, item := range doc.Paths {
		for m := range item {
			if !slices.Contains(documentedMethods, strings.ToUpper(m)) {
				continue // parameters, summary, description, servers
			}
			if key := strings.ToUpper(m) + " " + p; !registered[key] {
				t.Errorf("openapi.json documents %s, which is not a registered route", key)
			}
		}
	}
}
