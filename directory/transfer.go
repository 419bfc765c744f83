package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// Transfers of a live queued call from the agent who has it to another: the
// call's side. The contact center (agentdesk/transfer.go) decides and
// records; the room here rings the target, holds the shopper (media.Room
// Hold: they hear neither agent while the agents talk), brings the target
// in as a party, lets the first agent go and takes the shopper off hold,
// or puts the call back in a store's line. Each side hears one sender at
// a time throughout, so no device renegotiates.

// The contact center's requests to a call's room about a transfer.
const (
	msgTransferOffer    = "transfer.offer"
	msgTransferComplete = "transfer.complete"
	msgTransferRequeue  = "transfer.requeue"
)

// Transfer modes: warm (the agents talk first, the shopper on hold) and
// cold (the shopper goes straight to the target).
const (
	TransferWarm = "warm"
	TransferCold = "cold"
)

// TransferOffer asks the room of a live queued call to ring another agent
// of the store for it. The room refuses (Conflict) when the call is not
// live with an agent, is not entryID's, or a transfer is in flight.
type TransferOffer struct {
	TransferID  string   `json:"transferId"`
	EntryID     string   `json:"entryId"`
	Mode        string   `json:"mode"`
	AgentID     string   `json:"agentId"`
	AgentName   string   `json:"agentName"`
	FromName    string   `json:"fromName"`
	Devices     []string `json:"devices"`
	RingSeconds int      `json:"ringSeconds"`
	// Queue is the contact center's part of the target's "call.incoming"
	// (its agentdesk.QueueOffer, with the transfer in its context).
	Queue json.RawMessage `json:"queue"`
}

// TransferComplete asks the room to finish a warm transfer whose target
// answered: the target takes the shopper, the first agent leaves.
type TransferComplete struct {
	TransferID string `json:"transferId"`
}

// TransferRequeue asks the room to put the live call back in a store's
// line as entry EntryID: the agent leaves, the shopper waits (the contact
// center has put them at the front).
type TransferRequeue struct {
	TransferID string         `json:"transferId"`
	EntryID    string         `json:"entryId"`
	StoreID    int64          `json:"storeId"`
	Store      media.StoreRef `json:"store"`
}

// CallTransferData is "call.transfer", sent to the shopper and to the
// agents while a call moves: connecting (the target rings; the shopper is
// on hold), consulting (warm: the agents talk), connected (the target has
// the shopper), returned (the target did not take it: the shopper is back
// with the first agent; Note says why), queued (back in a store's line),
// transferred (to the first agent: the call is no longer theirs).
type CallTransferData struct {
	CallID     string `json:"callId"`
	TransferID string `json:"transferId,omitempty"`
	State      string `json:"state" ts:"'connecting' | 'consulting' | 'connected' | 'returned' | 'queued' | 'transferred'"`
	Mode       string `json:"mode,omitempty" ts:"'warm' | 'cold'"`
	To         string `json:"to,omitempty"`
	Note       string `json:"note,omitempty"`
	// Taking marks the message to the target of the transfer (who is
	// taking the call over) rather than to the agent handing it on.
	Taking bool `json:"taking,omitempty"`
}

// Transfers is what the calls need from the contact center to carry a
// transfer out (agentdesk.Queue implements it). Each records a step in
// the contact center's database, guarded on the state it expects.
type Transfers interface {
	// TransferAnswered confirms the target may take the call (an error
	// refuses the answer): warm, the agents now consult; cold, the
	// engagement is the target's.
	TransferAnswered(ctx context.Context, transferID, agentID, connID string) error
	// TransferLapsed records that the transfer did not happen (outcome
	// no_answer, declined or failed) and frees the target.
	TransferLapsed(ctx context.Context, transferID, agentID, outcome string)
	// TransferCompleted hands the engagement to the target of a warm
	// transfer when the first agent hangs up while they consult.
	TransferCompleted(ctx context.Context, transferID string) error
	// TransferToFront puts the engagement of a transfer that lapsed after
	// its first agent left back at the front of its store's line, with
	// note for the next agent (the first agent wraps up). requeue moves
	// the call there (the room's side) before any agent is offered it; its
	// error undoes the move.
	TransferToFront(ctx context.Context, transferID, note string, requeue func(TransferRequeue) error) error
}

