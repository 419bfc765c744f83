package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// Calls of several: besides the caller and the callee, a call's room may
// hold joiners the contact center brings in (a supervisor monitoring,
// whispering or barging; a colleague taking a transfer) and members a
// party invites (a conference). Everyone in the room is a member of the
// call, with an opaque participant id ("caller", "callee", "p3", …) that
// the others see in their rosters: never a connection id.

// Joiner is someone the contact center brings into a live call by their
// desk connection: a supervisor monitoring, a colleague taking a transfer.
type Joiner struct {
	ConnID    string `json:"connId"` // the joiner's socket connection; gets the signaling
	AccountID string `json:"accountId"`
	DeviceID  string `json:"deviceId"`
	// Name is how the others who may know of them see them, e.g. "Noor,
	// supervisor" (at most maxMemberName characters).
	Name string     `json:"name"`
	Role media.Role `json:"role"` // party, listener or whisperer
	// WhisperToCallee: a whisperer whispers to the call's callee (the agent).
	WhisperToCallee bool `json:"whisperToCallee,omitempty"`
}

// roleChange is the data of the contact center's "call.role".
type roleChange struct {
	ConnID          string     `json:"connId"`
	Role            media.Role `json:"role"`
	WhisperToCallee bool       `json:"whisperToCallee,omitempty"`
}

// leaveRequest is the data of the contact center's "call.leave".
type leaveRequest struct {
	ConnID string `json:"connId"`
}

// maxMemberName bounds the name a member of a call is shown with.
const maxMemberName = 80

// Join (contact center only: a room message with an empty From, like
// queue.offer) adds the joiner to the live call's room with its role. The
// joiner's connection gets "rtc.offer" and "call.roster" for the call; its
// "rtc.answer", "rtc.candidate" and "call.hangup" then work as a party's.
// Refusals: the call ended or is unknown (NotFound), is not connected yet
// or already holds the connection or MaxParticipants people (Conflict), a
// bad role, whisper or name (Invalid).
func (r *Rooms) Join(ctx context.Context, callID string, j Joiner) error {
	return r.ask(ctx, callID, "call.join", j)
}

// SetRole changes a joiner's role in place (monitor → whisper → barge), on
// the same media connection. Refusals as Join's; a connection that is not
// a joiner of the call is NotFound.
func (r *Rooms) SetRole(ctx context.Context, callID, connID string, role media.Role, whisperToCallee bool) error {
	return r.ask(ctx, callID, "call.role", roleChange{ConnID: connID, Role: role, WhisperToCallee: whisperToCallee})
}

// Leave takes a joiner (or the callee) out of the call; the call goes on
// while two parties remain, and ends (as a hang-up) when fewer would. When
// the callee leaves, the first party who joined after them becomes the
// callee (the agent a transfer went to). The one who left gets "call.state"
// ended with the reason "you left the call". The caller cannot be taken out
// (Invalid); someone not in the call is NotFound.
func (r *Rooms) Leave(ctx context.Context, callID, connID string) error {
	return r.ask(ctx, callID, "call.leave", leaveRequest{ConnID: connID})
}

// member is one device in the call's room.
type member struct {
	party
	pid  string // the room's participant id
	name string
	role media.Role
	// whisperToCallee: a whisperer whispers to whoever is the callee.
	whisperToCallee bool
	joiner          bool // brought in by the contact center (Rooms.Join)
}

// memberOf returns the member on the connection, or nil (mu held).
func (cl *call) memberOf(connID string) *member {
	if connID == "" {
		return nil
	}
	for _, m := range cl.inRoom {
		if m.ConnID == connID {
			return m
		}
	}
	return nil
}

// partiesBut counts the parties in the room other than the connection's
// (mu held).
func (cl *call) partiesBut(connID string) int {
	n := 0
	for _, m := range cl.inRoom {
		if m.role == media.RoleParty && m.ConnID != connID {
			n++
		}
	}
	return n
}

