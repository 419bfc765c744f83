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
	tests := []apptest.Scenario{
		{Name: "malformed JSON", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: `{"name":`, Status: 400, Code: "invalid", Text: "malformed JSON"},
		{Name: "not an object", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: `[1,2]`, Status: 400, Code: "invalid", Text: "expected a JSON object"},
		{Name: "trailing data", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid("") + `{}`, Status: 400, Code: "invalid", Text: "unexpected data after the object"},
		{Name: "empty body", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: ``, Status: 400, Code: "invalid", Text: "request body is empty"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: `{"name":"A","admin":true}`, Status: 400, Code: "invalid", Text: `unknown field "admin"`},
		{Name: "wrong type", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`name=42`), Status: 400, Code: "invalid", Text: `field "name" must be a string`},
		{Name: "missing name", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid("name=-"), Status: 400, Code: "invalid", Text: `field "name" is required`},
		{Name: "blank name", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`name="   "`), Status: 400, Code: "invalid", Text: `field "name" is required`},
		{Name: "missing email", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid("email=-"), Status: 400, Code: "invalid", Text: `field "email" is required`},
		{Name: "missing birth date", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid("birthDate=-"), Status: 400, Code: "invalid", Text: `field "birthDate" is required`},
		{Name: "missing address", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid("address=-"), Status: 400, Code: "invalid", Text: `field "address" is required`},
		{Name: "bad email", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`email="ana@"`), Status: 400, Code: "invalid", Text: "not a valid address"},
		{Name: "bad birth date", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`birthDate="01/02/1990"`), Status: 400, Code: "invalid", Text: "YYYY-MM-DD"},
		{Name: "future birth date", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`birthDate="2999-01-01"`), Status: 400, Code: "invalid", Text: "in the future"},
		{Name: "long name", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`name="` + strings.Repeat("n", 101) + `"`), Status: 400, Code: "invalid", Text: "longer than 100"},
		{Name: "email taken", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(`email="ana@demo.livemall.example"`), Status: 409, Code: "conflict", Text: "already exists"},
		{Name: "wrong content type", Method: "POST", Path: "/api/v1/auth/signup/begin", Body: valid(""), Headers: []string{"Content-Type", "text/plain"}, Status: 400, Code: "invalid", Text: "not supported"},
		{Name: "finish without ceremony", Method: "POST", Path: "/api/v1/auth/signin/finish", Body: `{"credential":{}}`, Status: 400, Code: "invalid", Text: `field "ceremony" is required`},
		{Name: "finish without credential", Method: "POST", Path: "/api/v1/auth/signin/finish", Body: `{"ceremony":"abc"}`, Status: 400, Code: "invalid", Text: `field "credential" is required`},
		{Name: "finish unknown ceremony", Method: "POST", Path: "/api/v1/auth/signin/finish", Body: `{"ceremony":"abc","credential":{}}`, Status: 400, Code: "invalid", Text: "unknown, expired or already used"},
		{Name: "garbage credential", Method: "POST", Path: "/api/v1/auth/signup/finish", Body: `{"ceremony":"abc","credential":"nope"}`, Status: 400, Code: "invalid", Text: "unknown, expired"},
		{Name: "sign-in begin with fields", Method: "POST", Path: "/api/v1/auth/signin/begin", Body: `{"email":"a@b.c"}`, Status: 400, Code: "invalid", Text: `unknown field "email"`},
		{Name: "unknown enrollment", Method: "GET", Path: "/api/v1/auth/enrollments/nope", Status: 404, Code: "not_found", Text: "enrollment link"},
		{Name: "unknown API path", Method: "GET", Path: "/api/v1/nothing-here", Status: 404, Code: "not_found", Text: "no API endpoint"},
		{Name: "unknown API path POST", Method: "POST", Path: "/api/v1/nothing-here", Body: "{}", Status: 404, Code: "not_found", Text: "no API endpoint"},
		{Name: "me signed out", Method: "GET", Path: "/api/v1/me", Status: 401, Code: "unauthorized", Text: "sign in"},
		{Name: "signout is idempotent", Method: "POST", Path: "/api/v1/auth/signout", Body: "", Status: 204},
	}
	apptest.RunScenarios(t, a, nil, tests)
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