// transferState is a call's part in transfers (guarded by the call's mu).
type transferState struct {
	leg *transferLeg
}

// transferLeg is a transfer in flight.
type transferLeg struct {
	TransferOffer
	from        party    // the agent who transfers
	to          *party   // the target, once they answered
	ringDevices []string // the target's devices that ring
	timer       *time.Timer
	// fromLeft: the first agent hung up while the target rang. An answer
	// gives the target the shopper at once (as a cold transfer does); no
	// answer sends the shopper to the front of the store's line.
	fromLeft bool
}

// transfers returns the contact center's transfer side, or nil.
func (cl *call) transfers() Transfers {
	t, _ := cl.c.queue.(Transfers)
	return t
}

// holdShopper puts the shopper on hold or takes them off it (mu held).
func (cl *call) holdShopper(held bool) {
	m := cl.memberOf(cl.caller.ConnID)
	if m == nil {
		return
	}
	if err := cl.room.Hold(m.pid, held); err != nil {
		slog.Debug("transfer: hold the shopper", "call", cl.rec.ID, "held", held, "err", err)
	}
}

// dropMember takes the member on the connection out of the room (mu
// held); its media stopping then finds it gone.
func (cl *call) dropMember(connID string) {
	m := cl.memberOf(connID)
	if m == nil {
		return
	}
	cl.inRoom = slices.DeleteFunc(cl.inRoom, func(x *member) bool { return x == m })
	if _, err := cl.room.Leave(m.pid); err != nil {
		slog.Debug("transfer: leave the room", "call", cl.rec.ID, "err", err)
	}
	cl.memberLeft(m.party)
}

// tell sends "call.transfer" to one connection.
func (cl *call) tell(connID string, d CallTransferData) {
	d.CallID = cl.rec.ID
	cl.c.sig.SendToConn(connID, "call.transfer", d)
}

// handleTransfer applies the contact center's request about a transfer.
func (cl *call) handleTransfer(from party, m media.Message) error {
	if from.ConnID != "" {
		return apperr.New(apperr.Forbidden, "transfers come from the contact center only")
	}
	switch m.Type {
	case msgTransferOffer:
		var o TransferOffer
		if err := json.Unmarshal(m.Data, &o); err != nil {
			return apperr.New(apperr.Invalid, "transfer.offer is malformed: %v", err)
		}
		return cl.offerTransfer(o)
	case msgTransferComplete:
		var d TransferComplete
		if err := json.Unmarshal(m.Data, &d); err != nil {
			return apperr.New(apperr.Invalid, "transfer.complete is malformed: %v", err)
		}
		return cl.completeTransfer(d.TransferID)
	default:
		var d TransferRequeue
		if err := json.Unmarshal(m.Data, &d); err != nil || d.EntryID == "" {
			return apperr.New(apperr.Invalid, "transfer.requeue is malformed")
		}
		return cl.requeue(d)
	}
}

// liveWithAgent refuses a transfer of a call that is not a live queued
// call of entryID with an agent and no transfer in flight (mu held).
func (cl *call) liveWithAgent(entryID string) error {
	if cl.ended || cl.state != callActive || cl.callee == nil || cl.queue == nil || cl.queue.callback || cl.queue.entryID != entryID {
		return apperr.New(apperr.Conflict, "the call is not live with its agent any more")
	}
	if cl.xfer.leg != nil {
		return apperr.New(apperr.Conflict, "a transfer of this call is in flight already")
	}
	return nil
}

