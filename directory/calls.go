package directory

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/pion/webrtc/v4"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/media"
)

// CallsConfig tunes calls and voice mail.
type CallsConfig struct {
	// RingTimeout is how long a call rings before it goes to the mailbox.
	RingTimeout time.Duration
	// MaxMessage is the longest message a caller may leave.
	MaxMessage time.Duration
	// MaxCallsPerMember bounds the calls one account has open at once.
	MaxCallsPerMember int
	// ScratchDir holds recordings while they are made.
	ScratchDir string
	// Greeting is the default greeting, as Ogg/Opus.
	Greeting []byte
	// ICEServers returns the ICE servers (TURN) a device gets for a call;
	// user is its TURN user name (turnUser), one per member and per guest,
	// so that one guest's allocations never count against another's.
	ICEServers func(user string) []webrtc.ICEServer
	// Limits counts each guest's call.dial messages
	// (limits.Rules.GuestDials); nil limits nothing.
	Limits *limits.Counter
	// LostCallSweep is how often this node looks for calls whose room's
	// node is gone (SweepLostCalls); 0 means every 15 s, negative never.
	// The app sweeps every heartbeat interval.
	LostCallSweep time.Duration
}

// CallRecord is the stored record of a call.
type CallRecord struct {
	ID              string     `gorm:"column:id;primaryKey" json:"id"`
	CallerAccountID *string    `gorm:"column:caller_account_id" json:"callerAccountId"`
	CallerGuest     *string    `gorm:"column:caller_guest" json:"-"`
	CallerNumber    *Number    `gorm:"column:caller_number" json:"callerNumber"`
	CalleeNumber    Number     `gorm:"column:callee_number" json:"calleeNumber"`
	CalleeAccountID *string    `gorm:"column:callee_account_id" json:"calleeAccountId"`
	Node            string     `gorm:"column:node" json:"-"`
	Video           bool       `gorm:"column:video" json:"video"`
	State           string     `gorm:"column:state" json:"state"`
	Outcome         *string    `gorm:"column:outcome" json:"outcome"`
	StartedAt       time.Time  `gorm:"column:started_at" json:"startedAt"`
	AnsweredAt      *time.Time `gorm:"column:answered_at" json:"answeredAt"`
	EndedAt         *time.Time `gorm:"column:ended_at" json:"endedAt"`
	DurationMS      *int64     `gorm:"column:duration_ms" json:"durationMs"`
}

// TableName tells GORM where calls live.
func (CallRecord) TableName() string { return "calls" }

// Call states and outcomes.
const (
	callRinging = "ringing"
	callActive  = "active"
	callMailbox = "mailbox"
	callEnded   = "ended"

	outcomeAnswered  = "answered"
	outcomeDeclined  = "declined"
	outcomeNoAnswer  = "no_answer"
	outcomeBusy      = "busy"
	outcomeOffline   = "offline"
	outcomeCancelled = "cancelled"
	outcomeFailed    = "failed"
	// outcomeConnectionLost ends a call whose room's node died (found by
	// SweepLostCalls, or by the node itself when it starts again): the
	// call did start, and nobody hung up.
	outcomeConnectionLost = "connection_lost"
)

