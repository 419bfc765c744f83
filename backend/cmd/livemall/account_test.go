package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestAccountRecoverWhileServing(t *testing.T) {
	flags := append(dbFlags(t), "--public-url", "http://localhost:9999")
	_, base := startServe(t, flags...)
	if out, stderr, code := livemall(t, append([]string{"member", "add", "--name", "Rita Lost", "--email", "rita@corp.example", "--birthdate", "1980-01-01"}, flags...)...); code != 0 {
		t.Fatalf("member add: %d %s %s", code, out, stderr)
	}
	link := regexp.MustCompile(`http://localhost:9999/phone/\?recover=([A-Za-z0-9_-]+)`)

	// Issued by the OS user, or by --by with the OS user recorded beside.
	for _, tt := range []struct {
		args []string
		want *regexp.Regexp
	}{
		{nil, regexp.MustCompile(`issued by [^ (]+@`)},
		{[]string{"--by", "Ops Lead"}, regexp.MustCompile(`issued by Ops Lead \(os user [^ ]+@`)},
	} {
		out, stderr, code := livemall(t, append(append([]string{"account", "recover", "--email", "Rita@corp.example"}, tt.args...), flags...)...)
		m := link.FindStringSubmatch(out)
		if code != 0 || m == nil || !tt.want.MatchString(out) || !strings.Contains(out, "valid 1 hour") {
			t.Fatalf("account recover %v: exit %d\n%s%s", tt.args, code, out, stderr)
		}
		// The running server knows the link at once.
		res, err := http.Get(base + "/api/v1/auth/recoveries/" + m[1])
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("the server does not know the recovery link: %v %v", res, err)
		}
		res.Body.Close()
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--email", "nobody@corp.example"}, 1, "no account with email"},
		{[]string{}, 1, "--email is required"},
		{[]string{"--email", "rita@corp.example", "--by", "Ops\x1bLead"}, 1, "control or invalid character"},
		{[]string{"--email", "rita@corp.example", "--by", strings.Repeat("x", 201)}, 1, "longer than 200"},
		{[]string{"--email", "rita@corp.example", "--by", "  "}, 1, "say who issues"},
	} {
		_, stderr, code := livemall(t, append(append([]string{"account", "recover"}, tt.args...), flags...)...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Fatalf("account recover %q: exit %d %q, want %d with %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
	if _, stderr, code := livemall(t, append([]string{"account", "delete", "--email", "rita@corp.example"}, flags...)...); code != 2 || !strings.Contains(stderr, "usage: livemall account recover") {
		t.Fatalf("account delete: exit %d %q, want the usage", code, stderr)
	}
}

// TestAccountRevokeWhileServing: `account revoke` works beside a running
// server, says what it took away, and refuses a missing or unknown email.
func TestAccountRevokeWhileServing(t *testing.T) {
	flags := append(dbFlags(t), "--public-url", "http://localhost:9999")
	startServe(t, flags...)
	if out, stderr, code := livemall(t, append([]string{"member", "add", "--name", "Vic Gone", "--email", "vic@corp.example", "--birthdate", "1980-01-01"}, flags...)...); code != 0 {
		t.Fatalf("member add: %d %s %s", code, out, stderr)
	}
	out, stderr, code := livemall(t, append([]string{"account", "revoke", "--email", "vic@corp.example", "--passkeys"}, flags...)...)
	if code != 0 || !strings.Contains(out, "0 sessions ended, 1 unused links killed, 0 passkeys removed") {
		t.Fatalf("account revoke: exit %d\n%s%s", code, out, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--email", "nobody@corp.example"}, "no account with email"},
		{[]string{}, "--email is required"},
	} {
		_, stderr, code := livemall(t, append(append([]string{"account", "revoke"}, tt.args...), flags...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Fatalf("account revoke %q: exit %d %q, want 1 with %q", tt.args, code, stderr, tt.want)
		}
	}
}
