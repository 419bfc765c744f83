package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// Queue is the contact center as calls see it: a call to a store's sales
// number waits in the store's queue until the contact center offers it to
// an agent. agentdesk.Queue implements it; the same calls code runs on
// every node, and the queue lives in the database.
type Queue interface {
	// Enter puts a new queued call in its store's queue.
	Enter(ctx context.Context, qc QueuedCall) error
	// Rejoin gives a shopper who dials the store again the place in line
	// their lost call held (its node died, or its socket dropped within
	// the reconnect grace): the entry moves to the new call, keeping its
	// id and arrival time. ok is false when there is no such place; then
	// the call enters the queue anew.
	Rejoin(ctx context.Context, qc QueuedCall) (entryID string, ok bool)
	// Answered confirms, in one transaction, that the agent who picks up
	// still holds the offer; an error refuses the answer.
	Answered(ctx context.Context, entryID, agentID, agentConnID string) error
	// OfferLapsed hands the shopper on after the agent declined or let the
	// offer ring out (timedOut).
	OfferLapsed(ctx context.Context, entryID, agentID string, timedOut bool)
	// Chose records the shopper's answer to a fallback offer: "message",
	// "callback" or "wait".
	Chose(ctx context.Context, entryID, choice string) error
	// Ended tells the queue that the entry's call is over, however it ended.
	Ended(ctx context.Context, entryID string)
	// Lost tells the queue that the call callID of a shopper waiting in
	// line ended because their socket went away: the place is kept for the
	// reconnect grace (see Rejoin), then given up.
	Lost(ctx context.Context, entryID, callID string)
	// CallBack hands an agent the shopper they were offered to call back.
	CallBack(ctx context.Context, agentID, entryID string) (*CallbackTarget, error)
}

// QueuedCall is a shopper's call to a store, as it enters the queue.
type QueuedCall struct {
	EntryID       string
	CallID        string
	Node          string
	ConnID        string
	DeviceID      string
	AccountID     string // "" for a guest
	Guest         string // the guest's hash, "" for a member
	ShopperName   string
	ShopperNumber *Number
	StoreID       int64
	ProductID     int64 // 0 when the call was not placed from a product
	Video         bool
	// Appointment is the capability token of the booked call the shopper
	// joins ("" for an ordinary call), exactly as the shopper sent it:
	// the queue checks it (agentdesk.Bookings) before it trusts it.
	Appointment string
}

// QueueOffer is the contact center's offer of a queued call to an agent,
// sent to the node that hosts the call.
type QueueOffer struct {
	EntryID     string   `json:"entryId"`
	AgentID     string   `json:"agentId"`
	AgentName   string   `json:"agentName"`
	Devices     []string `json:"devices"`
	RingSeconds int      `json:"ringSeconds"`
	// Queue is the contact center's part of "call.incoming" (its
	// agentdesk.QueueOffer), passed on as it came.
	Queue json.RawMessage `json:"queue"`
}

// CallbackTarget is the shopper an agent calls back: a member at their
// number, or a guest on the page they kept open.
type CallbackTarget struct {
	EntryID   string
	StoreName string
	Name      string
	Number    *Number // a member's number
	Guest     string  // a guest's hash
	ConnID    string  // the guest page's connection
	Queue     Number  // the store's sales number
}

// maxAppointmentToken bounds the appointment token a call carries to the
// queue; a longer one cannot be a token and is dropped unread.
const maxAppointmentToken = 128

// queueLink ties a call to its queue entry.
type queueLink struct {
	entryID   string
	storeID   int64
	storeName string
	callback  bool // an agent calling a shopper back
}

// NewEntryID returns a fresh queue entry id.
func NewEntryID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "qe_" + hex.EncodeToString(b)
}