// admit adds a member to the room with its role and wires its hang-up to
// its media stopping (mu held). pid "" gives the next opaque id.
func (cl *call) admit(p party, pid, name string, role media.Role, whisperToCallee, joiner bool) (*media.Participant, error) {
	if cl.memberOf(p.ConnID) != nil {
		return nil, apperr.New(apperr.Conflict, "that connection is in this call already")
	}
	if len(cl.inRoom) >= media.MaxParticipants {
		return nil, apperr.New(apperr.Conflict, "the call is full: at most %d people can be in one call", media.MaxParticipants)
	}
	whisperTo, err := cl.whisperTarget(role, whisperToCallee)
	if err != nil {
		return nil, err
	}
	if pid == "" {
		cl.nextPID++
		pid = fmt.Sprintf("p%d", cl.nextPID+2) // caller and callee come first
	}
	cl.names.Store(pid, name)
	rp, err := cl.room.JoinAs(pid, role, whisperTo, cl.signalTo(p))
	if err != nil {
		cl.names.Delete(pid)
		return nil, err
	}
	cl.inRoom = append(cl.inRoom, &member{party: p, pid: pid, name: name, role: role, whisperToCallee: whisperToCallee, joiner: joiner})
	if pid != "caller" && pid != "callee" {
		cl.memberJoined(p)
	}
	rp.OnMediaStopped(func() { cl.hangUp(p) })
	return rp, nil
}

// whisperTarget is the participant id a whisperer whispers to: the
// callee's (mu held).
func (cl *call) whisperTarget(role media.Role, whisperToCallee bool) (string, error) {
	if _, err := media.ParseRole(string(role)); err != nil {
		return "", err
	}
	if role != media.RoleWhisperer {
		if whisperToCallee {
			return "", apperr.New(apperr.Invalid, "only a whisperer whispers to the agent")
		}
		return "", nil
	}
	if !whisperToCallee {
		return "", apperr.New(apperr.Invalid, "a whisperer whispers to the agent: set whisperToCallee")
	}
	if cl.callee == nil {
		return "", apperr.New(apperr.Conflict, "the call has nobody to whisper to")
	}
	m := cl.memberOf(cl.callee.ConnID)
	if m == nil {
		return "", apperr.New(apperr.Conflict, "the call has nobody to whisper to")
	}
	return m.pid, nil
}

