package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// call is a call hosted on this node: its room and its state machine. All
// its state changes happen under mu, driven by messages from the room's
// NATS subject and by timers.
type call struct {
	c   *Calls
	rec *CallRecord

	mu          sync.Mutex
	state       string
	room        *media.Room
	caller      party
	callee      *party
	calleeName  string
	callerName  string
	ringDevices []string
	ringTimer   *time.Timer
	answeredAt  *time.Time
	stops       []func()
	recorder    *media.Recorder
	sub         *nats.Subscription
	ended       bool
	lost        bool // the waiting shopper's socket went away (see roomEnvelope.Lost)
	callerIn    bool // the caller is in the room (admitCaller); a queued call admits them after the line takes it
	greeting    bool // the caller records their own greeting
	avatar      bool // the caller hides behind an avatar
	queue       *queueLink
	calleeGuest string   // a guest called back: the guest's hash
	ringConns   []string // a guest called back rings their page's connection
	cancel      context.CancelFunc
	ctx         context.Context
	xfer        transferState // a transfer of the call to another agent (transfer.go)
	// inRoom is everyone in the call's room, in the order they came: the
	// caller from the start, the callee once they answer, then joiners
	// and invited members (call_joiners.go). Someone who left is not.
	inRoom     []*member
	nextPID    int
	callerLeft bool // the caller left a call that went on without them
	// invites are the members being rung to join the call (call_invite.go);
	// invited counts every invitation the call sent.
	invites []*invite
	invited int
	// names maps participant ids to the names rosters show; signalTo
	// reads it under the room's lock, so it has no part in mu.
	names sync.Map
	// calleeRegion is the home region of a callee homed in another
	// region (region_calls.go): no mailbox of theirs is here.
	calleeRegion string
	// leaveMessage: the caller dialed to leave a message (DialData.Message):
	// nothing rings, the mailbox opens at once; for a callee of another
	// region the message is kept in the outbox (region_outbox.go).
	leaveMessage bool
}