// offerTransfer puts the shopper on hold and rings the target.
func (cl *call) offerTransfer(o TransferOffer) error {
	if o.Mode != TransferWarm && o.Mode != TransferCold {
		return apperr.New(apperr.Invalid, "a transfer is warm or cold, not %q", o.Mode)
	}
	if len(o.Devices) == 0 || o.AgentID == "" || o.TransferID == "" {
		return apperr.New(apperr.Invalid, "transfer.offer needs a transfer, an agent and their devices")
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if err := cl.liveWithAgent(o.EntryID); err != nil {
		return err
	}
	leg := &transferLeg{TransferOffer: o, from: *cl.callee}
	cl.xfer.leg = leg
	cl.holdShopper(true)
	incoming := CallIncomingData{CallID: cl.rec.ID, From: *peerInfo(cl.callerName, cl.rec.CallerNumber), Video: cl.rec.Video, Avatar: cl.avatar, Queue: o.Queue}
	for _, d := range o.Devices {
		leg.ringDevices = append(leg.ringDevices, d)
		cl.c.sig.SendToDevice(d, "call.incoming", incoming)
	}
	secs := max(o.RingSeconds, 1)
	agent := o.AgentID
	leg.timer = time.AfterFunc(time.Duration(secs)*time.Second, func() { cl.lapseTransfer(agent, "no_answer") })
	cl.tell(cl.caller.ConnID, CallTransferData{TransferID: o.TransferID, State: "connecting", Mode: o.Mode, To: o.AgentName})
	cl.tell(leg.from.ConnID, CallTransferData{TransferID: o.TransferID, State: "connecting", Mode: o.Mode, To: o.AgentName})
	return nil
}

// transferRingsFor reports whether a transfer rings the sender's account.
func (cl *call) transferRingsFor(from party) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	leg := cl.xfer.leg
	return leg != nil && leg.to == nil && from.AccountID != "" && from.AccountID == leg.AgentID
}

// stopTransferRinging tells the target's ringing devices to stop, but
// keep (mu held).
func (cl *call) stopTransferRinging(leg *transferLeg, keep, reason string) {
	if leg.timer != nil {
		leg.timer.Stop()
	}
	for _, d := range leg.ringDevices {
		if d != keep {
			cl.c.sig.SendToDevice(d, "call.state", CallStateData{CallID: cl.rec.ID, State: callEnded, Reason: new(reason)})
		}
	}
	leg.ringDevices = nil
}

// answerTransfer connects the target who picked up: warm, to the first
// agent (the shopper stays on hold); cold, to the shopper.
func (cl *call) answerTransfer(from party) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	leg := cl.xfer.leg
	if cl.ended || leg == nil || leg.to != nil || leg.AgentID != from.AccountID {
		return apperr.New(apperr.Conflict, "this transfer is no longer ringing")
	}
	t := cl.transfers()
	if t == nil {
		return apperr.New(apperr.Unavailable, "transfers are not available")
	}
	if err := t.TransferAnswered(cl.ctx, leg.TransferID, from.AccountID, from.ConnID); err != nil {
		return err
	}
	cl.stopTransferRinging(leg, from.DeviceID, "answered on another device")
	target := from
	// The shopper on hold, the target hears (and is heard by) the first
	// agent only.
	if _, err := cl.admit(target, "", leg.AgentName, media.RoleParty, false, true); err != nil {
		return err
	}
	leg.to = &target
	if leg.fromLeft && leg.Mode == TransferWarm {
		// Nobody to consult: the contact center hands the engagement over
		// now, as for a cold transfer.
		if err := t.TransferCompleted(cl.ctx, leg.TransferID); err != nil {
			slog.Warn("transfer: hand over after the first agent left", "call", cl.rec.ID, "err", err)
		}
	}
	if leg.Mode == TransferCold || leg.fromLeft {
		cl.finishTransfer(leg)
		return nil
	}
	cl.sendState(target, CallStateData{State: callActive, Peer: peerInfo(leg.FromName, nil), EntryID: cl.queue.entryID})
	cl.tell(target.ConnID, CallTransferData{TransferID: leg.TransferID, State: "consulting", Mode: leg.Mode, To: leg.FromName, Taking: true,
		Note: fmt.Sprintf("%s is handing you %s, who is on hold until the transfer is completed.", leg.FromName, cl.callerName)})
	cl.tell(leg.from.ConnID, CallTransferData{TransferID: leg.TransferID, State: "consulting", Mode: leg.Mode, To: leg.AgentName})
	return nil
}

