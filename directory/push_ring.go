package directory

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/media"
)

// StatePush is a member whose apps are all closed but who asked to be rung
// by push on at least one device: a call rings them through the push
// service instead of going to the mailbox at once.
const StatePush State = "push"

// Pushes reaches members' closed apps (package push offers it).
type Pushes interface {
	// ReachableAmong returns which of the accounts have a device that
	// takes pushes.
	ReachableAmong(ctx context.Context, accountIDs []string) (map[string]bool, error)
	// Ring pushes a ring of the call to the account's devices and returns
	// how many push services took it.
	Ring(ctx context.Context, accountID string, r PushRing) (sent int, err error)
}

// PushRing is what a pushed ring tells the callee's device.
type PushRing struct {
	CallID string
	// CallerName and CallerNumber are who calls (the number as displayed;
	// empty for a caller without one).
	CallerName, CallerNumber string
	Video                    bool
	// Expires is when the ring is over (the push service may drop it then).
	Expires time.Duration
}

// ReachByPush lets the directory and the calls ring members whose apps are
// closed. Call it before serving; without it nobody is reachable by push.
func (c *Calls) ReachByPush(p Pushes) {
	c.pushes = p
	c.dir.pushes = p
}

// withPushStates marks offline members who take pushes as StatePush.
func (s *Service) withPushStates(ctx context.Context, states map[string]State) error {
	if s.pushes == nil {
		return nil
	}
	var offline []string
	for id, st := range states {
		if st == StateOffline {
			offline = append(offline, id)
		}
	}
	if len(offline) == 0 {
		return nil
	}
	// Members only: an agent's desk is rung by the contact center, which
	// counts an agent whose desk is closed as offline.
	refs, err := s.accounts.Refs(ctx, offline)
	if err != nil {
		return err
	}
	offline = slices.DeleteFunc(offline, func(id string) bool { return refs[id].Role != auth.RoleMember })
	if len(offline) == 0 {
		return nil
	}
	slices.Sort(offline)
	reach, err := s.pushes.ReachableAmong(ctx, offline)
	if err != nil {
		return err
	}
	for id, ok := range reach {
		if ok {
			states[id] = StatePush
		}
	}
	return nil
}

// PushChanged tells every node that the account's push reach changed (a
// device subscribed or its subscription went), so directories show it.
// This node forgets what it cached of the account at once; the others when
// the touch reaches them.
func (s *Service) PushChanged(accountID string) {
	s.reach.forget(accountID)
	s.touch(accountID)
}

// ringByPush rings a callee whose apps are closed through their push
// subscriptions; when no push service takes it the caller goes to the
// mailbox as for anyone offline. Called with mu held, from start.
func (cl *call) ringByPush(callee *CallParty) {
	cl.sendState(cl.caller, CallStateData{State: callRinging, Peer: callee, Video: new(cl.rec.Video)})
	cl.startRingTimer()
	r := PushRing{CallID: cl.rec.ID, CallerName: cl.callerName, Video: cl.rec.Video, Expires: cl.c.cfg.RingTimeout}
	if cl.rec.CallerNumber != nil {
		r.CallerNumber = cl.rec.CallerNumber.String()
	}
	callee_ := *cl.rec.CalleeAccountID
	go func() {
		sent, err := cl.c.pushes.Ring(cl.ctx, callee_, r)
		if err != nil {
			slog.Warn("push ring", "call", cl.rec.ID, "err", err)
		}
		if sent > 0 {
			return
		}
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.state == callRinging && len(cl.ringDevices) == 0 && len(cl.ringConns) == 0 {
			cl.stopRinging("offline")
			cl.toMailbox(outcomeOffline)
		}
	}()
}

// startRingTimer sends the caller to the mailbox when nobody answered
// within the ring timeout. Called with mu held.
func (cl *call) startRingTimer() {
	cl.ringTimer = time.AfterFunc(cl.c.cfg.RingTimeout, func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.state == callRinging {
			cl.stopRinging("no answer")
			cl.toMailbox(outcomeNoAnswer)
		}
	})
}

// msgRingDevice is the node-to-room request that adds a device of the
// callee that came online while the call rings (its app opened, perhaps
// from a pushed ring). Only nodes send it: devices' messages reach rooms
// through relayToRoom, which passes only the call messages it lists.
const msgRingDevice = "call.ring.device"

