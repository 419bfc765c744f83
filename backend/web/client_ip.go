package web

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// maxForwardedHops bounds how much of an X-Forwarded-For header is read.
const maxForwardedHops = 32

// ParseTrustedProxies parses proxy addresses and CIDR ranges; entries that
// parse as neither are skipped (config.Validate refuses them earlier).
func ParseTrustedProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

// ClientIP returns the address of the client behind the request: the peer,
// unless the peer is a trusted proxy (Options.TrustedProxies), in which case
// X-Forwarded-For is read from the right, skipping trusted proxies, and the
// first address that is not one is the client. The leftmost entries are
// whatever the client sent, so they are believed only when every hop after
// them is trusted. Every limit keyed on a client address uses this.
func ClientIP(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	trusted := ParseTrustedProxies(c.App().Config().TrustedProxies)
	return clientIP(peer.Unmap(), c.Get(fiber.HeaderXForwardedFor), trusted).String()
}

// clientIP is ClientIP on plain values: peer, the X-Forwarded-For header(s)
// joined by commas, and the trusted ranges.
func clientIP(peer netip.Addr, forwarded string, trusted []netip.Prefix) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !peer.IsValid() || !isTrusted(peer) || forwarded == "" {
		return peer
	}
	hops := strings.Split(forwarded, ",")
	if len(hops) > maxForwardedHops {
		hops = hops[len(hops)-maxForwardedHops:]
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// Garbage from here leftwards was not written by a proxy we
			// trust: the last good hop is the client.
			return client
		}
		client = a
		if !isTrusted(a) {
			return a
		}
	}
	return client
}

// parseHop parses one X-Forwarded-For entry: an IP, optionally with a port
// ("1.2.3.4:5", "[::1]:5") as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
