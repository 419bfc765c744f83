package app_test

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/media"
)

// withTURN turns the built-in TURN server on, on a random loopback port.
func withTURN(c *config.Config) { c.TURNAddr = "127.0.0.1:0" }

// allocateWith asks srv for a relay with a credential issued elsewhere and
// reports the server's verdict.
func allocateWith(t *testing.T, srv *media.TURNServer, username, password string) error {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := turnClient(t, srv.Addr().String(), conn, username, password)
	defer c.Close()
	relay, err := c.Allocate()
	if err != nil {
		return err
	}
	return relay.Close()
}

// turnClient is a listening pion TURN client of the server at addr.
func turnClient(t *testing.T, addr string, conn net.PacketConn, username, password string) *turn.Client {
	t.Helper()
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: username, Password: password, RTO: 100 * time.Millisecond, LoggerFactory: quietPion{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// credentialOf issues node's TURN credential for a user.
func credentialOf(t *testing.T, node *app.App) (username, password string) {
	t.Helper()
	if node.TURN == nil {
		t.Fatal("TURN is off on the node")
	}
	username, password, _ = node.TURN.Credentials("m-shopper", time.Now())
	return username, password
}

// anonymousCSRF is the CSRF token a node issues to a browser without a
// session: an HMAC under the node's CSRF key, so two nodes issue the same
// one exactly when their keys agree.
func anonymousCSRF(t *testing.T, node *app.App) string {
	t.Helper()
	var body struct{ Token string }
	apptest.NewClient(t, node).Must(200, "GET", "/api/v1/csrf", nil).JSON(t, &body)
	if body.Token == "" {
		t.Fatal("no CSRF token issued")
	}
	return body.Token
}

// TestNodesShareTheTURNSecretWithoutConfiguration: two nodes on one NATS,
// given no secret at all, agree on the TURN secret (through the NATS
// secrets bucket): a credential node A issues is accepted by node B's TURN
// server. A node on another NATS refuses it, so the agreement is the
// shared secret's doing.
func TestNodesShareTheTURNSecretWithoutConfiguration(t *testing.T) {
	nodeA, nodeB := twoNodes(t, withTURN)
	user, pass := credentialOf(t, nodeA)
	if err := allocateWith(t, nodeB.TURN, user, pass); err != nil {
		t.Fatalf("node B's TURN refused node A's credential: %v", err)
	}
	if err := allocateWith(t, nodeA.TURN, user, pass); err != nil {
		t.Fatalf("node A's TURN refused its own credential: %v", err)
	}
	elsewhere := apptest.New(t, withTURN)
	if err := allocateWith(t, elsewhere.TURN, user, pass); !isUnauthorized(err) {
		t.Fatalf("a node on another NATS: allocate err = %v, want 401 (its own secret)", err)
	}
}

// TestClusterSecretDerivesTheTURNAndSessionKeys: nodes on different NATS
// servers (each its own embedded one, so nothing is shared through NATS)
// given the same --cluster-secret accept each other's TURN credentials and
// issue the same CSRF tokens; a node given another secret does neither.
func TestClusterSecretDerivesTheTURNAndSessionKeys(t *testing.T) {
	secret := func(s string) func(*config.Config) {
		return func(c *config.Config) { c.TURNAddr, c.ClusterSecret = "127.0.0.1:0", s }
	}
	same := strings.Repeat("0123456789abcdef", 3)
	nodeA, nodeB := apptest.New(t, secret(same)), apptest.New(t, secret(same))
	other := apptest.New(t, secret(strings.Repeat("fedcba9876543210", 3)))

	user, pass := credentialOf(t, nodeA)
	if err := allocateWith(t, nodeB.TURN, user, pass); err != nil {
		t.Fatalf("node B (same cluster secret) refused node A's TURN credential: %v", err)
	}
	if err := allocateWith(t, other.TURN, user, pass); !isUnauthorized(err) {
		t.Fatalf("a node with another cluster secret: allocate err = %v, want 401", err)
	}
	tokA, tokB, tokOther := anonymousCSRF(t, nodeA), anonymousCSRF(t, nodeB), anonymousCSRF(t, other)
	if tokA != tokB {
		t.Fatalf("same cluster secret, different CSRF tokens: %q and %q", tokA, tokB)
	}
	if tokOther == tokA {
		t.Fatal("another cluster secret issues the same CSRF token")
	}
	// The TURN secret and the CSRF key are distinct derivations: a TURN
	// password is not a CSRF token's key (a leak of one is not the other).
	if _, theirs, _ := other.TURN.Credentials("m-shopper", time.Now()); theirs == pass {
		t.Fatal("another cluster secret signs the same TURN password")
	}
	// A browser with a session on node A: its token is good on node B
	// (the request gets past CSRF to the router) and refused by the other.
	shopper := apptest.NewClient(t, nodeA)
	shopper.SignUp("Shopper", "shopper@example.com", "1980-01-01")
	shopper.App = nodeB
	if r := shopper.Do("POST", "/api/v1/no-such-thing", map[string]any{}); r.Status != 404 || !strings.Contains(r.Body, "no API endpoint") {
		t.Fatalf("node B on node A's CSRF token: %d %s; want the router's 404", r.Status, r.Body)
	}
	shopper.App = other
	if r := shopper.Do("POST", "/api/v1/no-such-thing", map[string]any{}); r.Status != 403 || !strings.Contains(r.Body, "invalid CSRF token") {
		t.Fatalf("another cluster secret on node A's CSRF token: %d %s; want 403 invalid CSRF token", r.Status, r.Body)
	}
}

// isUnauthorized reports whether a TURN client error is the server's 401.
func isUnauthorized(err error) bool {
	var te *stun.TurnError
	return errors.As(err, &te) && te.ErrorCodeAttr.Code == 401
}

// quietPion drops the TURN client's logs.
type quietPion struct{}

func (quietPion) NewLogger(string) logging.LeveledLogger {
	return logging.NewDefaultLeveledLoggerForScope("", logging.LogLevelDisabled, slog.NewLogLogger(slog.DiscardHandler, 0).Writer())
}