// Calls places calls between parties: a room on the caller's node, rings
// on the callee's devices wherever they are connected, and the mailbox when
// nobody answers. Messages about a call travel over NATS to the node that
// hosts its room, so one node and many run the same code.
type Calls struct {
	db    *gorm.DB
	dir   *Service
	sig   *media.Signaling
	sfu   *media.SFU
	bus   *nats.Conn
	blobs blob.Store
	cfg   CallsConfig
	node  string

	greeting [][]byte
	tone     [][]byte // the default greeting's closing tone

	queue    Queue    // the contact center, for calls to a store's sales number
	pushes   Pushes   // rings members whose apps are closed (ReachByPush); nil: nobody
	notifier Notifier // tells members what they missed (NotifyMissed); nil: nobody
	rooms    *Rooms   // requests to the rooms of calls, on any node

	metrics *callMetrics // exported by Collector (metrics.go)

	mu    sync.Mutex
	calls map[string]*call // hosted on this node
	conns map[string]map[string]bool

	pingSub  *nats.Subscription // answers other nodes asking whether this one is up
	ringSub  *nats.Subscription // answers other regions' ring requests (region_calls.go); nil with one region
	storeSub *nats.Subscription // takes other regions' calls to this region's stores (region_stores.go); nil with one region
	// withdrawSub hangs up what this node placed for store dials their
	// shoppers' nodes gave up on (region_store_withdraw.go); nil with one
	// region.
	withdrawSub *nats.Subscription
	storeDials  *storeDialLedger // the store dials placed and withdrawn here
	inbox       *regionInbox     // takes messages left in other regions for members here (region_inbox.go); nil with one region
	// outboxKick wakes the sweep delivering messages left here for members
	// of other regions (region_outbox.go); nil with one region.
	outboxKick chan struct{}
	outboxDone chan struct{}
	stopSweep  chan struct{}
	sweepDone  chan struct{}
}

// NewCalls returns the calls of this node (Signals plugs their messages
// into its signaling). queue
// is the contact center; without it (nil) a store's sales number cannot be
// called.
func NewCalls(db *gorm.DB, dir *Service, sig *media.Signaling, sfu *media.SFU, bus *nats.Conn, blobs blob.Store, node string, queue Queue, cfg CallsConfig) (*Calls, error) {
	if cfg.RingTimeout == 0 {
		cfg.RingTimeout = 25 * time.Second
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = 3 * time.Minute
	}
	if cfg.MaxCallsPerMember == 0 {
		cfg.MaxCallsPerMember = 2
	}
	if cfg.Greeting == nil {
		cfg.Greeting = defaultGreeting
	}
	greeting, err := media.OpusPackets(cfg.Greeting)
	if err != nil {
		return nil, fmt.Errorf("default greeting: %w", err)
	}
	c := &Calls{db: db, dir: dir, sig: sig, sfu: sfu, bus: bus, queue: queue, rooms: NewRooms(bus), blobs: blobs, cfg: cfg, node: node, greeting: greeting, tone: tailOf(greeting, toneLength),
		calls: map[string]*call{}, conns: map[string]map[string]bool{}, storeDials: newStoreDialLedger(), stopSweep: make(chan struct{}), sweepDone: make(chan struct{}), metrics: newCallMetrics()}
	if c.pingSub, err = c.answerPings(); err != nil {
		return nil, err
	}
	if c.ringSub, err = c.answerRings(); err != nil {
		c.pingSub.Unsubscribe()
		return nil, err
	}
	if c.storeSub, err = c.answerStoreDials(); err != nil {
		c.pingSub.Unsubscribe()
		if c.ringSub != nil {
			c.ringSub.Unsubscribe()
		}
		return nil, err
	}
	if c.withdrawSub, err = c.answerStoreDialWithdrawals(); err != nil {
		c.unsubscribe()
		return nil, err
	}
	if err := c.answerRegionMessages(); err != nil {
		c.unsubscribe()
		return nil, err
	}
	if c.inbox != nil {
		c.outboxKick, c.outboxDone = make(chan struct{}, 1), make(chan struct{})
		go c.sweepOutbox(c.stopSweep, c.outboxDone)
	}
	if cfg.LostCallSweep == 0 {
		cfg.LostCallSweep = defaultLostCallSweep
	}
	if cfg.LostCallSweep > 0 {
		go c.sweepLostCalls(cfg.LostCallSweep, c.stopSweep, c.sweepDone)
	} else {
		close(c.sweepDone)
	}
	return c, nil
}

// Signals registers the call messages on the signaling the calls were
// built with, and hangs up a closing connection's calls. Call it once,
// before the signaling routes serve.
func (c *Calls) Signals() {
	c.sig.Handle("call.dial", c.metrics.countDial(c.handleDial))
	for _, typ := range []string{"call.answer", "call.decline", "call.hangup", "rtc.answer", "rtc.candidate", "call.video.request", "call.video.response", "queue.choose", "call.invite"} {
		c.sig.Handle(typ, c.relayToRoom)
	}
	c.sig.OnClose(c.connClosed)
	c.sig.OnOpen(c.ringLateDevice)
}

