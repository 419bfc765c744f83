package apptest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app"
)

// Scenario is one API case of a table: who sends which request, and what
// the answer must be. Every slice's tables of API cases use it.
type Scenario struct {
	// Name names the subtest; "" names it by Who, Method and Path.
	Name string
	// Who is the actor sending the request: a key of the table's Actors.
	// "" is a fresh signed-out browser for each case, unless the Actors
	// name one "".
	Who          string
	Method, Path string
	// Body is nil for no body, a string sent as is (even ""), []byte, or
	// another value sent as JSON; a body is sent as application/json.
	Body any
	// Headers are pairs of header name and value, set after the client's own.
	Headers []string
	// Status is the status the answer must have.
	Status int
	// Code is the error code an error answer must carry; "" accepts any,
	// but an error answer (status 400 and up) must still be a JSON error
	// {"error":{"code","message"}} with a code.
	Code string
	// Text must be contained in the error's message, or for a success in
	// the body; "" checks nothing more.
	Text string
}

// Actors are a table's clients by the name its scenarios' Who gives.
type Actors map[string]*Client

// RunScenarios runs each scenario as a subtest on node a, sending its
// request as the scenario's actor and checking the status, the error code
// and the text. Each function in then runs after each scenario (in the
// subtest), for checks such as "a refused request changed nothing".
func RunScenarios(t *testing.T, a *app.App, who Actors, cases []Scenario, then ...func(t *testing.T, s Scenario)) {
	t.Helper()
	for _, s := range cases {
		name := s.Name
		if name == "" {
			name = strings.TrimSpace(s.Who + " " + s.Method + " " + s.Path)
		}
		t.Run(name, func(t *testing.T) {
			c, ok := who[s.Who]
			switch {
			case ok:
				prev := c.T
				c.T = t
				defer func() { c.T = prev }()
			case s.Who == "":
				c = NewClient(t, a)
			default:
				t.Fatalf("scenario %q: no actor named %q", name, s.Who)
			}
			r := c.Do(s.Method, s.Path, s.Body, s.Headers...)
			CheckAnswer(t, s, r)
			for _, f := range then {
				f(t, s)
			}
		})
	}
}

// CheckAnswer fails the test unless r is the answer scenario s wants: its
// status, and for an error a JSON error with s.Code whose message contains
// s.Text; for a success a body containing s.Text.
func CheckAnswer(t *testing.T, s Scenario, r Response) {
	t.Helper()
	if r.Status != s.Status {
		t.Fatalf("%s %s: status %d, want %d: %.300s", s.Method, s.Path, r.Status, s.Status, r.Body)
	}
	if r.Status < 400 {
		if !strings.Contains(r.Body, s.Text) {
			t.Fatalf("%s %s: body %.300s, want it to contain %q", s.Method, s.Path, r.Body, s.Text)
		}
		return
	}
	var e APIError
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("%s %s: error body not in the vocabulary: %.300s", s.Method, s.Path, r.Body)
	}
	if s.Code != "" && e.Error.Code != s.Code {
		t.Fatalf("%s %s: body %.300s, want error code %q", s.Method, s.Path, r.Body, s.Code)
	}
	if !strings.Contains(e.Error.Message, s.Text) {
		t.Fatalf("%s %s: message %q, want it to contain %q", s.Method, s.Path, e.Error.Message, s.Text)
	}
}
