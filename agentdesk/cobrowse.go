package agentdesk

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// EngagementPeers finds the other party of a live engagement. The router
// (Engagements.Peer) implements it; the co-browse relay needs nothing else of it.
type EngagementPeers interface {
	// Peer returns the signaling connection of the other party of the live
	// engagement entryID, as seen from the sender conn, and the sender's
	// role ("shopper" or "agent"). A conn that is not a party of that live
	// engagement gets apperr NotFound.
	Peer(ctx context.Context, entryID string, from *media.Conn) (peerConnID string, role string, err error)
}

// The roles EngagementPeers reports.
const (
	cobrowseShopper = "shopper"
	cobrowseAgent   = "agent"
)

// CobrowseLimits caps what one connection may push through the relay. Zero
// fields take the defaults.
type CobrowseLimits struct {
	// MaxMessageBytes is the largest cobrowse.events data accepted (48 KiB).
	MaxMessageBytes int
	// MaxEvents is the most rrweb events one message may carry (200).
	MaxEvents int
	// Rate is how many co-browse messages a connection may send per second
	// on average (30), Burst how many at once (60): a token bucket.
	Rate  float64
	Burst int
	// Now is the clock of the token bucket (time.Now).
	Now func() time.Time
}

func (l CobrowseLimits) withDefaults() CobrowseLimits {
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 48 << 10
	}
	if l.MaxEvents <= 0 {
		l.MaxEvents = 200
	}
	l.Rate, l.Burst, l.Now = rateDefaults(l.Rate, l.Burst, l.Now, 30, 60)
	return l
}

// Cobrowse relays the shopper's page (rrweb events) to the agent's desk and
// the agent's pointer and "follow me" back, between the two parties of a
// live engagement only. The agent asks (cobrowse.request); the shopper's
// page is relayed only after the shopper allowed it (cobrowse.start, sent
// when the shopper presses Allow) and until either side stops. Every event
// is checked and sanitized on the way: no scripts, event handlers, script
// URLs, frames or fetches of other origins reach the desk, and no typed or
// chosen value leaves the server.
type Cobrowse struct {
	sig    *media.Signaling
	peers  EngagementPeers
	limits CobrowseLimits
}

// NewCobrowse returns co-browsing over sig between the peers of an
// engagement; Signals registers its messages.
func NewCobrowse(sig *media.Signaling, peers EngagementPeers, limits CobrowseLimits) *Cobrowse {
	return &Cobrowse{sig: sig, peers: peers, limits: limits.withDefaults()}
}

// Signals registers the cobrowse.* handlers on the signaling co-browsing
// was built with. Call it once, before the signaling routes serve.
func (cb *Cobrowse) Signals() {
	sig := cb.sig
	sig.Handle("cobrowse.request", cb.handleRequest)
	sig.Handle("cobrowse.start", cb.handleStart)
	sig.Handle("cobrowse.events", cb.handleEvents)
	sig.Handle("cobrowse.navigate", cb.handleNavigate)
	sig.Handle("cobrowse.point", cb.handlePoint)
	sig.Handle("cobrowse.stop", cb.handleStop)
}

// handleRequest passes the agent's request to see the screen to the
// shopper, whose page asks them.
func (cb *Cobrowse) handleRequest(ctx context.Context, c *media.Conn, m media.Message) error {
	return relay(cb, ctx, c, m, cobrowseAgent, "cobrowse.request", func(*cobrowseEntry) error { return nil })
}

// handleStart is the shopper's consent: from now on, until cobrowse.stop,
// this connection's events for the engagement are relayed. The consent
// lives on the connection (in this node's memory): a new socket asks again.
func (cb *Cobrowse) handleStart(ctx context.Context, c *media.Conn, m media.Message) error {
	return relay(cb, ctx, c, m, cobrowseShopper, "cobrowse.start", func(d *cobrowseEntry) error {
		c.Set(streamKey(d.EntryID), newEventSanitizer(cb.sig.PublicURL))
		return nil
	})
}

func (cb *Cobrowse) handleEvents(ctx context.Context, c *media.Conn, m media.Message) error {
	if len(m.Data) > cb.limits.MaxMessageBytes {
		if err := cb.allow(c); err != nil {
			return err
		}
		return apperr.New(apperr.TooLarge, "a co-browse message may hold at most %d KiB of events; send smaller batches", cb.limits.MaxMessageBytes>>10)
	}
	var d cobrowseEvents
	peer, err := cb.admit(ctx, c, m, &d, cobrowseShopper)
	if err != nil {
		return err
	}
	if len(d.Events) == 0 {
		return apperr.New(apperr.Invalid, "a co-browse message needs at least one event")
	}
	if len(d.Events) > cb.limits.MaxEvents {
		return apperr.New(apperr.Invalid, "a co-browse message may hold at most %d events, not %d", cb.limits.MaxEvents, len(d.Events))
	}
	s, _ := c.Get(streamKey(d.EntryID)).(*eventSanitizer)
	if s == nil {
		return apperr.New(apperr.Forbidden, "the shopper has not allowed the agent to see their screen: nothing is shared before they press Allow")
	}
	clean, err := s.sanitizeEvents(d.Events)
	if err != nil {
		return err
	}
	if len(clean) == 0 {
		return nil
	}
	out := cobrowseEvents{EntryID: d.EntryID, Events: clean}
	watchers, fresh := watchersOf(ctx, cb.peers, c, d.EntryID)
	if fresh {
		// A supervisor stepped in: the shopper's page starts over from a
		// full snapshot, which they need to see anything (supervise.go).
		c.SendData("cobrowse.request", CobrowseEntry{EntryID: d.EntryID})
	}
	for _, w := range watchers {
		cb.sig.SendToConn(w, "cobrowse.events", out)
	}
	return cb.sig.SendToConn(peer, "cobrowse.events", out)
}