// declineTransfer takes the shopper back to the first agent when the
// target declines.
func (cl *call) declineTransfer(from party) error {
	if !cl.lapseTransfer(from.AccountID, "declined") {
		return apperr.New(apperr.Conflict, "this transfer is no longer ringing")
	}
	return nil
}

// completeTransfer finishes a warm transfer the contact center recorded
// as complete.
func (cl *call) completeTransfer(transferID string) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	leg := cl.xfer.leg
	if cl.ended || leg == nil || leg.TransferID != transferID || leg.to == nil {
		return apperr.New(apperr.Conflict, "the transfer cannot be completed: its target has not answered")
	}
	cl.finishTransfer(leg)
	return nil
}

// finishTransfer gives the call to the target: the first agent leaves,
// the shopper comes off hold to the target, the call's record names the
// target as its callee, and a supervisor whispering to the agent now
// whispers to the target (mu held).
func (cl *call) finishTransfer(leg *transferLeg) {
	cl.dropMember(leg.from.ConnID)
	cl.xfer.leg = nil
	cl.callee = leg.to
	cl.holdShopper(false)
	cl.rewhisper()
	agent := leg.AgentID
	cl.rec.CalleeAccountID, cl.calleeName = &agent, leg.AgentName
	cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Update("callee_account_id", agent)
	if !leg.fromLeft {
		cl.tell(leg.from.ConnID, CallTransferData{TransferID: leg.TransferID, State: "transferred", Mode: leg.Mode, To: leg.AgentName})
		cl.sendState(leg.from, CallStateData{State: callEnded, Outcome: outcomeAnswered, Reason: new("transferred to " + leg.AgentName)})
	}
	cl.tell(cl.caller.ConnID, CallTransferData{TransferID: leg.TransferID, State: "connected", Mode: leg.Mode, To: leg.AgentName})
	cl.sendState(cl.caller, CallStateData{State: callActive, Peer: peerInfo(leg.AgentName, nil), EntryID: cl.queue.entryID})
	cl.sendState(*leg.to, CallStateData{State: callActive, Peer: peerInfo(cl.callerName, cl.rec.CallerNumber), EntryID: cl.queue.entryID})
	cl.tell(leg.to.ConnID, CallTransferData{TransferID: leg.TransferID, State: "connected", Mode: leg.Mode, To: cl.callerName, Taking: true})
	cl.c.dir.touch(cl.caller.AccountID, agent)
}

// lapseTransfer takes the shopper back to the first agent when the
// target did not answer in time or declined (outcome); it reports whether
// a transfer to agentID was ringing.
func (cl *call) lapseTransfer(agentID, outcome string) bool {
	cl.mu.Lock()
	leg := cl.xfer.leg
	if cl.ended || leg == nil || leg.to != nil || leg.AgentID != agentID {
		cl.mu.Unlock()
		return false
	}
	reason := "no answer"
	note := leg.AgentName + " did not answer"
	if outcome == "declined" {
		reason, note = "declined", leg.AgentName+" declined the transfer"
	}
	cl.stopTransferRinging(leg, "", reason)
	if leg.fromLeft {
		cl.xfer.leg = nil
		cl.mu.Unlock()
		cl.toFrontOfLine(leg, agentID, outcome, note)
		return true
	}
	cl.backToFirstAgent(leg, note)
	cl.mu.Unlock()
	if t := cl.transfers(); t != nil {
		t.TransferLapsed(context.Background(), leg.TransferID, agentID, outcome)
	}
	return true
}

