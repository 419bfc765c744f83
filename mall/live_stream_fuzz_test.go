package mall

import (
	"testing"

	"github.com/nats-io/nats.go"
)

// newBareLive is a LiveStores with no bus or storefront, enough to receive
// messages.
func newBareLive() *LiveStores {
	return &LiveStores{node: "me", streams: map[*liveStream]struct{}{}, perAddr: map[string]int{}, pages: map[int64]int{},
		remote: map[string]liveHere{}, dirty: map[int64]bool{}, last: map[string][]byte{}, wake: make(chan struct{}, 1)}
}

// TestLiveMessagesRefused: malformed or foreign bus messages of the live
// skyline change nothing; well-formed ones mark exactly their stores.
func TestLiveMessagesRefused(t *testing.T) {
	for _, c := range []struct {
		name, subject, data string
		dirty               int
		remote              int
	}{
		{"not JSON", liveChangedSubject, "{", 0, 0},
		{"wrong shape", liveChangedSubject, `{"stores":"x"}`, 0, 0},
		{"no stores", liveChangedSubject, `{"stores":[]}`, 0, 0},
		{"two stores", liveChangedSubject, `{"stores":[3,4]}`, 2, 0},
		{"here without node", liveHereSubject, `{"pages":{"3":1}}`, 0, 0},
		{"here from this node", liveHereSubject, `{"node":"me","pages":{"3":1}}`, 0, 0},
		{"here with bad counts", liveHereSubject, `{"node":"n2","pages":{"x":1}}`, 0, 0},
		{"here from another node", liveHereSubject, `{"node":"n2","pages":{"3":2}}`, 1, 1},
		{"another subject", "lm.mall.live.other", `{"stores":[3]}`, 0, 0},
	} {
		l := newBareLive()
		l.receive(&nats.Msg{Subject: c.subject, Data: []byte(c.data)})
		if len(l.dirty) != c.dirty || len(l.remote) != c.remote {
			t.Errorf("%s: %d stores marked and %d nodes heard, want %d and %d", c.name, len(l.dirty), len(l.remote), c.dirty, c.remote)
		}
	}
}

// FuzzLiveMessages feeds any bytes to the live skyline's bus handler: it
// never panics, and the counts it keeps stay those of well-formed messages.
func FuzzLiveMessages(f *testing.F) {
	f.Add(true, []byte(`{"stores":[1,2]}`))
	f.Add(false, []byte(`{"node":"n2","pages":{"3":2}}`))
	f.Add(false, []byte(`{"node":"n2","pages":{"-1":-5}}`))
	f.Add(true, []byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, changed bool, data []byte) {
		l := newBareLive()
		subject := liveHereSubject
		if changed {
			subject = liveChangedSubject
		}
		l.receive(&nats.Msg{Subject: subject, Data: data})
		if len(l.remote) > 1 {
			t.Fatalf("one message registered %d nodes", len(l.remote))
		}
		for id := range l.dirty {
			if l.pagesOpen(id) < 0 {
				t.Fatalf("store %d has %d pages open", id, l.pagesOpen(id))
			}
		}
	})
}