func (cb *Cobrowse) handleNavigate(ctx context.Context, c *media.Conn, m media.Message) error {
	return relay(cb, ctx, c, m, cobrowseAgent, "cobrowse.navigate", func(d *cobrowseNavigate) error { return checkMallPath(d.Path) })
}

func (cb *Cobrowse) handlePoint(ctx context.Context, c *media.Conn, m media.Message) error {
	return relay(cb, ctx, c, m, cobrowseAgent, "cobrowse.point", func(d *cobrowsePoint) error {
		for _, v := range []float64{*d.X, *d.Y} {
			if math.IsNaN(v) || v < 0 || v > 1 {
				return apperr.New(apperr.Invalid, "a pointer position is a fraction of the shopper's screen, from 0 to 1")
			}
		}
		return nil
	})
}

func (cb *Cobrowse) handleStop(ctx context.Context, c *media.Conn, m media.Message) error {
	return relay(cb, ctx, c, m, "", "cobrowse.stop", func(d *cobrowseEntry) error {
		c.Set(streamKey(d.EntryID), nil)
		return nil
	})
}

// relay admits m from c as a T (see admit; role, when set, is the role the
// sender must have), runs then on it, and sends it to the other party as a
// message of type typ. An error of then refuses the message.
func relay[T any](cb *Cobrowse, ctx context.Context, c *media.Conn, m media.Message, role, typ string, then func(d *T) error) error {
	var d T
	peer, err := cb.admit(ctx, c, m, &d, role)
	if err != nil {
		return err
	}
	if err := then(&d); err != nil {
		return err
	}
	if typ == "cobrowse.start" || typ == "cobrowse.stop" {
		// The supervisors in the call watch the shopper's page too.
		watchers, _ := watchersOf(ctx, cb.peers, c, entryIDOf(&d))
		for _, w := range watchers {
			cb.sig.SendToConn(w, typ, d)
		}
	}
	return cb.sig.SendToConn(peer, typ, d)
}

// admit charges the connection's token bucket, decodes m's data strictly
// into dst (whose EntryID names the engagement), and finds the other party.
// role, when set, is the role the sender must have.
func (cb *Cobrowse) admit(ctx context.Context, c *media.Conn, m media.Message, dst any, role string) (string, error) {
	if err := cb.allow(c); err != nil {
		return "", err
	}
	if len(m.Data) == 0 || string(m.Data) == "null" {
		return "", apperr.New(apperr.Invalid, "%s needs data with an entryId", m.Type)
	}
	if err := web.DecodeJSONBytes(m.Data, dst); err != nil {
		return "", err
	}
	entryID := entryIDOf(dst)
	if len(entryID) > 64 {
		return "", apperr.New(apperr.Invalid, "entryId is too long to name an engagement")
	}
	peer, got, err := cb.peers.Peer(ctx, entryID, c)
	if err != nil {
		return "", err
	}
	if role != "" && got != role {
		if role == cobrowseShopper {
			return "", apperr.New(apperr.Forbidden, "only the shopper shares their page")
		}
		return "", apperr.New(apperr.Forbidden, "only the agent can ask to see, point at or open pages on the shopper's screen")
	}
	return peer, nil
}

func entryIDOf(d any) string {
	switch d := d.(type) {
	case *cobrowseEntry:
		return d.EntryID
	case *cobrowseEvents:
		return d.EntryID
	case *cobrowseNavigate:
		return d.EntryID
	case *cobrowsePoint:
		return d.EntryID
	}
	panic(fmt.Sprintf("cobrowse: no entryId in %T", d))
}

// streamKey is where a connection keeps the sanitizer state of the page it
// shares in an engagement.
func streamKey(entryID string) string { return "cobrowse.stream." + entryID }

// bucketKey is where a connection keeps its co-browse token bucket.
const bucketKey = "cobrowse.bucket"

// allow takes a token from the connection's co-browse bucket or refuses
// the message.
func (cb *Cobrowse) allow(c *media.Conn) error {
	return takeToken(c, bucketKey, "co-browse", cb.limits.Rate, cb.limits.Burst, cb.limits.Now())
}

// mallPathPattern matches the pages of the mall's router (mall/ui/router.ts):
// home, a store, a product, the cart, the orders and one order.
var mallPathPattern = regexp.MustCompile(`^/(?:store/[^/]+(?:/product/[^/]+)?|cart|orders(?:/[^/]+)?)?$`)

// checkMallPath accepts only a path of the mall itself, as the shopper's
// router would open it: no scheme, no host, no query, nothing outside the
// mall's pages.
func checkMallPath(p string) error {
	bad := apperr.New(apperr.Invalid, "only a page of the mall can be opened on the shopper's screen, such as /store/north-peak/product/SKU-1")
	if len(p) > 512 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return bad
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f || r == '\\' || r == '?' || r == '#' {
			return bad
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return bad
	}
	if !mallPathPattern.MatchString(u.Path) {
		return bad
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return bad
		}
	}
	return nil
}
