package directory

// A store dial whose answer does not come back within ringTimeout is
// reported to the shopper as unreachable, yet the store's region may have
// placed it all the same (a slow node, an answer in flight): the call
// would wait in the store's line, and ring an agent, for a shopper who was
// told it failed. The shopper's node therefore withdraws a dial it gave up
// on: every node of the store's region hears it (lm.region.<r>.queue.withdraw,
// no queue group) and hangs up the call it placed for that dial, or, when
// the dial is still being placed, hangs the call up as soon as it is. A
// dial is named by the shopper's connection and a random id its node puts
// in the request's header (storeDialHeader), so a shopper who dials again
// at once from the same page keeps the new call. Each node remembers what
// it placed and what was withdrawn for storeDialMemory, ample next to
// ringTimeout.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// storeDialMemory is how long a node remembers a store dial it placed and
// a withdrawal it heard.
const storeDialMemory = time.Minute

// maxStoreDialWithdrawalBytes bounds a withdrawal.
const maxStoreDialWithdrawalBytes = 128

// storeDialHeader is the NATS header of a store dial that names it for a
// later withdrawal: dialIDLen lowercase hex digits. A dial without it (a
// node of an older version) is named by its connection alone.
const storeDialHeader = "Lm-Store-Dial"

// dialIDLen is the length of a store dial's id: 8 random bytes in hex.
const dialIDLen = 16

// storeWithdrawSubject is where every node of region hears that a store
// dial from another region was given up.
func storeWithdrawSubject(region string) string { return "lm.region." + region + ".queue.withdraw" }

// StoreDialWithdrawal gives up a store dial: ConnID is the shopper's
// connection the dial named, DialID the id in its header.
type StoreDialWithdrawal struct {
	ConnID string `json:"connId"`
	DialID string `json:"dialId"`
}

// key names the withdrawn dial in a node's ledger.
func (w StoreDialWithdrawal) key() string { return storeDialKey(w.ConnID, w.DialID) }

// storeDialKey names a store dial in a node's ledger: its connection and
// its id ("" for a dial without one).
func storeDialKey(connID, dialID string) string { return connID + "/" + dialID }

// ParseStoreDialWithdrawal reads a withdrawal strictly: one object with a
// relayed connection id (26 lowercase hex digits) and a dial id (16),
// nothing else. Anything else is Invalid.
func ParseStoreDialWithdrawal(data []byte) (StoreDialWithdrawal, error) {
	if len(data) > maxStoreDialWithdrawalBytes {
		return StoreDialWithdrawal{}, apperr.New(apperr.Invalid, "a store dial's withdrawal is at most %d bytes", maxStoreDialWithdrawalBytes)
	}
	var raw struct {
		ConnID *string `json:"connId"`
		DialID *string `json:"dialId"`
	}
	if err := decodeOne(data, &raw); err != nil {
		return StoreDialWithdrawal{}, apperr.New(apperr.Invalid, "a store dial's withdrawal is one JSON object with connId and dialId")
	}
	if raw.ConnID == nil || len(*raw.ConnID) != connIDLen || !lowerHex(*raw.ConnID) {
		return StoreDialWithdrawal{}, apperr.New(apperr.Invalid, "a store dial's withdrawal names a connId of %d hex digits", connIDLen)
	}
	if raw.DialID == nil || !validDialID(*raw.DialID) {
		return StoreDialWithdrawal{}, apperr.New(apperr.Invalid, "a store dial's withdrawal names a dialId of %d hex digits", dialIDLen)
	}
	return StoreDialWithdrawal{ConnID: *raw.ConnID, DialID: *raw.DialID}, nil
}

// validDialID reports whether id is a store dial's id.
func validDialID(id string) bool { return len(id) == dialIDLen && lowerHex(id) }