// openRoom opens the room for a new call, subscribes to its messages and
// hosts the call on this node; nobody is in the room yet.
func (c *Calls) openRoom(rec *CallRecord, caller party, res *Resolution, req dialRequest, selfGreeting bool) (*call, error) {
	room, err := c.sfu.OpenRoom(rec.ID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cl := &call{c: c, rec: rec, state: callRinging, room: room, caller: caller, calleeName: res.Party.Name, calleeRegion: res.Party.Region, ctx: ctx, cancel: cancel, greeting: selfGreeting, avatar: req.Avatar, leaveMessage: req.Message}
	if caller.AccountID != "" {
		refs, _ := c.dir.accounts.Refs(ctx, []string{caller.AccountID})
		cl.callerName = refs[caller.AccountID].Name
	}
	if cl.callerName == "" {
		cl.callerName = "Guest"
	}
	sub, err := c.bus.Subscribe(roomSubject(rec.ID), cl.onMessage)
	if err == nil {
		// The server must know the room before anyone can learn of the
		// call: the queue on another node offers it an agent as soon as
		// its row is written, and a request that finds no subscriber yet
		// would take the call for ended.
		err = c.bus.Flush()
	}
	if err != nil {
		if sub != nil {
			sub.Unsubscribe()
		}
		room.Close()
		cancel()
		return nil, err
	}
	cl.sub = sub
	c.mu.Lock()
	c.calls[rec.ID] = cl
	c.mu.Unlock()
	return cl, nil
}

// host opens the call's room on this node (openRoom) with the caller in it.
func (c *Calls) host(rec *CallRecord, caller party, res *Resolution, req dialRequest, selfGreeting bool) (*call, error) {
	cl, err := c.openRoom(rec, caller, res, req, selfGreeting)
	if err != nil {
		return nil, err
	}
	cl.mu.Lock()
	err = cl.admitCaller()
	cl.mu.Unlock()
	if err != nil {
		cl.end(outcomeFailed, "the call could not start")
		return nil, err
	}
	return cl, nil
}

// admitCaller puts the caller in the call's room. Called with mu held.
func (cl *call) admitCaller() error {
	if cl.callerIn {
		return nil
	}
	if _, err := cl.admit(cl.caller, "caller", cl.callerName, media.RoleParty, false, false); err != nil {
		return err
	}
	cl.callerIn = true
	return nil
}

// admitCallerLate puts the caller of a queued call in its room if they are
// not yet (the line takes the call first, so the caller's peer connection
// is not on the way to an agent's ring). When that fails the call ends.
func (cl *call) admitCallerLate() error {
	cl.mu.Lock()
	var err error
	if !cl.ended {
		err = cl.admitCaller()
	}
	cl.mu.Unlock()
	if err != nil {
		cl.end(outcomeFailed, "the call could not start")
	}
	return err
}

// turnUser is the TURN user name of one side of a call: the member's
// account, or the guest. Each gets its own, so the TURN server's
// per-user allocation quota bounds each of them apart.
func turnUser(p party) string {
	if p.AccountID != "" {
		return "m-" + p.AccountID
	}
	if p.Guest != "" {
		g := p.Guest
		if len(g) > 32 {
			g = g[:32] // a hash: this much is unique enough and keeps the name short
		}
		return "g-" + g
	}
	return "c-" + p.ConnID
}

// signalTo returns the function that carries a participant's WebRTC
// signaling to its device, tagged with the call and the ICE servers.
func (cl *call) signalTo(p party) func(typ string, data any) {
	return func(typ string, data any) {
		switch d := data.(type) {
		case *media.RtcOfferData:
			d.CallID = cl.rec.ID
			if cl.c.cfg.ICEServers != nil {
				d.ICEServers = cl.c.cfg.ICEServers(turnUser(p))
			}
		case *media.RtcCandidateData:
			d.CallID = cl.rec.ID
		case *media.RoomRosterData:
			d.CallID = cl.rec.ID
			for i := range d.Members {
				if n, ok := cl.names.Load(d.Members[i].ID); ok {
					d.Members[i].Name = n.(string)
				}
			}
		}
		if err := cl.c.sig.SendToConn(p.ConnID, typ, data); err != nil {
			slog.Warn("signal participant", "call", cl.rec.ID, "type", typ, "err", err)
		}
	}
}

// sendState tells one side that the call moved.
func (cl *call) sendState(p party, d CallStateData) {
	d.CallID = cl.rec.ID
	cl.c.sig.SendToConn(p.ConnID, "call.state", d)
}

// peerInfo describes the other side to one side.
func peerInfo(name string, number *Number) *CallParty {
	out := &CallParty{Name: name}
	if number != nil {
		out.Number, out.Display = new(*number), number.String()
	}
	return out
}

// How a call starts (startOf): it rings the callee's devices, or records
// the caller's greeting, or takes a message, or rings by push, or goes to
// the mailbox because the callee is offline or busy.
type startKind int

// The ways a call starts.
const (
	startRing startKind = iota
	startGreeting
	startMessage
	startByPush
	startOffline
	startBusy
)

// startOf says how the call starts, given the callee's resolve. Called
// with mu held.
func (cl *call) startOf(res *Resolution) startKind {
	switch {
	case cl.greeting:
		return startGreeting
	case cl.leaveMessage:
		return startMessage
	case res.State == StatePush && len(res.Ring) == 0 && cl.queue == nil && cl.c.pushes != nil && cl.rec.CalleeAccountID != nil:
		return startByPush
	case res.State == StateOffline || res.State == StatePush || len(res.Ring) == 0:
		return startOffline
	case res.State == StateBusy || cl.c.inCall(*cl.rec.CalleeAccountID):
		return startBusy
	}
	return startRing
}

// start rings the callee's devices or, when they cannot answer, opens the
// mailbox at once; the call's record is stored and the caller is in the
// room.
func (cl *call) start(res *Resolution) {
	_ = cl.startPreparing(res, nil)
}

// startPreparing is start for a call that prepare readies: it writes the
// record and puts the caller in the room. A call that rings sends the
// ring first and is prepared after, while the call's lock keeps everything
// else about it (an answer, the ring's timeout, a hang-up) waiting: the
// database's write turn and the caller's peer connection are not on the
// way to the ring. Any other start is prepared first. When prepare fails,
// the ring is called off, the call ends and the error is returned.
// prepare runs with mu held.
func (cl *call) startPreparing(res *Resolution, prepare func() error) error {
	cl.mu.Lock()
	kind := cl.startOf(res)
	if kind == startRing {
		cl.ring(res)
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			cl.stopRinging("failed")
			cl.mu.Unlock()
			cl.end(outcomeFailed, "the call could not start")
			return err
		}
	}
	if kind != startRing {
		cl.startWithoutRing(kind, res)
	}
	cl.mu.Unlock()
	return nil
}