// dialQueue places a shopper's call to a store's sales number: the room
// opens on this node and the call waits in the store's queue. It returns
// the call's id.
func (c *Calls) dialQueue(ctx context.Context, conn *media.Conn, res *Resolution, req dialRequest) (string, error) {
	if c.queue == nil || res.Party.Store == nil {
		return "", apperr.New(apperr.Unavailable, "%s takes no calls right now", res.Party.Name)
	}
	storeID := res.Party.StoreID
	var productID int64
	var appointment string
	if req.Context != nil && len(req.Context.Appointment) <= maxAppointmentToken {
		appointment = req.Context.Appointment
	}
	if req.Context != nil && req.Context.ProductID != 0 {
		sold, err := c.dir.stores.SellsProduct(ctx, storeID, req.Context.ProductID)
		if err != nil {
			return "", fmt.Errorf("check product: %w", err)
		}
		if !sold {
			return "", apperr.New(apperr.Invalid, "product %d is not sold by %s", req.Context.ProductID, res.Party.Name)
		}
		productID = req.Context.ProductID
	}
	rec, err := c.newRecord(ctx, conn, res.Number, req)
	if err != nil {
		return "", err
	}
	// The record and the room first, the caller after the line took the
	// call: their peer connection is not on the way to an agent's ring.
	if err := c.storeRecord(ctx, rec, res); err != nil {
		return "", err
	}
	cl, err := c.openRoom(rec, partyOfConn(conn), res, req, false)
	if err != nil {
		c.finishRecord(rec.ID, outcomeFailed, nil)
		return "", hostError(err)
	}
	c.trackConn(conn.ID, rec.ID)
	link := &queueLink{entryID: NewEntryID(), storeID: storeID, storeName: res.Party.Name}
	qc := QueuedCall{EntryID: link.entryID, CallID: rec.ID, Node: c.node, ConnID: conn.ID, DeviceID: conn.DeviceID,
		AccountID: conn.AccountID, Guest: conn.Guest, ShopperName: cl.callerName, ShopperNumber: rec.CallerNumber,
		StoreID: storeID, ProductID: productID, Video: rec.Video, Appointment: appointment}
	// The lock is held while the entry may move to this call, so an offer
	// for it (from any node, once it is moved) waits to see its id.
	cl.mu.Lock()
	cl.queue = link
	rejoined := false
	if id, ok := c.queue.Rejoin(ctx, qc); ok {
		link.entryID, rejoined = id, true
	}
	cl.mu.Unlock()
	cl.sendState(cl.caller, CallStateData{State: "queued", EntryID: link.entryID, Video: new(rec.Video),
		Peer: peerInfo(res.Party.Name, &res.Number), Store: &media.StoreRef{Slug: res.Party.Store.Slug, Name: res.Party.Name}})
	if !rejoined {
		if err := c.queue.Enter(ctx, qc); err != nil {
			cl.end(outcomeFailed, "the store's queue could not take the call")
			return "", err
		}
	}
	if err := cl.admitCallerLate(); err != nil {
		return "", hostError(err)
	}
	return rec.ID, nil
}

// offer rings the agent the contact center chose for this queued call.
func (cl *call) offer(o QueueOffer) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended || cl.queue == nil || cl.queue.callback || cl.queue.entryID != o.EntryID || cl.state != callRinging || cl.rec.CalleeAccountID != nil {
		return apperr.New(apperr.Conflict, "the call no longer waits for an agent")
	}
	agent := o.AgentID
	cl.rec.CalleeAccountID, cl.calleeName = &agent, o.AgentName
	incoming := CallIncomingData{CallID: cl.rec.ID, From: *peerInfo(cl.callerName, cl.rec.CallerNumber), Video: cl.rec.Video, Avatar: cl.avatar, Queue: o.Queue}
	for _, d := range o.Devices {
		cl.ringDevices = append(cl.ringDevices, d)
		cl.c.sig.SendToDevice(d, "call.incoming", incoming)
	}
	cl.ringTimer = time.AfterFunc(time.Duration(o.RingSeconds)*time.Second, func() { cl.lapse(agent, true) })
	// The ring went out; an answer waits for mu, so it finds the caller in.
	if err := cl.admitCaller(); err != nil {
		cl.stopRinging("failed")
		return fmt.Errorf("%w: %w", errCallerNotIn, err)
	}
	return nil
}

// errCallerNotIn is an offer's error when the ring went out but the caller
// could not be put in the room: the call ends.
var errCallerNotIn = errors.New("the caller could not join the call's room")

// lapse takes the offer back from an agent who declined or let it ring out.
func (cl *call) lapse(agentID string, timedOut bool) {
	cl.mu.Lock()
	if cl.ended || cl.state != callRinging || cl.rec.CalleeAccountID == nil || *cl.rec.CalleeAccountID != agentID {
		cl.mu.Unlock()
		return
	}
	reason := "declined"
	if timedOut {
		reason = "no answer"
	}
	cl.stopRinging(reason)
	cl.rec.CalleeAccountID, cl.calleeName = nil, cl.queue.storeName
	entry := cl.queue.entryID
	cl.mu.Unlock()
	cl.c.queue.OfferLapsed(context.Background(), entry, agentID, timedOut)
}

