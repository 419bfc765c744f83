package bus

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseRoutes checks the cluster routes of the embedded server: each must
// be nats://host:port (or nats-route://), with a port and nothing else. It
// returns them as URLs, or an error naming the first bad one.
func ParseRoutes(routes []string) ([]*url.URL, error) {
	out := make([]*url.URL, 0, len(routes))
	for _, r := range routes {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "nats" && u.Scheme != "nats-route") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return nil, fmt.Errorf("NATS route %q must look like nats://host:6222", r)
		}
		if _, err := checkHostPort(u.Host, false); err != nil {
			return nil, fmt.Errorf("NATS route %q: %v", r, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// ParseClusterAddr checks where the embedded server listens for routes,
// host:port with an optional host; empty means ":6222". It returns the
// host ("" for every interface) and the port.
func ParseClusterAddr(addr string) (string, int, error) {
	if addr == "" {
		addr = ":6222"
	}
	port, err := checkHostPort(addr, true)
	if err != nil {
		return "", 0, fmt.Errorf("NATS cluster address %q: %v", addr, err)
	}
	host, _, _ := net.SplitHostPort(addr)
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// checkHostPort checks host:port, the host optional when emptyHost.
func checkHostPort(hp string, emptyHost bool) (int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return 0, fmt.Errorf("want host:port")
	}
	if host == "" && !emptyHost {
		return 0, fmt.Errorf("the host is missing")
	}
	if strings.ContainsAny(host, " /@") {
		return 0, fmt.Errorf("bad host %q", host)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("port %q must be 1 to 65535", p)
	}
	return port, nil
}