// ring tells the caller the call rings and rings the callee's devices.
// Called with mu held.
func (cl *call) ring(res *Resolution) {
	callee := peerInfo(res.Party.Name, &res.Number)
	cl.sendState(cl.caller, CallStateData{State: callRinging, Peer: callee, Video: new(cl.rec.Video)})
	for _, t := range res.Ring {
		cl.ringDevices = append(cl.ringDevices, t.DeviceID)
		cl.c.sig.SendToDevice(t.DeviceID, "call.incoming", CallIncomingData{CallID: cl.rec.ID, From: *peerInfo(cl.callerName, cl.rec.CallerNumber), Video: cl.rec.Video, Avatar: cl.avatar})
	}
	cl.startRingTimer()
}

// startWithoutRing starts a call that does not ring the callee's devices
// the way kind says. Called with mu held.
func (cl *call) startWithoutRing(kind startKind, res *Resolution) {
	switch kind {
	case startGreeting:
		done := outcomeAnswered
		cl.state, cl.rec.Outcome = callMailbox, &done
		cl.sendState(cl.caller, CallStateData{State: callMailbox, Greeting: "Record your greeting after the tone; hang up when you are done.", MaxSeconds: new(int(greetingMax.Seconds())), OwnGreeting: true})
		go cl.recordMessage()
	case startByPush:
		cl.ringByPush(peerInfo(res.Party.Name, &res.Number))
	case startBusy:
		cl.toMailbox(outcomeBusy)
	default: // startMessage, startOffline
		cl.toMailbox(outcomeOffline)
	}
}

// inCall reports whether the account is in an answered call.
func (c *Calls) inCall(accountID string) bool {
	var in bool
	c.db.Raw("SELECT "+inAnsweredCallSQL, accountID, accountID).Scan(&in)
	return in
}

// stopRinging tells the ringing devices to stop.
func (cl *call) stopRinging(reason string) {
	if cl.ringTimer != nil {
		cl.ringTimer.Stop()
	}
	for _, d := range cl.ringDevices {
		cl.c.sig.SendToDevice(d, "call.state", CallStateData{CallID: cl.rec.ID, State: callEnded, Reason: new(reason)})
	}
	for _, id := range cl.ringConns {
		cl.c.sig.SendToConn(id, "call.state", CallStateData{CallID: cl.rec.ID, State: callEnded, Reason: new(reason)})
	}
	cl.ringDevices, cl.ringConns = nil, nil
}

// onMessage handles a device's message about this call and replies with
// an empty verdict or an error.
func (cl *call) onMessage(msg *nats.Msg) {
	var env roomEnvelope
	err := json.Unmarshal(msg.Data, &env)
	if err == nil {
		err = cl.handle(env)
	}
	reply := []byte(`{}`)
	if err != nil {
		if apperr.Code(err) == apperr.Internal {
			slog.Error("call message", "call", cl.rec.ID, "type", env.Message.Type, "err", err)
		}
		reply, _ = json.Marshal(roomVerdict{Error: &web.ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}})
	}
	if msg.Reply != "" {
		msg.Respond(reply)
	}
}

