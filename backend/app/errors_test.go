package app_test

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
)

func TestAPIErrorCases(t *testing.T) {
	a := apptest.New(t)
	valid := func(over string) string {
		fields := map[string]string{"name": `"Ana"`, "email": `"ana.t@example.com"`, "birthDate": `"1990-01-01"`, "address": `"Main St 1"`}
		k, v, _ := strings.Cut(over, "=")
		if v == "-" {
			delete(fields, k)
		} else if k != "" {
			fields[k] = v
		}
		var parts []string
		for _, f := range []string{"name", "email", "birthDate", "address"} {
			if v, ok := fields[f]; ok {
				parts = append(parts, `"`+f+`":`+v)
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	tests := []struct {
		name, method, path, body string
		headers                  []string
		want                     int
		code, message            string
	}{
		{"malformed JSON", "POST", "/api/v1/auth/signup/begin", `{"name":`, nil, 400, "invalid", "malformed JSON"},
		{"not an object", "POST", "/api/v1/auth/signup/begin", `[1,2]`, nil, 400, "invalid", "expected a JSON object"},
		{"trailing data", "POST", "/api/v1/auth/signup/begin", valid("") + `{}`, nil, 400, "invalid", "unexpected data after the object"},
		{"empty body", "POST", "/api/v1/auth/signup/begin", ``, nil, 400, "invalid", "request body is empty"},
		{"unknown field", "POST", "/api/v1/auth/signup/begin", `{"name":"A","admin":true}`, nil, 400, "invalid", `unknown field "admin"`},
		{"wrong type", "POST", "/api/v1/auth/signup/begin", valid(`name=42`), nil, 400, "invalid", `field "name" must be a string`},
		{"missing name", "POST", "/api/v1/auth/signup/begin", valid("name=-"), nil, 400, "invalid", `field "name" is required`},
		{"blank name", "POST", "/api/v1/auth/signup/begin", valid(`name="   "`), nil, 400, "invalid", `field "name" is required`},
		{"missing email", "POST", "/api/v1/auth/signup/begin", valid("email=-"), nil, 400, "invalid", `field "email" is required`},
		{"missing birth date", "POST", "/api/v1/auth/signup/begin", valid("birthDate=-"), nil, 400, "invalid", `field "birthDate" is required`},
		{"missing address", "POST", "/api/v1/auth/signup/begin", valid("address=-"), nil, 400, "invalid", `field "address" is required`},
		{"bad email", "POST", "/api/v1/auth/signup/begin", valid(`email="ana@"`), nil, 400, "invalid", "not a valid address"},
		{"bad birth date", "POST", "/api/v1/auth/signup/begin", valid(`birthDate="01/02/1990"`), nil, 400, "invalid", "YYYY-MM-DD"},
		{"future birth date", "POST", "/api/v1/auth/signup/begin", valid(`birthDate="2999-01-01"`), nil, 400, "invalid", "in the future"},
		{"long name", "POST", "/api/v1/auth/signup/begin", valid(`name="` + strings.Repeat("n", 101) + `"`), nil, 400, "invalid", "longer than 100"},
		{"email taken", "POST", "/api/v1/auth/signup/begin", valid(`email="ana@demo.livemall.example"`), nil, 409, "conflict", "already exists"},
		{"wrong content type", "POST", "/api/v1/auth/signup/begin", valid(""), []string{"Content-Type", "text/plain"}, 400, "invalid", "not supported"},
		{"finish without ceremony", "POST", "/api/v1/auth/signin/finish", `{"credential":{}}`, nil, 400, "invalid", `field "ceremony" is required`},
		{"finish without credential", "POST", "/api/v1/auth/signin/finish", `{"ceremony":"abc"}`, nil, 400, "invalid", `field "credential" is required`},
		{"finish unknown ceremony", "POST", "/api/v1/auth/signin/finish", `{"ceremony":"abc","credential":{}}`, nil, 400, "invalid", "unknown, expired or already used"},
		{"garbage credential", "POST", "/api/v1/auth/signup/finish", `{"ceremony":"abc","credential":"nope"}`, nil, 400, "invalid", "unknown, expired"},
		{"sign-in begin with fields", "POST", "/api/v1/auth/signin/begin", `{"email":"a@b.c"}`, nil, 400, "invalid", `unknown field "email"`},
		{"unknown enrollment", "GET", "/api/v1/auth/enrollments/nope", "", nil, 404, "not_found", "enrollment link"},
		{"unknown API path", "GET", "/api/v1/nothing-here", "", nil, 404, "not_found", "no API endpoint"},
		{"unknown API path POST", "POST", "/api/v1/nothing-here", "{}", nil, 404, "not_found", "no API endpoint"},
		{"me signed out", "GET", "/api/v1/me", "", nil, 401, "unauthorized", "sign in"},
		{"signout is idempotent", "POST", "/api/v1/auth/signout", "", nil, 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apptest.NewClient(t, a)
			var body any
			if tt.body != "" || tt.method == "POST" {
				body = tt.body
			}
			r := c.Do(tt.method, tt.path, body, tt.headers...)
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d: %.300s", r.Status, tt.want, r.Body)
			}
			if tt.code == "" {
				return
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			r.JSON(t, &e)
			if e.Error.Code != tt.code {
				t.Fatalf("body %.300s, want error code %q", r.Body, tt.code)
			}
			if !strings.Contains(e.Error.Message, tt.message) {
				t.Fatalf("body %.300s, want message containing %q", r.Body, tt.message)
			}
		})
	}
	var n int64
	a.DB.Table("accounts").Where("email LIKE ?", "ana.t%").Count(&n)
	if n != 0 {
		t.Fatalf("a refused sign-up left %d accounts behind", n)
	}
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	a := apptest.New(t)
	c := apptest.NewClient(t, a)
	c.Must(200, "GET", "/healthz", nil)
	c.Must(200, "GET", "/readyz", nil)
	// Metrics live on their own listener (TestMetricsOnlyOnTheirOwnListener).
	if r := c.Do("GET", "/metrics", nil); r.Status != 404 || strings.Contains(r.Body, "livemall_http_requests_total") {
		t.Fatalf("metrics on the public port: %d %.200s", r.Status, r.Body)
	}
	a.DB.Close()
	r := c.Do("GET", "/readyz", nil)
	if r.Status != 503 || !strings.Contains(r.Body, "database does not answer") {
		t.Fatalf("readyz with the database closed: %d %s", r.Status, r.Body)
	}
	c.Must(200, "GET", "/healthz", nil)
}