// ringDevice rings one more device of the callee. Called from handle.
func (cl *call) ringDevice(from party) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.queue != nil || cl.rec.CalleeAccountID == nil || from.AccountID != *cl.rec.CalleeAccountID || from.DeviceID == "" {
		return apperr.New(apperr.Forbidden, "this call is not for you")
	}
	if cl.state != callRinging {
		return apperr.New(apperr.Conflict, "this call is no longer ringing")
	}
	if slices.Contains(cl.ringDevices, from.DeviceID) {
		return nil
	}
	cl.ringDevices = append(cl.ringDevices, from.DeviceID)
	cl.c.sig.SendToDevice(from.DeviceID, "call.incoming", CallIncomingData{CallID: cl.rec.ID, From: *peerInfo(cl.callerName, cl.rec.CallerNumber), Video: cl.rec.Video, Avatar: cl.avatar})
	return nil
}

// ringLateDevice asks the rooms of the calls ringing the member of a device
// that just connected to ring it too.
func (c *Calls) ringLateDevice(ctx context.Context, conn *media.Conn) error {
	if conn.AccountID == "" || conn.DeviceID == "" || conn.Guest != "" {
		return nil
	}
	var ids []string
	since := time.Now().UTC().Add(-2 * c.cfg.RingTimeout)
	if err := c.db.WithContext(ctx).Model(&CallRecord{}).Where("state = ? AND callee_account_id = ? AND started_at > ?", callRinging, conn.AccountID, since).
		Pluck("id", &ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		data, _ := json.Marshal(callRef{CallID: id})
		if err := c.rooms.request(ctx, id, partyOfConn(conn), media.Message{Type: msgRingDevice, V: media.ProtocolVersion, Data: data}); err != nil {
			slog.Debug("ring a late device", "call", id, "device", conn.DeviceID, "err", err)
		}
	}
	return nil
}

// DeclineRoutes registers the decline of a ringing call without the app
// open: a pushed ring's Decline button.
func (c *Calls) DeclineRoutes(api fiber.Router, writes fiber.Handler) {
	api.Post("/calls/:id/decline", auth.RequireRole(auth.RoleMember, auth.RoleAgent, auth.RoleSupervisor), writes, c.handleDecline)
}

// handleDecline declines the call for the signed-in callee, as the
// ringing app's Decline does: the caller goes to the mailbox.
func (c *Calls) handleDecline(ctx *fiber.Ctx) error {
	a := auth.CurrentAccount(ctx)
	id := ctx.Params("id")
	if !isCallID(id) {
		return apperr.New(apperr.NotFound, "there is no such call, or it has ended")
	}
	data, _ := json.Marshal(callRef{CallID: id})
	from := party{AccountID: a.ID, DeviceID: auth.CurrentDevice(ctx)}
	if err := c.rooms.request(ctx.UserContext(), id, from, media.Message{Type: "call.decline", V: media.ProtocolVersion, Data: data}); err != nil {
		return err
	}
	return ctx.JSON(fiber.Map{"declined": true})
}

// Kinds of notice the calls give the Notifier.
const (
	NoticeMissedCall = "missed_call"
	NoticeMessage    = "message"
)

// missedOutcomes are the ends of an unanswered call the callee is told of
// (a call they declined they know of).
var missedOutcomes = []string{outcomeNoAnswer, outcomeOffline, outcomeBusy, outcomeCancelled}

// Notifier tells a member what they missed (package notices).
type Notifier interface {
	// Missed tells the account of a missed call or a new message (kind)
	// from the caller (number as displayed, "" when none).
	Missed(ctx context.Context, accountID, kind, callerName, callerNumber string, video bool)
}

// NotifyMissed makes the calls tell callees of missed calls and new
// messages through n. Call it before serving; without it nobody is told.
func (c *Calls) NotifyMissed(n Notifier) { c.notifier = n }

// notify tells the callee of a member call what they missed, off the
// call's path.
func (cl *call) notify(kind string) {
	n := cl.c.notifier
	if n == nil || cl.rec.CalleeAccountID == nil || cl.calleeRegion != "" {
		// A member of another region is told by their region, not here.
		return
	}
	number := ""
	if cl.rec.CallerNumber != nil {
		number = cl.rec.CallerNumber.String()
	}
	callee, name, video := *cl.rec.CalleeAccountID, cl.callerName, cl.rec.Video
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n.Missed(ctx, callee, kind, name, number, video)
	}()
}