// handle applies one message to the call's state machine.
func (cl *call) handle(env roomEnvelope) error {
	from, m := env.From, env.Message
	cl.mu.Lock()
	ended := cl.ended
	cl.mu.Unlock()
	if ended && m.Type != "call.ping" {
		// The room still listens while its end settles the queue entry
		// (see end); for everything else the call is gone.
		return apperr.New(apperr.NotFound, "there is no such call, or it has ended")
	}
	switch m.Type {
	case "call.hangup", "call.ping", "queue.offer":
		// The only messages a queued call may get before its caller is in
		// the room: an agent's ring admits them (offer) after it goes out.
	default:
		if err := cl.admitCallerLate(); err != nil {
			return err
		}
	}
	switch m.Type {
	case "call.hangup":
		if env.Lost {
			cl.mu.Lock()
			// Only a shopper still waiting for an agent keeps a place.
			cl.lost = from.ConnID == cl.caller.ConnID && cl.state == callRinging && cl.queue != nil && !cl.queue.callback && cl.rec.CalleeAccountID == nil
			cl.mu.Unlock()
		}
		cl.hangUp(from)
		return nil
	case "call.answer":
		if cl.transferRingsFor(from) {
			return cl.answerTransfer(from)
		}
		return cl.answer(from)
	case "call.decline":
		if cl.transferRingsFor(from) {
			return cl.declineTransfer(from)
		}
		return cl.decline(from)
	case msgTransferOffer, msgTransferComplete, msgTransferRequeue:
		return cl.handleTransfer(from, m)
	case "rtc.answer":
		var d RtcAnswerData
		if err := decodeData(m, &d); err != nil || d.SDP == "" {
			return apperr.New(apperr.Invalid, "rtc.answer needs data {callId, sdp}")
		}
		p, err := cl.participantOf(from)
		if err != nil {
			return err
		}
		if err := p.Answer(d.SDP); err != nil {
			return apperr.New(apperr.Invalid, "the SDP answer was refused: %v", err)
		}
		return nil
	case "rtc.candidate":
		var d media.RtcCandidateData
		if err := decodeData(m, &d); err != nil {
			return err
		}
		p, err := cl.participantOf(from)
		if err != nil {
			return err
		}
		if err := p.AddCandidate(d.Candidate); err != nil {
			return apperr.New(apperr.Invalid, "the ICE candidate was refused: %v", err)
		}
		return nil
	case "call.invite":
		return cl.invite(from, m)
	case "call.video.request", "call.video.response":
		return cl.relayVideoChoice(from, m)
	case msgRingDevice:
		return cl.ringDevice(from)
	case "queue.offer":
		if from.ConnID != "" {
			return apperr.New(apperr.Forbidden, "offers come from the contact center only")
		}
		var o QueueOffer
		if err := json.Unmarshal(m.Data, &o); err != nil {
			return apperr.New(apperr.Invalid, "queue.offer is malformed: %v", err)
		}
		if len(o.Queue) > 0 && o.Queue[0] != '{' && string(o.Queue) != "null" {
			return apperr.New(apperr.Invalid, "queue.offer is malformed: its queue must be an object")
		}
		err := cl.offer(o)
		if errors.Is(err, errCallerNotIn) {
			cl.end(outcomeFailed, "the call could not start")
		}
		return err
	case "queue.choose":
		return cl.choose(from, m)
	case "call.join", "call.role", "call.leave":
		if from.ConnID != "" {
			return apperr.New(apperr.Forbidden, "only the contact center brings people into a call")
		}
		switch m.Type {
		case "call.join":
			return cl.join(m.Data)
		case "call.role":
			return cl.setRole(m.Data)
		}
		return cl.leaveByServer(m.Data)
	case "call.ping":
		if from.ConnID != "" {
			return apperr.New(apperr.Forbidden, "only the contact center asks that")
		}
		return nil // the room is here
	case "call.video.live", "call.end":
		if from.ConnID != "" {
			return apperr.New(apperr.Forbidden, "only the contact center asks that")
		}
		if m.Type == "call.video.live" {
			return cl.videoLive()
		}
		var d CallEndData
		json.Unmarshal(m.Data, &d)
		go cl.end(outcomeAnswered, d.Reason)
		return nil
	}
	return apperr.New(apperr.Invalid, "unknown call message %q", m.Type)
}

// participantOf returns the room participant of the sending device.
func (cl *call) participantOf(from party) (*media.Participant, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if m := cl.memberOf(from.ConnID); m != nil {
		if p := cl.room.Participant(m.pid); p != nil {
			return p, nil
		}
	}
	return nil, apperr.New(apperr.Forbidden, "you are not in this call")
}