// choose applies the shopper's answer to a fallback offer.
func (cl *call) choose(from party, m media.Message) error {
	var d QueueChooseData
	if err := decodeData(m, &d); err != nil {
		return err
	}
	cl.mu.Lock()
	if from.ConnID != cl.caller.ConnID || cl.queue == nil || cl.queue.callback {
		cl.mu.Unlock()
		return apperr.New(apperr.Forbidden, "this is not your call to a store")
	}
	if cl.state != callRinging || cl.ended {
		cl.mu.Unlock()
		return apperr.New(apperr.Conflict, "the call no longer waits in the queue")
	}
	if cl.rec.CalleeAccountID != nil {
		cl.mu.Unlock()
		return apperr.New(apperr.Conflict, "an agent is picking up your call right now")
	}
	entry := cl.queue.entryID
	cl.mu.Unlock()
	switch d.Choice {
	case "message", "callback", "wait":
	default:
		return apperr.New(apperr.Invalid, "choice must be message, callback or wait, not %q", d.Choice)
	}
	if err := cl.c.queue.Chose(cl.ctx, entry, d.Choice); err != nil {
		return err
	}
	switch d.Choice {
	case "message":
		cl.mu.Lock()
		defer cl.mu.Unlock()
		cl.toMailbox(outcomeNoAnswer)
	case "callback":
		cl.sendState(cl.caller, CallStateData{State: "callback", EntryID: entry})
		cl.end(outcomeCancelled, "you will be called back")
	}
	return nil
}

// dialCallback is an agent calling back a shopper who asked for it: a
// member rings at their number, a guest on the page they kept open.
func (c *Calls) dialCallback(ctx context.Context, conn *media.Conn, req dialRequest) error {
	if c.queue == nil || conn.AccountID == "" {
		return apperr.New(apperr.Forbidden, "only a store's agents call shoppers back")
	}
	if req.Number != "" || req.Context != nil {
		return apperr.New(apperr.Invalid, "a call back names the queue entry only")
	}
	t, err := c.queue.CallBack(ctx, conn.AccountID, req.Callback)
	if err != nil {
		return err
	}
	link := &queueLink{entryID: t.EntryID, storeName: t.StoreName, callback: true}
	if t.Number != nil {
		res, err := c.dir.Resolve(ctx, *t.Number)
		if err != nil {
			c.queue.Ended(ctx, t.EntryID)
			return err
		}
		rec, err := c.newRecord(ctx, conn, *t.Number, req)
		if err != nil {
			c.queue.Ended(ctx, t.EntryID)
			return err
		}
		calleeID := res.Party.AccountID
		rec.CalleeAccountID = &calleeID
		cl, err := c.open(ctx, rec, conn, res, req, false)
		if err != nil {
			c.queue.Ended(ctx, t.EntryID)
			return err
		}
		cl.mu.Lock()
		cl.queue = link
		cl.mu.Unlock()
		cl.start(res)
		return nil
	}
	res := &Resolution{Number: t.Queue, Display: t.Queue.String(), Party: Party{Type: PartyMember, Name: t.Name}, State: StateAvailable}
	rec, err := c.newRecord(ctx, conn, t.Queue, req)
	if err != nil {
		c.queue.Ended(ctx, t.EntryID)
		return err
	}
	cl, err := c.open(ctx, rec, conn, res, req, false)
	if err != nil {
		c.queue.Ended(ctx, t.EntryID)
		return err
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.queue, cl.calleeGuest, cl.ringConns = link, t.Guest, []string{t.ConnID}
	cl.sendState(cl.caller, CallStateData{State: callRinging, Peer: peerInfo(t.Name, nil), Video: new(rec.Video), EntryID: t.EntryID})
	cl.c.sig.SendToConn(t.ConnID, "call.incoming", CallIncomingData{CallID: rec.ID, From: *peerInfo(cl.callerName+" of "+t.StoreName, nil), Video: rec.Video, Avatar: req.Avatar})
	cl.ringTimer = time.AfterFunc(c.cfg.RingTimeout, func() {
		cl.mu.Lock()
		ringing := cl.state == callRinging
		if ringing {
			cl.stopRinging("no answer")
		}
		cl.mu.Unlock()
		if ringing {
			cl.end(outcomeNoAnswer, "no answer")
		}
	})
	return nil
}

// verdictOf turns a room's reply into an error, or nil.
func verdictOf(reply []byte) error {
	var verdict struct {
		Error *struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(reply, &verdict) == nil && verdict.Error != nil {
		return apperr.New(verdict.Error.Code, "%s", verdict.Error.Message)
	}
	return nil
}

// videoLive reports whether video keeps arriving from the shopper's side
// of the call.
func (cl *call) videoLive() error {
	cl.mu.Lock()
	pid := ""
	if m := cl.memberOf(cl.shopperConn()); m != nil {
		pid = m.pid
	}
	active := cl.state == callActive
	cl.mu.Unlock()
	p := cl.room.Participant(pid)
	if !active || p == nil {
		return apperr.New(apperr.Conflict, "the call is not connected")
	}
	_, before := p.Received()
	time.Sleep(700 * time.Millisecond)
	if _, after := p.Received(); after <= before {
		return apperr.New(apperr.Conflict, "the shopper's camera is off: ask them to show live video")
	}
	return nil
}
