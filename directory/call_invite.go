package directory

import (
	"fmt"
	"slices"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// Conference calls between members (D14): a party of an answered call adds
// another member by number ("call.invite"). The member's devices ring with
// the usual "call.incoming", which says who invites and who is in the call;
// answering joins them as a party, and declining, being offline or busy, or
// not answering within the ring timeout only tells the parties
// ("call.invited"): the call goes on.

// maxPendingInvites bounds the invitations of one call ringing at once
// (the room's size bounds them too).
const maxPendingInvites = 8

// maxInvitesPerCall bounds the invitations one call sends over its life:
// each rings someone's devices.
const maxInvitesPerCall = 24

// invite is a member being rung to join the call.
type invite struct {
	accountID string
	name      string
	display   string
	devices   []string
	timer     *time.Timer
	by        string // who invited them, by name
}

// inviteOf returns the pending invitation the sender may answer: theirs,
// or one ringing on the sender's device (mu held).
func (cl *call) inviteOf(from party) *invite {
	if from.AccountID == "" {
		return nil
	}
	for _, inv := range cl.invites {
		if inv.accountID == from.AccountID || (from.DeviceID != "" && slices.Contains(inv.devices, from.DeviceID)) {
			return inv
		}
	}
	return nil
}

// tellParties sends "call.invited" to every party in the room (mu held).
func (cl *call) tellParties(inv *invite, state, message string) {
	d := InvitedData{CallID: cl.rec.ID, Name: inv.name, Display: inv.display, State: state, Message: message}
	for _, m := range cl.inRoom {
		if m.role == media.RoleParty {
			cl.c.sig.SendToConn(m.ConnID, "call.invited", d)
		}
	}
}

// invite applies a party's "call.invite".
func (cl *call) invite(from party, m media.Message) error {
	var d InviteData
	if err := decodeData(m, &d); err != nil {
		return err
	}
	num, err := ParseNumber(d.Number)
	if err != nil {
		return err
	}
	if err := cl.mayInvite(from); err != nil {
		return err
	}
	res, err := cl.c.dir.Resolve(cl.ctx, num)
	if err != nil {
		return err
	}
	if res.Party.Type != PartyMember {
		return apperr.New(apperr.Invalid, "%s is %s's sales number: only members can be added to a call", num, res.Party.Name)
	}
	busy := res.State == StateBusy || cl.c.inCall(res.Party.AccountID)
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if err := cl.mayInviteLocked(from); err != nil {
		return err
	}
	for _, x := range cl.inRoom {
		if x.AccountID == res.Party.AccountID {
			return apperr.New(apperr.Conflict, "%s is in this call already", res.Party.Name)
		}
	}
	for _, x := range cl.invites {
		if x.accountID == res.Party.AccountID {
			return apperr.New(apperr.Conflict, "%s is being called already", res.Party.Name)
		}
	}
	cl.invited++
	inviter := cl.memberOf(from.ConnID)
	inv := &invite{accountID: res.Party.AccountID, name: res.Party.Name, display: res.Display, by: inviter.name}
	switch {
	case res.State == StateOffline || res.State == StatePush || len(res.Ring) == 0:
		cl.tellParties(inv, outcomeOffline, fmt.Sprintf("%s is offline", inv.name))
		return nil
	case busy:
		cl.tellParties(inv, outcomeBusy, fmt.Sprintf("%s is in another call", inv.name))
		return nil
	}
	var members []string
	for _, x := range cl.inRoom {
		if x.role == media.RoleParty {
			members = append(members, x.name)
		}
	}
	incoming := CallIncomingData{CallID: cl.rec.ID, From: CallParty{Name: inviter.name}, Video: cl.rec.Video,
		Conference: &ConferenceData{InvitedBy: inviter.name, Members: members}}
	for _, t := range res.Ring {
		inv.devices = append(inv.devices, t.DeviceID)
		cl.c.sig.SendToDevice(t.DeviceID, "call.incoming", incoming)
	}
	account := inv.accountID
	inv.timer = time.AfterFunc(cl.c.cfg.RingTimeout, func() { cl.inviteLapsed(account) })
	cl.invites = append(cl.invites, inv)
	cl.tellParties(inv, callRinging, fmt.Sprintf("Calling %s…", inv.name))
	return nil
}

// mayInvite checks, before the number is looked up, that the sender may
// add someone now.
func (cl *call) mayInvite(from party) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.mayInviteLocked(from)
}

// mayInviteLocked is mayInvite with mu held.
func (cl *call) mayInviteLocked(from party) error {
	sender := cl.memberOf(from.ConnID)
	switch {
	case cl.ended:
		return errNoRoom
	case sender == nil || sender.role != media.RoleParty || sender.AccountID == "":
		return apperr.New(apperr.Forbidden, "only someone in the call can add people to it")
	case cl.queue != nil:
		return apperr.New(apperr.Invalid, "a call with a store cannot take more people")
	case cl.state != callActive:
		return apperr.New(apperr.Conflict, "the call is not connected")
	case cl.invited >= maxInvitesPerCall:
		return apperr.New(apperr.RateLimited, "this call has added people %d times: no more", maxInvitesPerCall)
	case len(cl.invites) >= maxPendingInvites || len(cl.inRoom)+len(cl.invites) >= media.MaxParticipants:
		return apperr.New(apperr.Conflict, "the call is full: at most %d people can be in one call, counting those being called", media.MaxParticipants)
	}
	return nil
}

// dropInvite takes a pending invitation away and stops its devices
// ringing with the reason (mu held).
func (cl *call) dropInvite(inv *invite, reason string, except string) {
	cl.invites = slices.DeleteFunc(cl.invites, func(x *invite) bool { return x == inv })
	if inv.timer != nil {
		inv.timer.Stop()
	}
	for _, d := range inv.devices {
		if d != except {
			cl.c.sig.SendToDevice(d, "call.state", CallStateData{CallID: cl.rec.ID, State: callEnded, Reason: new(reason)})
		}
	}
}

// joinInvitee connects an invited member who answered (mu held).
func (cl *call) joinInvitee(from party, inv *invite) error {
	if cl.state != callActive {
		return apperr.New(apperr.Conflict, "the call is not connected")
	}
	if _, err := cl.admit(from, "", inv.name, media.RoleParty, false, false); err != nil {
		return err
	}
	cl.dropInvite(inv, "answered on another device", from.DeviceID)
	cl.sendState(from, CallStateData{State: callActive, Peer: &CallParty{Name: inv.by}, Video: new(cl.rec.Video)})
	cl.tellParties(inv, "joined", fmt.Sprintf("%s joined", inv.name))
	return nil
}

// declineInvite is an invited member saying no (mu held).
func (cl *call) declineInvite(inv *invite) {
	cl.dropInvite(inv, "declined", "")
	cl.tellParties(inv, outcomeDeclined, fmt.Sprintf("%s declined", inv.name))
}

// inviteLapsed ends an invitation nobody answered.
func (cl *call) inviteLapsed(accountID string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, inv := range cl.invites {
		if inv.accountID == accountID {
			cl.dropInvite(inv, "no answer", "")
			cl.tellParties(inv, outcomeNoAnswer, fmt.Sprintf("%s did not answer", inv.name))
			return
		}
	}
}

// dropInvites stops every invitation still ringing: the call ended
// (mu held).
func (cl *call) dropInvites() {
	for _, inv := range slices.Clone(cl.invites) {
		cl.dropInvite(inv, "the call ended", "")
	}
}