// answer connects the callee who picked up first.
func (cl *call) answer(from party) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if inv := cl.inviteOf(from); inv != nil {
		return cl.joinInvitee(from, inv)
	}
	if !cl.isForCallee(from) {
		return apperr.New(apperr.Forbidden, "this call is not for you")
	}
	if cl.state != callRinging {
		return apperr.New(apperr.Conflict, "this call is no longer ringing")
	}
	if cl.queue != nil && !cl.queue.callback {
		// The contact center confirms the offer still stands, in its
		// database, before the agent is connected.
		if err := cl.c.queue.Answered(cl.ctx, cl.queue.entryID, from.AccountID, from.ConnID); err != nil {
			return err
		}
	}
	callee := from
	cl.callee = &callee
	p, err := cl.admit(callee, "callee", cl.calleeName, media.RoleParty, false, false)
	if err != nil {
		cl.callee = nil
		return err
	}
	if caller := cl.room.Participant("caller"); caller != nil {
		go cl.c.metrics.awaitConnected(cl.ctx, cl.rec.StartedAt, caller, p)
	}
	now := time.Now().UTC()
	cl.answeredAt = &now
	cl.state = callActive
	cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Updates(map[string]any{"state": callActive, "answered_at": now})
	if cl.ringTimer != nil {
		cl.ringTimer.Stop()
	}
	for _, d := range cl.ringDevices {
		if d != from.DeviceID {
			cl.c.sig.SendToDevice(d, "call.state", CallStateData{CallID: cl.rec.ID, State: callEnded, Reason: new("answered on another device")})
		}
	}
	cl.ringDevices = nil
	cl.ringConns = nil
	toCaller := CallStateData{State: callActive}
	toCallee := CallStateData{State: callActive, Peer: peerInfo(cl.callerName, cl.rec.CallerNumber)}
	if cl.queue != nil {
		toCaller.Peer, toCaller.EntryID, toCallee.EntryID = peerInfo(cl.calleeName, nil), cl.queue.entryID, cl.queue.entryID
	}
	cl.sendState(cl.caller, toCaller)
	cl.sendState(callee, toCallee)
	cl.c.dir.touch(cl.caller.AccountID, callee.AccountID)
	return nil
}

// isForCallee reports whether the sender may pick up the call: the callee's
// account, or the guest being called back. A call between members may also
// be picked up by anyone signed in on a device it rings: the family tablet
// carries every number of the family, so whoever holds it answers. Device
// ids are issued and bound to sessions by the server, so a connection on a
// ringing device really is that device. Called with mu held.
func (cl *call) isForCallee(from party) bool {
	if cl.calleeGuest != "" {
		return from.Guest == cl.calleeGuest && from.AccountID == ""
	}
	if cl.rec.CalleeAccountID == nil || from.AccountID == "" {
		return false
	}
	if from.AccountID == *cl.rec.CalleeAccountID {
		return true
	}
	return cl.queue == nil && from.DeviceID != "" && slices.Contains(cl.ringDevices, from.DeviceID)
}

// decline sends the caller to the mailbox.
func (cl *call) decline(from party) error {
	cl.mu.Lock()
	if inv := cl.inviteOf(from); inv != nil {
		cl.declineInvite(inv)
		cl.mu.Unlock()
		return nil
	}
	if !cl.isForCallee(from) {
		cl.mu.Unlock()
		return apperr.New(apperr.Forbidden, "this call is not for you")
	}
	if cl.state != callRinging {
		cl.mu.Unlock()
		return apperr.New(apperr.Conflict, "this call is no longer ringing")
	}
	if cl.queue != nil && !cl.queue.callback {
		cl.mu.Unlock()
		cl.lapse(from.AccountID, false)
		return nil
	}
	if cl.calleeGuest != "" {
		cl.stopRinging("declined")
		cl.mu.Unlock()
		cl.end(outcomeDeclined, "declined")
		return nil
	}
	defer cl.mu.Unlock()
	cl.stopRinging("declined")
	cl.toMailbox(outcomeDeclined)
	return nil
}