// newDialID returns a random store dial id.
func newDialID() string {
	var b [dialIDLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dialIDOf returns the id in a store dial's header, or "" when it has
// none or a malformed one.
func dialIDOf(m *nats.Msg) string {
	if m.Header == nil {
		return ""
	}
	if id := m.Header.Get(storeDialHeader); validDialID(id) {
		return id
	}
	return ""
}

// placedDial is a call a node placed for a store dial, and when.
type placedDial struct {
	callID string
	at     time.Time
}

// storeDialLedger is what a node placed for other regions' store dials
// and which of their connections withdrew, each for storeDialMemory.
type storeDialLedger struct {
	mu        sync.Mutex
	placed    map[string]placedDial // by storeDialKey
	withdrawn map[string]time.Time  // by storeDialKey
}

// newStoreDialLedger returns an empty ledger.
func newStoreDialLedger() *storeDialLedger {
	return &storeDialLedger{placed: map[string]placedDial{}, withdrawn: map[string]time.Time{}}
}

// place records the call placed for the dial named key at now; it
// reports whether the dial was withdrawn already (the caller then hangs
// the call up).
func (l *storeDialLedger) place(key, callID string, now time.Time) (withdrawn bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetBefore(now.Add(-storeDialMemory))
	if _, ok := l.withdrawn[key]; ok {
		delete(l.withdrawn, key)
		return true
	}
	l.placed[key] = placedDial{callID: callID, at: now}
	return false
}

// withdraw records the withdrawal of the dial named key at now and
// returns the call placed for it, if one was (the caller then hangs it
// up).
func (l *storeDialLedger) withdraw(key string, now time.Time) (callID string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetBefore(now.Add(-storeDialMemory))
	if p, ok := l.placed[key]; ok {
		delete(l.placed, key)
		return p.callID, true
	}
	l.withdrawn[key] = now
	return "", false
}

// forgetBefore drops what was recorded before t. Called with mu held.
func (l *storeDialLedger) forgetBefore(t time.Time) {
	for key, p := range l.placed {
		if p.at.Before(t) {
			delete(l.placed, key)
		}
	}
	for key, at := range l.withdrawn {
		if at.Before(t) {
			delete(l.withdrawn, key)
		}
	}
}

// answerStoreDialWithdrawals makes this node hang up the calls it placed
// for store dials their shoppers' nodes gave up on (nil with one region).
func (c *Calls) answerStoreDialWithdrawals() (*nats.Subscription, error) {
	if c.dir.regions == nil || c.bus == nil {
		return nil, nil
	}
	return c.bus.Subscribe(storeWithdrawSubject(c.dir.Numbers.plan.Region), func(m *nats.Msg) {
		w, err := ParseStoreDialWithdrawal(m.Data)
		if err != nil {
			slog.Warn("store dial withdrawal from another region", "err", err)
			return
		}
		if id, ok := c.storeDials.withdraw(w.key(), time.Now()); ok {
			c.hangUpWithdrawn(id, w.ConnID)
		}
	})
}

// placedStoreDial records the call placed for the store dial dialID of
// the connection connID; a dial withdrawn meanwhile is hung up at once.
func (c *Calls) placedStoreDial(connID, dialID, callID string) {
	if c.storeDials.place(storeDialKey(connID, dialID), callID, time.Now()) {
		c.hangUpWithdrawn(callID, connID)
	}
}

// hangUpWithdrawn hangs up the call placed for a withdrawn store dial, as
// its caller: a waiting shopper's call is cancelled, and keeps no place.
func (c *Calls) hangUpWithdrawn(callID, connID string) {
	data, _ := json.Marshal(callRef{CallID: callID})
	env, _ := json.Marshal(roomEnvelope{From: party{ConnID: connID}, Message: media.Message{Type: "call.hangup", V: media.ProtocolVersion, Data: data}})
	if err := c.bus.Publish(roomSubject(callID), env); err != nil {
		slog.Warn("hang up a withdrawn store dial", "call", callID, "err", err)
	}
}

// withdrawStoreDial tells the nodes of region that the store dial dialID
// of conn was given up on.
func (c *Calls) withdrawStoreDial(region string, conn *media.Conn, dialID string) {
	body, _ := json.Marshal(StoreDialWithdrawal{ConnID: conn.ID, DialID: dialID})
	if err := c.bus.Publish(storeWithdrawSubject(region), body); err != nil {
		slog.Warn("withdraw a store dial", "region", region, "err", err)
	}
}