// join applies the contact center's "call.join".
func (cl *call) join(raw json.RawMessage) error {
	var j Joiner
	if err := json.Unmarshal(raw, &j); err != nil {
		return apperr.New(apperr.Invalid, "call.join is malformed: %v", err)
	}
	if j.ConnID == "" || j.AccountID == "" {
		return apperr.New(apperr.Invalid, "a joiner needs a connection and an account")
	}
	if j.Name == "" || utf8.RuneCountInString(j.Name) > maxMemberName {
		return apperr.New(apperr.Invalid, "a joiner needs a name of at most %d characters", maxMemberName)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended {
		return errNoRoom
	}
	if cl.state != callActive {
		return apperr.New(apperr.Conflict, "the call is not connected")
	}
	_, err := cl.admit(party{ConnID: j.ConnID, AccountID: j.AccountID, DeviceID: j.DeviceID}, "", j.Name, j.Role, j.WhisperToCallee, true)
	return err
}

// setRole applies the contact center's "call.role".
func (cl *call) setRole(raw json.RawMessage) error {
	var d roleChange
	if err := json.Unmarshal(raw, &d); err != nil {
		return apperr.New(apperr.Invalid, "call.role is malformed: %v", err)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	m := cl.memberOf(d.ConnID)
	if m == nil || !m.joiner {
		return apperr.New(apperr.NotFound, "that connection has not joined this call")
	}
	if m.callee(cl) {
		return apperr.New(apperr.Conflict, "the agent on the call keeps their role")
	}
	whisperTo, err := cl.whisperTarget(d.Role, d.WhisperToCallee)
	if err != nil {
		return err
	}
	if err := cl.room.SetRole(m.pid, d.Role, whisperTo); err != nil {
		return err
	}
	m.role, m.whisperToCallee = d.Role, d.WhisperToCallee
	return nil
}

// callee reports whether the member is the call's callee (mu held).
func (m *member) callee(cl *call) bool {
	return cl.callee != nil && cl.callee.ConnID == m.ConnID
}

// leaveByServer applies the contact center's "call.leave".
func (cl *call) leaveByServer(raw json.RawMessage) error {
	var d leaveRequest
	if err := json.Unmarshal(raw, &d); err != nil {
		return apperr.New(apperr.Invalid, "call.leave is malformed: %v", err)
	}
	cl.mu.Lock()
	m := cl.memberOf(d.ConnID)
	isCaller := m != nil && m.ConnID == cl.caller.ConnID
	cl.mu.Unlock()
	switch {
	case m == nil:
		return apperr.New(apperr.NotFound, "that connection is not in this call")
	case isCaller:
		return apperr.New(apperr.Invalid, "the caller cannot be taken out of their call")
	}
	cl.leave(m.party)
	return nil
}

// leave takes a member out of an answered call: a listener or whisperer
// just goes; a party goes while two others remain, and otherwise its
// leaving ends the call (as hanging up a 1:1 call does). In a call to a
// store the shopper's leaving always ends it. It reports whether the
// sender was in the call.
func (cl *call) leave(from party) bool {
	cl.mu.Lock()
	m := cl.memberOf(from.ConnID)
	if m == nil || cl.ended {
		cl.mu.Unlock()
		return false
	}
	shopperGoes := cl.queue != nil && from.ConnID == cl.shopperConn()
	if m.role == media.RoleParty && (cl.partiesBut(m.ConnID) < 2 || shopperGoes) {
		cl.mu.Unlock()
		cl.end(outcomeAnswered, "hung up")
		return true
	}
	cl.inRoom = slices.DeleteFunc(cl.inRoom, func(x *member) bool { return x == m })
	if m.ConnID == cl.caller.ConnID {
		cl.callerLeft = true
	}
	if m.callee(cl) {
		cl.promoteCallee()
	}
	cl.mu.Unlock()
	cl.room.Leave(m.pid)
	cl.memberLeft(m.party)
	cl.sendState(m.party, CallStateData{State: callEnded, Outcome: outcomeAnswered, Reason: new("you left the call")})
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.rewhisper()
	return true
}

// shopperConn is the connection of the shopper in a call to a store: the
// caller, or the callee when an agent called them back (mu held).
func (cl *call) shopperConn() string {
	if cl.queue != nil && cl.queue.callback {
		if cl.callee == nil {
			return ""
		}
		return cl.callee.ConnID
	}
	return cl.caller.ConnID
}

// promoteCallee makes the first party who joined after the callee the new
// callee, once the callee left (mu held): the agent a call was transferred
// to takes the first agent's place, in the record too.
func (cl *call) promoteCallee() {
	cl.callee = nil
	for _, m := range cl.inRoom {
		if m.role == media.RoleParty && m.ConnID != cl.caller.ConnID {
			p := m.party
			cl.callee, cl.calleeName = &p, m.name
			if p.AccountID != "" {
				id := p.AccountID
				cl.rec.CalleeAccountID = &id
				cl.c.db.Model(&CallRecord{}).Where("id = ?", cl.rec.ID).Update("callee_account_id", id)
			}
			return
		}
	}
}

// rewhisper points the whisperers who whisper to the callee at whoever is
// the callee now (mu held); with no callee they whisper to nobody.
func (cl *call) rewhisper() {
	for _, m := range cl.inRoom {
		if m.role != media.RoleWhisperer || !m.whisperToCallee {
			continue
		}
		to, err := cl.whisperTarget(m.role, true)
		if err != nil {
			// Nobody to whisper to: listen until told otherwise.
			cl.room.SetRole(m.pid, media.RoleListener, "")
			m.role = media.RoleListener
			continue
		}
		cl.room.SetRole(m.pid, media.RoleWhisperer, to)
	}
}

// sendEnded tells everyone still in the room that the call ended.
func (cl *call) sendEnded(members []*member, d CallStateData) {
	for _, m := range members {
		cl.sendState(m.party, d)
	}
}