// relayVideoChoice passes "show your video?" and its answer between the
// parties of an answered call (the two sides of a 1:1 call).
func (cl *call) relayVideoChoice(from party, m media.Message) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.state != callActive || cl.callee == nil {
		return apperr.New(apperr.Conflict, "the call is not connected")
	}
	var d VideoChoiceData
	if err := decodeData(m, &d); err != nil {
		return err
	}
	sender := cl.memberOf(from.ConnID)
	if sender == nil || sender.role != media.RoleParty {
		return apperr.New(apperr.Forbidden, "you are not in this call")
	}
	for _, to := range cl.inRoom {
		if to != sender && to.role == media.RoleParty {
			cl.c.sig.SendToConn(to.ConnID, m.Type, VideoChoiceData{CallID: cl.rec.ID, Accept: d.Accept})
		}
	}
	return nil
}

// hangUp ends the call from one side; in a call of several it takes that
// side out while two parties remain (leave).
func (cl *call) hangUp(from party) {
	if cl.transferHangUp(from) {
		return
	}
	cl.mu.Lock()
	state := cl.state
	isCaller := from.ConnID == cl.caller.ConnID
	cl.mu.Unlock()
	switch {
	case state == callRinging && isCaller:
		cl.mu.Lock()
		cl.stopRinging("cancelled")
		cl.mu.Unlock()
		cl.end(outcomeCancelled, "cancelled")
	case state == callActive:
		cl.leave(from)
	case state == callMailbox && isCaller:
		cl.end("", "message left")
	}
}

// toMailbox turns the call into a message: the caller hears the greeting,
// then what they send is recorded. Called with mu held.
func (cl *call) toMailbox(outcome string) {
	if cl.calleeRegion != "" && !cl.leaveMessage {
		// The mailbox of a member of another region is in their region:
		// the call ends, and the caller hears why.
		cl.rec.Outcome = &outcome
		go cl.end(outcome, fmt.Sprintf("%s cannot take your call right now", cl.calleeName))
		return
	}
	cl.state = callMailbox
	cl.rec.Outcome = &outcome
	cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Updates(map[string]any{"state": callMailbox, "outcome": outcome})
	greeting := fmt.Sprintf("%s cannot take your call right now. Leave a message after the tone.", cl.calleeName)
	if cl.calleeRegion != "" {
		greeting = fmt.Sprintf("Leave a message for %s after the tone: it reaches them as soon as their region can be reached.", cl.calleeName)
	}
	cl.sendState(cl.caller, CallStateData{State: callMailbox, Outcome: outcome, Peer: peerInfo(cl.calleeName, &cl.rec.CalleeNumber),
		Greeting: greeting, MaxSeconds: new(int(cl.c.cfg.MaxMessage.Seconds()))})
	go cl.recordMessage()
}

