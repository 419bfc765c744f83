package web

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestClientIPTrustsForwardedForOnlyFromTrustedProxies(t *testing.T) {
	trusted := ParseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.7", " 2001:db8::/32 ", "not-an-ip"})
	tests := []struct {
		name, peer, xff, want string
	}{
		{"no proxy header", "203.0.113.5", "", "203.0.113.5"},
		{"untrusted peer's header ignored", "203.0.113.5", "198.51.100.1", "203.0.113.5"},
		{"trusted peer (CIDR)", "10.1.2.3", "198.51.100.1", "198.51.100.1"},
		{"trusted peer (IP)", "192.0.2.7", "198.51.100.1", "198.51.100.1"},
		{"trusted peer (IPv6 range)", "2001:db8::1", "198.51.100.1", "198.51.100.1"},
		{"client-prepended entry skipped", "10.1.2.3", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3", "198.51.100.1, 10.9.9.9, 10.8.8.8", "198.51.100.1"},
		{"spoof left of an untrusted hop", "10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"all hops trusted", "10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"},
		{"garbage right of the client", "10.1.2.3", "198.51.100.1, garbage", "10.1.2.3"},
		{"garbage left of the client", "10.1.2.3", "garbage, 198.51.100.1", "198.51.100.1"},
		{"with a port", "10.1.2.3", "198.51.100.1:4711", "198.51.100.1"},
		{"IPv6 with a port", "10.1.2.3", "[2001:db9::5]:4711", "2001:db9::5"},
		{"IPv4-mapped", "10.1.2.3", "::ffff:198.51.100.1", "198.51.100.1"},
		{"zone refused", "10.1.2.3", "fe80::1%eth0", "10.1.2.3"},
		{"empty entries", "10.1.2.3", ",,", "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clientIP(netip.MustParseAddr(tt.peer), tt.xff, trusted)
			if got.String() != tt.want {
				t.Fatalf("clientIP(%s, %q) = %s, want %s", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
}

func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"", "1.2.3.4", "1.2.3.4, 10.0.0.1", "[::1]:80", "garbage,,", "::ffff:1.2.3.4", "fe80::1%eth0"} {
		f.Add(s)
	}
	trusted := ParseTrustedProxies([]string{"10.0.0.0/8"})
	peer := netip.MustParseAddr("10.0.0.9")
	f.Fuzz(func(t *testing.T, xff string) {
		got := clientIP(peer, xff, trusted)
		if !got.IsValid() {
			t.Fatalf("clientIP(%q) is not an address", xff)
		}
		if got.Zone() != "" {
			t.Fatalf("clientIP(%q) = %s has a zone", xff, got)
		}
		// Nobody untrusted is believed unless the header named it.
		if got != peer && !containsAddr(xff, got) {
			t.Fatalf("clientIP(%q) = %s, which the header does not name", xff, got)
		}
	})
}

func containsAddr(xff string, a netip.Addr) bool {
	for _, hop := range strings.Split(xff, ",") {
		if h, ok := parseHop(hop); ok && h == a {
			return true
		}
	}
	return false
}

// TestForwardedHeadersOnlyFromTrustedProxies: X-Forwarded-Proto, -Host and
// -For change the scheme (Secure cookies, Origin checks), the host and the
// client address only when the peer is a trusted proxy; with none
// configured, nobody's are believed (Fiber believed everyone's scheme).
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		want    string
	}{
		{"no trusted proxies", nil, "http localhost 0.0.0.0"},
		{"peer not trusted", []string{"10.0.0.0/8"}, "http localhost 0.0.0.0"},
		{"peer trusted", []string{"0.0.0.0/32"}, "https mall.example.com 198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := NewApp(Options{CSRFKey: []byte("k"), TrustedProxies: tt.trusted})
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(c.Protocol() + " " + c.Hostname() + " " + ClientIP(c)) })
			req := httptest.NewRequest("GET", "http://localhost/", nil) // app.Test's peer is 0.0.0.0
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-For", "198.51.100.1")
			req.Header.Set("X-Forwarded-Host", "mall.example.com")
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if got := string(body); got != tt.want {
				t.Fatalf("scheme, host and client: got %q, want %q", got, tt.want)
			}
		})
	}
}
