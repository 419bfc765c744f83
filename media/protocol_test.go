package media

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// typesIn returns the message types of a TypeScript union declared as
// `export type NAME = | { type: 'a' ... } | { type: 'b' | 'c' ... }`.
func typesIn(t *testing.T, ts, name string) []string {
	t.Helper()
	start := strings.Index(ts, "export type "+name+" =")
	if start < 0 {
		t.Fatalf("messages.gen.ts declares no %s", name)
	}
	body := ts[start:]
	if end := strings.Index(body[1:], "\nexport "); end > 0 {
		body = body[:end+1]
	}
	if end := strings.Index(body, ";\n\n"); end > 0 {
		body = body[:end]
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`type: ((?:'[a-z.]+'(?:\s*\|\s*)?)+)`).FindAllStringSubmatch(body, -1) {
		for _, q := range regexp.MustCompile(`'([a-z.]+)'`).FindAllStringSubmatch(m[1], -1) {
			seen[q[1]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func protocolTypes(d Direction) []string {
	var out []string
	for _, m := range Protocol {
		if m.Direction == d {
			out = append(out, m.Type)
		}
	}
	sort.Strings(out)
	return out
}

// TestTypeScriptProtocolMatchesGo keeps the TypeScript message unions
// (generated into media/client/messages.gen.ts, re-exported by protocol.ts)
// and SIGNALING.md in step with Protocol.
func TestTypeScriptProtocolMatchesGo(t *testing.T) {
	raw, err := os.ReadFile("client/messages.gen.ts")
	if err != nil {
		t.Fatal(err)
	}
	ts := string(raw)
	if got, want := strings.Join(typesIn(t, ts, "ServerMessage"), ","), strings.Join(protocolTypes(ToDevice), ","); got != want {
		t.Fatalf("ServerMessage in messages.gen.ts has %s; Go's Protocol has %s", got, want)
	}
	if got, want := strings.Join(typesIn(t, ts, "ClientMessage"), ","), strings.Join(protocolTypes(ToServer), ","); got != want {
		t.Fatalf("ClientMessage in messages.gen.ts has %s; Go's Protocol has %s", got, want)
	}
	doc, err := os.ReadFile("SIGNALING.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Protocol {
		if !strings.Contains(string(doc), "`"+m.Type+"`") {
			t.Fatalf("SIGNALING.md does not describe %s", m.Type)
		}
	}
}