// recordMessage plays the greeting to the caller and then records them.
func (cl *call) recordMessage() {
	caller := cl.room.Participant("caller")
	if caller == nil {
		return
	}
	select {
	case <-caller.Connected():
	case <-cl.ctx.Done():
		return
	case <-time.After(20 * time.Second):
		cl.end("", "the caller's media did not connect")
		return
	}
	greeting, max := cl.c.greeting, cl.c.cfg.MaxMessage
	if cl.queue == nil && cl.calleeRegion == "" {
		// (A member of another region's own greeting is in their region.)
		greeting = cl.c.greetingOf(cl.ctx, *cl.rec.CalleeAccountID)
	}
	if cl.greeting {
		greeting, max = cl.c.tone, greetingMax
	}
	if err := media.PlayOpus(cl.ctx, caller.AudioOut(), greeting); err != nil {
		return
	}
	rec, err := media.NewRecorder(cl.c.cfg.ScratchDir, cl.rec.Video, max)
	if err != nil {
		slog.Error("start recorder", "call", cl.rec.ID, "err", err)
		cl.end("", "the message could not be recorded")
		return
	}
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		rec.Abort()
		return
	}
	cl.recorder = rec
	cl.stops = append(cl.stops, caller.AddSink(func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		if rec.WriteRTP(kind, pkt) == nil && rec.Full() {
			go cl.end("", "the message reached its maximum length")
		}
	}))
	cl.mu.Unlock()
	cl.sendState(cl.caller, CallStateData{State: "recording", MaxSeconds: new(int(cl.c.cfg.MaxMessage.Seconds()))})
	// Video is recorded from a keyframe on: ask until one has come.
	for rec.NeedsKeyframe() && cl.ctx.Err() == nil {
		caller.RequestKeyframe()
		select {
		case <-cl.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// end closes the call once: stops media, saves a message left in the
// mailbox, closes the record and tells both sides.
func (cl *call) end(outcome, reason string) {
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return
	}
	cl.ended = true
	for _, stop := range cl.stops {
		stop()
	}
	recorder := cl.recorder
	if outcome == "" && cl.rec.Outcome != nil {
		outcome = *cl.rec.Outcome
	}
	if outcome == "" {
		outcome = outcomeFailed
	}
	if cl.ringTimer != nil {
		cl.ringTimer.Stop()
	}
	cl.dropInvites()
	inRoom := slices.Clone(cl.inRoom)
	if !cl.callerLeft && cl.memberOf(cl.caller.ConnID) == nil {
		// The caller's room never took them (the call could not start).
		inRoom = append(inRoom, &member{party: cl.caller})
	}
	answeredAt := cl.answeredAt
	leg := cl.dropTransferLeg()
	cl.mu.Unlock()
	cl.transferEnded(leg)

	cl.cancel()
	cl.room.Close()
	cl.membersGone()
	cl.c.mu.Lock()
	delete(cl.c.calls, cl.rec.ID)
	cl.c.mu.Unlock()
	cl.c.finishRecord(cl.rec.ID, outcome, answeredAt)
	cl.c.metrics.ended(outcome)
	if recorder != nil && cl.greeting {
		if err := cl.c.saveGreeting(cl.caller.AccountID, recorder); err != nil && !errors.Is(err, media.ErrEmptyRecording) {
			slog.Error("save greeting", "call", cl.rec.ID, "err", err)
		}
	} else if recorder != nil && cl.queue != nil && !cl.queue.callback {
		if err := cl.c.saveStoreMessage(cl.rec, cl.queue, cl.callerName, recorder); err != nil && !errors.Is(err, media.ErrEmptyRecording) {
			slog.Error("save store message", "call", cl.rec.ID, "err", err)
		}
	} else if recorder != nil && cl.calleeRegion != "" {
		if err := cl.c.saveOutboxMessage(cl.rec, cl.callerName, cl.calleeRegion, recorder); err != nil && !errors.Is(err, media.ErrEmptyRecording) {
			slog.Error("save message for another region", "call", cl.rec.ID, "err", err)
		}
	} else if recorder != nil {
		err := cl.c.saveMessage(cl.rec, cl.callerName, recorder)
		switch {
		case err == nil:
			cl.notify(NoticeMessage)
		case errors.Is(err, media.ErrEmptyRecording):
			cl.notify(NoticeMissedCall)
		default:
			slog.Error("save message", "call", cl.rec.ID, "err", err)
		}
	} else if answeredAt == nil && cl.queue == nil && !cl.greeting && slices.Contains(missedOutcomes, outcome) {
		cl.notify(NoticeMissedCall)
	}
	if cl.queue != nil {
		cl.mu.Lock()
		lost := cl.lost
		cl.mu.Unlock()
		if lost {
			cl.c.queue.Lost(context.Background(), cl.queue.entryID, cl.rec.ID)
		} else {
			cl.c.queue.Ended(context.Background(), cl.queue.entryID)
		}
	}
	// The room answers until its queue entry is settled: a shopper who
	// dials again meanwhile finds this call still hosted, so Rejoin does
	// not take a place that Ended is about to close.
	cl.sub.Unsubscribe()
	cl.sendEnded(inRoom, CallStateData{State: callEnded, Outcome: outcome, Reason: new(reason)})
	if answeredAt != nil && cl.rec.CalleeAccountID != nil {
		cl.c.dir.touch(cl.caller.AccountID, *cl.rec.CalleeAccountID)
	}
}

// removeQuietly deletes a scratch file, logging only real failures.
func removeQuietly(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		slog.Warn("remove scratch file", "path", path, "err", err)
	}
}
