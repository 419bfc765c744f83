package media

import (
	"encoding/json"
	"log/slog"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"
)

// relayInbox is how many messages for this node's connections may wait
// for the relay; beyond it NATS drops them as for a slow consumer.
const relayInbox = 1 << 16

// relay carries messages published for connections and devices to this
// node's sockets: one NATS subscription per subject that a socket of
// this node listens on (a device with three tabs here has one), all
// delivered into one channel that one goroutine drains. A socket thus
// costs no goroutine of its own for NATS.
type relay struct {
	bus   *nats.Conn
	once  sync.Once
	inbox chan *nats.Msg

	mu       sync.Mutex
	subjects map[string]*relayed
}

// relayed is one subject and the sockets of this node that listen on it.
type relayed struct {
	sub   *nats.Subscription
	conns []*Conn
}

// start launches the goroutine that hands messages to sockets.
func (r *relay) start() {
	r.once.Do(func() {
		r.inbox = make(chan *nats.Msg, relayInbox)
		r.subjects = map[string]*relayed{}
		go r.deliver()
	})
}

// deliver hands every message in the inbox to the sockets listening on
// its subject now, in the order NATS delivered them.
func (r *relay) deliver() {
	for msg := range r.inbox {
		var m Message
		if err := json.Unmarshal(msg.Data, &m); err != nil {
			slog.Warn("signaling relay: unreadable message", "subject", msg.Subject, "err", err)
			continue
		}
		r.mu.Lock()
		var conns []*Conn
		if l := r.subjects[msg.Subject]; l != nil {
			conns = slices.Clone(l.conns)
		}
		r.mu.Unlock()
		for _, c := range conns {
			c.Send(m)
		}
	}
}

// listen makes c receive what is published on subjects; the returned
// function stops it.
func (r *relay) listen(c *Conn, subjects ...string) (func(), error) {
	r.start()
	r.mu.Lock()
	defer r.mu.Unlock()
	var added []string
	for _, subj := range subjects {
		l := r.subjects[subj]
		if l == nil {
			sub, err := r.bus.ChanSubscribe(subj, r.inbox)
			if err != nil {
				r.forgetLocked(c, added)
				return nil, err
			}
			l = &relayed{sub: sub}
			r.subjects[subj] = l
		}
		l.conns = append(l.conns, c)
		added = append(added, subj)
	}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.forgetLocked(c, added)
	}, nil
}

// forgetLocked takes c off the subjects, unsubscribing those nobody here
// listens on any more. Called with mu held.
func (r *relay) forgetLocked(c *Conn, subjects []string) {
	for _, subj := range subjects {
		l := r.subjects[subj]
		if l == nil {
			continue
		}
		l.conns = slices.DeleteFunc(l.conns, func(x *Conn) bool { return x == c })
		if len(l.conns) == 0 {
			l.sub.Unsubscribe()
			delete(r.subjects, subj)
		}
	}
}