// firstAgentLeaves takes the first agent out of a transfer whose target
// still rings (mu held): the shopper stays on hold, the ring goes on.
func (cl *call) firstAgentLeaves(leg *transferLeg) {
	cl.dropMember(leg.from.ConnID)
	leg.fromLeft = true
	cl.sendState(leg.from, CallStateData{State: callEnded, Outcome: outcomeAnswered, Reason: new("you left; " + leg.AgentName + " is being rung for " + cl.callerName)})
	cl.tell(cl.caller.ConnID, CallTransferData{TransferID: leg.TransferID, State: "connecting", Mode: TransferCold, To: leg.AgentName,
		Note: leg.FromName + " handed you on: connecting you to " + leg.AgentName})
}

// toFrontOfLine puts the shopper of a transfer that lapsed after its
// first agent left at the front of the store's line: there is no first
// agent to go back to. The shopper and the next agent read note.
func (cl *call) toFrontOfLine(leg *transferLeg, agentID, outcome, note string) {
	t := cl.transfers()
	if t == nil {
		cl.end(outcomeAnswered, note)
		return
	}
	t.TransferLapsed(context.Background(), leg.TransferID, agentID, outcome)
	note = note + " after " + leg.FromName + " left"
	err := t.TransferToFront(context.Background(), leg.TransferID, note, func(d TransferRequeue) error {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.ended || cl.state != callActive || cl.queue == nil || cl.queue.entryID != leg.EntryID || cl.xfer.leg != nil {
			return apperr.New(apperr.Conflict, "the call is not waiting for its transfer any more")
		}
		cl.callee, cl.rec.CalleeAccountID = nil, nil
		cl.rewhisper()
		cl.holdShopper(false)
		cl.queue = &queueLink{entryID: d.EntryID, storeID: d.StoreID, storeName: d.Store.Name}
		cl.calleeName, cl.state = d.Store.Name, callRinging
		cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Updates(map[string]any{"state": callRinging, "callee_account_id": nil})
		cl.tell(cl.caller.ConnID, CallTransferData{TransferID: leg.TransferID, State: "queued", To: d.Store.Name, Note: note + ": you are first in line"})
		store := d.Store
		cl.sendState(cl.caller, CallStateData{State: "queued", EntryID: d.EntryID, Video: new(cl.rec.Video), Peer: peerInfo(d.Store.Name, nil), Store: &store})
		return nil
	})
	if err != nil {
		slog.Warn("transfer: back to the front of the line", "call", cl.rec.ID, "err", err)
		cl.end(outcomeAnswered, note)
	}
}

// backToFirstAgent takes the shopper off hold, back with the agent who
// transferred, and tells both why (mu held).
func (cl *call) backToFirstAgent(leg *transferLeg, note string) {
	cl.xfer.leg = nil
	cl.holdShopper(false)
	cl.tell(cl.caller.ConnID, CallTransferData{TransferID: leg.TransferID, State: "returned", Mode: leg.Mode, To: leg.AgentName, Note: note})
	cl.tell(leg.from.ConnID, CallTransferData{TransferID: leg.TransferID, State: "returned", Mode: leg.Mode, To: leg.AgentName, Note: note})
}

