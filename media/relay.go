package media

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// relayInbox is how many messages for this node's connections may wait
// for the relay; beyond it NATS drops them as for a slow consumer.
const relayInbox = 1 << 16

// relay carries messages published for connections and devices to this
// node's sockets: one NATS subscription per device subject that a socket
// of this node listens on (a device with three tabs here has one), and
// one for all of this node's connection subjects (lm.conn.<tag>.*: the
// ids of this node's connections start with its tag), all delivered into
// one channel that one goroutine drains. A socket thus costs no goroutine
// of its own for NATS, and a tab of a device already here no subscription.
type relay struct {
	bus   *nats.Conn
	once  sync.Once
	inbox chan *nats.Msg
	tag   string // connIDTag hex digits, random per relay

	mu       sync.Mutex
	subjects map[string]*relayed
	ownConns *nats.Subscription // lm.conn.<tag>.*, while a connection listens
	listened int                // connections listening on ownConns
}

// connIDTag is how many hex digits of a connection id name its node's
// relay; connIDLen is the length of such an id.
const (
	connIDTag = 8
	connIDLen = connIDTag + 18
)

// newConnID returns a connection id that starts with the relay's tag.
func (r *relay) newConnID() string {
	r.start()
	return r.tag + newConnID()
}

// ownSubject says subj is the subject of a connection of this relay.
func (r *relay) ownSubject(subj string) bool {
	return strings.HasPrefix(subj, "lm.conn."+r.tag+".")
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
		r.tag = newConnID()[:connIDTag]
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
		if l == nil && r.ownSubject(subj) {
			if r.ownConns == nil {
				sub, err := r.bus.ChanSubscribe("lm.conn."+r.tag+".*", r.inbox)
				if err != nil {
					r.forgetLocked(c, added)
					return nil, err
				}
				r.ownConns = sub
			}
			r.listened++
			l = &relayed{}
			r.subjects[subj] = l
		} else if l == nil {
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
		if len(l.conns) > 0 {
			continue
		}
		delete(r.subjects, subj)
		if l.sub != nil {
			l.sub.Unsubscribe()
			continue
		}
		if r.listened--; r.listened == 0 && r.ownConns != nil {
			r.ownConns.Unsubscribe()
			r.ownConns = nil
		}
	}
}