// tailOf returns the packets that make up the last d of pkts (20 ms each).
func tailOf(pkts [][]byte, d time.Duration) [][]byte {
	n := int(d / (20 * time.Millisecond))
	if n > len(pkts) {
		n = len(pkts)
	}
	return pkts[len(pkts)-n:]
}

func (c *Calls) logGreeting(accountID string, err error) {
	slog.Warn("own greeting unusable, playing the default", "account", accountID, "err", err)
}

// party is one side of a call as the room knows it.
type party struct {
	ConnID    string `json:"connId"`
	AccountID string `json:"accountId"`
	Guest     string `json:"guest,omitempty"`
	DeviceID  string `json:"deviceId"`
}

func partyOfConn(c *media.Conn) party {
	return party{ConnID: c.ID, AccountID: c.AccountID, Guest: c.Guest, DeviceID: c.DeviceID}
}

// isCallID reports whether id has the shape newCallID gives: "call_" and
// 24 lowercase hex digits. Anything else (a dot, a space, a NATS wildcard)
// would name some other subject than one room's.
func isCallID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "call_")
	if !ok || len(hexPart) != 24 {
		return false
	}
	for _, r := range hexPart {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func newCallID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "call_" + hex.EncodeToString(b)
}

// decodeData decodes a message's data strictly into dst.
func decodeData(m media.Message, dst any) error {
	if len(m.Data) == 0 {
		return apperr.New(apperr.Invalid, "%s needs data", m.Type)
	}
	dec := json.NewDecoder(bytes.NewReader(m.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return apperr.New(apperr.Invalid, "%s data is malformed: %v", m.Type, err)
	}
	return nil
}

// handleDial places a call: it runs on the caller's node, which hosts the
// room.
func (c *Calls) handleDial(ctx context.Context, conn *media.Conn, m media.Message) error {
	var req dialRequest
	if err := decodeData(m, &req); err != nil {
		return err
	}
	if conn.Guest != "" && c.cfg.Limits != nil {
		// Every dial rings agents or members: a guest, who costs nothing to
		// make, may only dial so often (across nodes).
		if err := c.cfg.Limits.Take(ctx, c.cfg.Limits.Rules.GuestDials, conn.Guest); err != nil {
			return err
		}
	}
	if req.Callback != "" {
		return c.dialCallback(ctx, conn, req)
	}
	num, err := ParseNumber(req.Number)
	if err != nil {
		return err
	}
	res, err := c.dir.resolveToDial(ctx, num)
	if apperr.Code(err) == apperr.NotFound {
		res, err = c.entryElsewhere(ctx, num) // a member of another region?
		if region, ok := c.storeRegionOf(num); ok && apperr.Code(err) == apperr.NotFound {
			return c.dialStoreElsewhere(ctx, conn, num, region, req) // a store of another region?
		}
	}
	if err != nil {
		return err
	}
	if res.Party.Type == PartyQueue {
		_, err := c.dialQueue(ctx, conn, res, req)
		return err
	}
	if conn.Guest != "" {
		return apperr.New(apperr.Unauthorized, "sign in to call members: as a guest you can call a store's sales agents")
	}
	if req.Context != nil {
		return apperr.New(apperr.Invalid, "a call context goes with a call to a store's sales number only")
	}
	selfGreeting := res.Party.AccountID == conn.AccountID
	if req.Message && (res.Party.Type != PartyMember || selfGreeting) {
		return apperr.New(apperr.Invalid, "a message is left for another member")
	}
	if selfGreeting {
		// Calling your own number records your mailbox greeting.
		req.Video, req.Avatar = false, false
	}
	rec, err := c.newRecord(ctx, conn, num, req)
	if err != nil {
		return err
	}
	if res.Party.Region != "" && !req.Message {
		// Asked only once the caller may place the call. A message is
		// kept here whether or not their region answers (region_outbox.go).
		if err := c.ringElsewhere(ctx, res); err != nil {
			return err
		}
	}
	calleeID := res.Party.AccountID
	rec.CalleeAccountID = &calleeID
	// The room first, then the ring, then the record and the caller's
	// place in the room (startPreparing).
	cl, err := c.openRoom(rec, partyOfConn(conn), res, req, selfGreeting)
	if err != nil {
		return hostError(err)
	}
	c.trackConn(conn.ID, rec.ID)
	return cl.startPreparing(res, func() error {
		if err := c.storeRecord(ctx, rec, res); err != nil {
			return err
		}
		return cl.admitCaller()
	})
}

// newRecord checks the caller may place one more call and prepares its
// record (stored by open).
func (c *Calls) newRecord(ctx context.Context, conn *media.Conn, num Number, req dialRequest) (*CallRecord, error) {
	open := c.db.WithContext(ctx).Model(&CallRecord{}).Where(openCallsSQL)
	if conn.Guest != "" {
		open = open.Where("caller_guest = ?", conn.Guest)
	} else {
		open = open.Where("caller_account_id = ?", conn.AccountID)
	}
	var n int64
	if err := open.Count(&n).Error; err != nil {
		return nil, err
	}
	if int(n) >= c.cfg.MaxCallsPerMember {
		return nil, apperr.New(apperr.Conflict, "you have %d calls open already: hang one up first", n)
	}
	rec := &CallRecord{ID: newCallID(), CalleeNumber: num, Node: c.node, Video: req.Video && !req.Avatar, State: callRinging, StartedAt: time.Now().UTC()}
	if conn.Guest != "" {
		guest := conn.Guest
		rec.CallerGuest = &guest
	} else {
		caller := conn.AccountID
		rec.CallerAccountID = &caller
		if nums, err := c.dir.Numbers.NumbersOf(ctx, conn.AccountID); err == nil && len(nums) > 0 {
			rec.CallerNumber = &nums[0].Number
		}
	}
	return rec, nil
}

// open stores the record and hosts the call's room on this node.
func (c *Calls) open(ctx context.Context, rec *CallRecord, conn *media.Conn, res *Resolution, req dialRequest, selfGreeting bool) (*call, error) {
	if err := c.storeRecord(ctx, rec, res); err != nil {
		return nil, err
	}
	cl, err := c.host(rec, partyOfConn(conn), res, req, selfGreeting)
	if err != nil {
		c.finishRecord(rec.ID, outcomeFailed, nil)
		return nil, hostError(err)
	}
	c.trackConn(conn.ID, rec.ID)
	return cl, nil
}

// storeRecord writes a new call's record.
func (c *Calls) storeRecord(ctx context.Context, rec *CallRecord, res *Resolution) error {
	// One statement: gorm's own transaction around it would only add two
	// round trips to every dial.
	store := c.db.WithContext(ctx).Session(&gorm.Session{SkipDefaultTransaction: true})
	if res.Party.Region != "" {
		// The callee's account is in their region's database, not here:
		// the record names them by number; the room knows their account.
		store = store.Omit("callee_account_id")
	}
	if err := store.Create(rec).Error; err != nil {
		return fmt.Errorf("store call: %w", err)
	}
	return nil
}

// hostError is what a caller hears when their call's room cannot open.
func hostError(err error) error {
	if errors.Is(err, media.ErrTooManyRooms) {
		return apperr.New(apperr.Unavailable, "this node carries as many calls as it can: try again in a moment")
	}
	return err
}

// relayToRoom sends a message about a call to the node that hosts its room
// and returns that node's verdict to the device.
func (c *Calls) relayToRoom(ctx context.Context, conn *media.Conn, m media.Message) error {
	var ref callRef
	if len(m.Data) == 0 || json.Unmarshal(m.Data, &ref) != nil || ref.CallID == "" || len(ref.CallID) > 64 {
		return apperr.New(apperr.Invalid, "%s needs data with a callId", m.Type)
	}
	if !isCallID(ref.CallID) {
		// Never issued, so never a room: the same answer as an ended call.
		return apperr.New(apperr.NotFound, "there is no such call, or it has ended")
	}
	if err := c.rooms.request(ctx, ref.CallID, partyOfConn(conn), m); err != nil {
		if m.Type == "call.hangup" {
			switch {
			case errors.Is(err, errNoRoom):
				// A device hangs up a call whose room is gone: its node may
				// have died with it.
				go c.checkLostCall(ref.CallID)
			case apperr.Is(err, apperr.Unavailable) && c.checkLostCall(ref.CallID):
				// The room did not answer because its node is gone (NATS
				// had not yet seen it leave when the request went out).
				return errNoRoom
			}
		}
		return err
	}
	if m.Type == "call.answer" || m.Type == "rtc.answer" {
		// A joiner the contact center brought in answers an offer without
		// ever sending call.answer: its closing socket hangs it up too.
		c.trackConn(conn.ID, ref.CallID)
	}
	return nil
}

// roomEnvelope is a device's message on its way to the room's node, with
// the sender stamped by the node that received it.
type roomEnvelope struct {
	From    party         `json:"from"`
	Message media.Message `json:"message"`
	// Lost marks the hang-up a node sends for a device whose socket went
	// away (never set from a device's message): a shopper waiting in a
	// store's line keeps their place for the reconnect grace.
	Lost bool `json:"lost,omitempty"`
}

func roomSubject(callID string) string { return "lm.room." + callID }

// trackConn remembers which calls a connection of this node is in, so they
// can be hung up when it closes.
func (c *Calls) trackConn(connID, callID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns[connID] == nil {
		c.conns[connID] = map[string]bool{}
	}
	c.conns[connID][callID] = true
}

// connClosed hangs up the calls of a connection that went away.
func (c *Calls) connClosed(conn *media.Conn) {
	c.mu.Lock()
	ids := c.conns[conn.ID]
	delete(c.conns, conn.ID)
	c.mu.Unlock()
	for id := range ids {
		data, _ := json.Marshal(callRef{CallID: id})
		env, _ := json.Marshal(roomEnvelope{From: partyOfConn(conn), Message: media.Message{Type: "call.hangup", V: media.ProtocolVersion, Data: data}, Lost: true})
		c.bus.Publish(roomSubject(id), env)
	}
}

// finishRecord closes a call's record with its outcome.
func (c *Calls) finishRecord(id, outcome string, answeredAt *time.Time) {
	now := time.Now().UTC()
	changes := map[string]any{"state": callEnded, "outcome": outcome, "ended_at": now}
	if answeredAt != nil {
		changes["duration_ms"] = now.Sub(*answeredAt).Milliseconds()
	}
	if err := c.db.Model(&CallRecord{}).Where("id = ?", id).Updates(changes).Error; err != nil {
		slog.Error("finish call record", "call", id, "err", err)
	}
}

// unsubscribe closes every subscription NewCalls opened.
func (c *Calls) unsubscribe() {
	c.pingSub.Unsubscribe()
	c.unsubscribeRegions()
}

// unsubscribeRegions closes the subscriptions that answer other regions
// (none with one region).
func (c *Calls) unsubscribeRegions() {
	for _, sub := range []*nats.Subscription{c.ringSub, c.storeSub, c.withdrawSub} {
		if sub != nil {
			sub.Unsubscribe()
		}
	}
}

// ActiveCalls is how many calls this node hosts.
func (c *Calls) ActiveCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// Close stops the sweep of lost calls, ends every call hosted here and
// then stops answering other nodes' pings (so no other node takes them for
// lost while they end).
func (c *Calls) Close() {
	select {
	case <-c.stopSweep:
	default:
		close(c.stopSweep)
	}
	<-c.sweepDone
	if c.outboxDone != nil {
		<-c.outboxDone
	}
	c.closeInbox()
	defer c.pingSub.Unsubscribe()
	c.unsubscribeRegions()
	c.mu.Lock()
	calls := make([]*call, 0, len(c.calls))
	for _, cl := range c.calls {
		calls = append(calls, cl)
	}
	c.mu.Unlock()
	for _, cl := range calls {
		cl.end(outcomeFailed, "the server is shutting down")
	}
}
