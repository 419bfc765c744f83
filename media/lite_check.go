package media

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
)

// A lite agent sends no checks of its own (RFC 8445 2.5), so a full agent
// facing it nominates a pair on its own schedule: pion's controlling
// agent at its next tick, up to 200 ms after the pair succeeded. Right
// after the node answers a device's first check from an address, it
// sends one check back, as a full controlled agent's triggered check
// would be: a controlling agent that gets a check on its best pair, once
// that pair has succeeded, nominates it at once. The device's answer
// reaches the lite agent, which drops it as a transaction it did not
// start; nothing else changes.

// liteCheckBack is the one check a lite transport sends back on each
// pair: each address that reached it, on each socket it reached.
type liteCheckBack struct {
	mu                     sync.Mutex
	remoteUfrag, remotePwd string
	sent                   map[checkedPair]bool
	tieBreaker             uint64
}

// checkedPair is a device's address and the node's socket it checked.
type checkedPair struct {
	addr netip.AddrPort
	sock liteSocket
}

// setRemote keeps the device's ICE credentials, which the check is signed
// with; until then no check goes.
func (c *liteCheckBack) setRemote(ufrag, pwd string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remoteUfrag, c.remotePwd = ufrag, pwd
}

// isBindingSuccess reports whether b is a STUN binding success response.
func isBindingSuccess(b []byte) bool {
	return len(b) >= 20 && binary.BigEndian.Uint16(b) == stun.BindingSuccess.Value()
}

// after is told of each datagram the lite agent sent to addr through
// sock; after the first binding success on that pair it sends the check
// on it, signed with the device's credentials (localUfrag is the node's).
func (c *liteCheckBack) after(b []byte, localUfrag string, addr netip.AddrPort, sock liteSocket) {
	if !isBindingSuccess(b) {
		return
	}
	c.mu.Lock()
	pair := checkedPair{addr, sock}
	if c.remotePwd == "" || c.sent[pair] {
		c.mu.Unlock()
		return
	}
	if c.sent == nil {
		c.sent, c.tieBreaker = map[checkedPair]bool{}, rand.Uint64()
	}
	c.sent[pair] = true
	msg, err := stun.Build(stun.BindingRequest, stun.TransactionID,
		stun.NewUsername(c.remoteUfrag+":"+localUfrag),
		ice.AttrControlled(c.tieBreaker),
		ice.PriorityAttr(126<<24|65535<<8|255),
		stun.NewShortTermIntegrity(c.remotePwd), stun.Fingerprint)
	c.mu.Unlock()
	if err == nil {
		_, _ = sock.WriteToAddrPort(msg.Raw, addr)
	}
}