// transferHangUp handles a hang-up that concerns a transfer in flight and
// reports whether it did: the target hanging up while the agents consult
// sends the shopper back to the first agent; the first agent hanging up
// then completes the transfer (as a desk phone's transfer key does); the
// first agent hanging up while the target still rings leaves the shopper
// on hold for the target (firstAgentLeaves).
func (cl *call) transferHangUp(from party) bool {
	cl.mu.Lock()
	leg := cl.xfer.leg
	if cl.ended || leg == nil {
		cl.mu.Unlock()
		return false
	}
	switch {
	case leg.to != nil && from.ConnID == leg.to.ConnID:
		cl.dropMember(leg.to.ConnID)
		cl.backToFirstAgent(leg, leg.AgentName+" left the call")
		cl.mu.Unlock()
		if t := cl.transfers(); t != nil {
			t.TransferLapsed(context.Background(), leg.TransferID, leg.AgentID, "failed")
		}
		return true
	case from.ConnID == leg.from.ConnID && leg.to != nil && leg.Mode == TransferWarm:
		cl.mu.Unlock()
		t := cl.transfers()
		if t == nil || t.TransferCompleted(context.Background(), leg.TransferID) != nil {
			return false
		}
		cl.mu.Lock()
		defer cl.mu.Unlock()
		if cl.xfer.leg == leg {
			cl.finishTransfer(leg)
		}
		return true
	case from.ConnID == leg.from.ConnID && leg.to == nil:
		cl.firstAgentLeaves(leg)
		cl.mu.Unlock()
		return true
	}
	cl.mu.Unlock()
	return false
}

// dropTransferLeg stops a transfer in flight as the call ends and returns
// it (mu held), for transferEnded.
func (cl *call) dropTransferLeg() *transferLeg {
	leg := cl.xfer.leg
	if leg == nil {
		return nil
	}
	cl.stopTransferRinging(leg, "", "the call ended")
	cl.xfer.leg = nil
	return leg
}

// transferEnded tells the contact center that a transfer in flight ended
// with its call.
func (cl *call) transferEnded(leg *transferLeg) {
	if leg == nil {
		return
	}
	if t := cl.transfers(); t != nil {
		t.TransferLapsed(context.Background(), leg.TransferID, leg.AgentID, "failed")
	}
}

// requeue puts the live call back in a store's line: the agent leaves and
// the shopper waits, as entry d.EntryID, for the next agent.
func (cl *call) requeue(d TransferRequeue) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended || cl.state != callActive || cl.callee == nil || cl.queue == nil || cl.queue.callback || cl.xfer.leg != nil {
		return apperr.New(apperr.Conflict, "the call is not live with its agent any more")
	}
	agent := *cl.callee
	cl.dropMember(agent.ConnID)
	cl.callee, cl.rec.CalleeAccountID = nil, nil
	cl.rewhisper()
	cl.queue = &queueLink{entryID: d.EntryID, storeID: d.StoreID, storeName: d.Store.Name}
	cl.calleeName, cl.state = d.Store.Name, callRinging
	cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Updates(map[string]any{"state": callRinging, "callee_account_id": nil})
	cl.tell(agent.ConnID, CallTransferData{TransferID: d.TransferID, State: "transferred", To: d.Store.Name})
	cl.sendState(agent, CallStateData{State: callEnded, Outcome: outcomeAnswered, Reason: new("transferred to " + d.Store.Name + "'s line")})
	cl.tell(cl.caller.ConnID, CallTransferData{TransferID: d.TransferID, State: "queued", To: d.Store.Name})
	store := d.Store
	cl.sendState(cl.caller, CallStateData{State: "queued", EntryID: d.EntryID, Video: new(cl.rec.Video), Peer: peerInfo(d.Store.Name, nil), Store: &store})
	return nil
}

// OfferTransfer asks the node hosting the call to ring the target of a
// transfer (see TransferOffer).
func (r *Rooms) OfferTransfer(ctx context.Context, callID string, o TransferOffer) error {
	return r.ask(ctx, callID, msgTransferOffer, o)
}

// CompleteTransfer asks the node hosting the call to finish a warm
// transfer whose target answered.
func (r *Rooms) CompleteTransfer(ctx context.Context, callID, transferID string) error {
	return r.ask(ctx, callID, msgTransferComplete, TransferComplete{TransferID: transferID})
}

// Requeue asks the node hosting the call to put it back in a store's
// line (see TransferRequeue).
func (r *Rooms) Requeue(ctx context.Context, callID string, d TransferRequeue) error {
	return r.ask(ctx, callID, msgTransferRequeue, d)
}
