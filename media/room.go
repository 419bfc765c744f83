package media

import (
	"encoding/json"
	"log/slog"
	"slices"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/apperr"
)

// Multi-party rooms: every participant with a role receives the media of
// every other it may hear, each sender on a slot of its own (main first,
// then extra slots added by renegotiation); the roles decide who may hear
// whom, and can change in place.

// MaxParticipants is how many participants one room holds at most.
const MaxParticipants = 8

// Role is what a participant of a room does with its media. Every role
// receives every party; they differ in who receives them.
type Role string

// The roles of a room's participants.
const (
	// RoleParty sends to everyone and receives everyone: a person in the
	// call.
	RoleParty Role = "party"
	// RoleListener receives everyone and sends nothing anyone gets; the
	// parties do not learn of it (a supervisor monitoring).
	RoleListener Role = "listener"
	// RoleWhisperer is a listener whose audio reaches one named
	// participant only (a supervisor coaching the agent).
	RoleWhisperer Role = "whisperer"
)

// ParseRole reads a role from outside input: one of party, listener and
// whisperer, exactly; anything else is an Invalid error.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleParty, RoleListener, RoleWhisperer:
		return r, nil
	}
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return "", apperr.New(apperr.Invalid, "%q is not a role in a call: use party, listener or whisperer", s)
}

// RoomRosterData is the data of "call.roster", sent to each participant
// with a role whenever what it may know of the room changes: its own role
// and the others it may know of. A party knows the other parties and a
// whisperer whispering to it, never a listener; a listener or whisperer
// knows everyone. The call fills CallID.
type RoomRosterData struct {
	CallID string `json:"callId"`
	// Role is the receiving device's own role.
	Role    Role           `json:"role" ts:"'party' | 'listener' | 'whisperer'"`
	Members []RosterMember `json:"members"`
}

// RosterMember is one participant in a "call.roster".
type RosterMember struct {
	// ID is the member's participant id in the room, opaque ("caller",
	// "callee", "p3", …): never a connection or account id.
	ID   string `json:"id"`
	Role Role   `json:"role" ts:"'party' | 'listener' | 'whisperer'"`
	// Name is how the member is shown ("Sam Lee", "Noor, supervisor");
	// the call that owns the room fills it in ("" until it does).
	Name string `json:"name,omitempty"`
	// Stream is the id of the MediaStream the device receives this
	// member's media on ("" when it receives none from them); the first
	// stream of the connection may carry a different member after the
	// one it carried leaves.
	Stream string `json:"stream,omitempty"`
	// WhisperTo names whom a whisperer whispers to.
	WhisperTo string `json:"whisperTo,omitempty"`
}

// routeKey names a forwarding from one participant to another.
type routeKey struct{ from, to string }

// route is one forwarding: the tracks of the receiver that the sender's
// audio and video go to (nil: that kind is not forwarded).
type route struct {
	audio, video *outTrack
	stop         func()
}

// admits checks that a participant with the id may join (lock held).
func (r *Room) admits(id string) error {
	if _, ok := r.parts[id]; ok {
		return apperr.New(apperr.Conflict, "participant %s is in the room already", id)
	}
	if len(r.parts) >= MaxParticipants {
		return apperr.New(apperr.Conflict, "the call is full: at most %d people can be in one call", MaxParticipants)
	}
	return nil
}

// checkRole validates a role and its whisper target for participant id
// (lock held).
func (r *Room) checkRole(id string, role Role, whisperTo string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if role != RoleWhisperer {
		if whisperTo != "" {
			return apperr.New(apperr.Invalid, "only a whisperer whispers to someone")
		}
		return nil
	}
	if whisperTo == "" {
		return apperr.New(apperr.Invalid, "a whisperer must name whom it whispers to")
	}
	if whisperTo == id {
		return apperr.New(apperr.Invalid, "nobody can whisper to themselves")
	}
	if _, ok := r.parts[whisperTo]; !ok {
		return apperr.New(apperr.Invalid, "cannot whisper to %s: they are not in this call", whisperTo)
	}
	return nil
}

// JoinAs adds a participant with a role to the room's forwarding: it will
// receive every party (and a whisperer whispering to it), each sender on
// its own stream, and what it sends goes where its role says. The first
// offer already holds a stream for every sender in the room; the others
// get a new offer with a stream for it (when the role sends). whisperTo
// names the whisperer's listener and must be "" for other roles. A room
// holds at most MaxParticipants; refusals are apperr errors.
func (r *Room) JoinAs(id string, role Role, whisperTo string, signal func(typ string, data any)) (*Participant, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, apperr.New(apperr.Conflict, "the call has ended")
	}
	if err := r.admits(id); err != nil {
		return nil, err
	}
	if err := r.checkRole(id, role, whisperTo); err != nil {
		return nil, err
	}
	p, err := buildParticipant(r.sfu.peers, id, signal)
	if err != nil {
		return nil, err
	}
	p.role, p.whisperTo = role, whisperTo
	r.parts[id] = p
	r.order = append(r.order, id)
	// The newcomer's tracks are all in place before its first offer.
	r.rewire(p)
	if err := p.sendOffer(); err != nil {
		delete(r.parts, id)
		r.order = slices.DeleteFunc(r.order, func(x string) bool { return x == id })
		r.rewire(nil)
		p.Close()
		return nil, err
	}
	r.sendRosters()
	return p, nil
}

// SetRole changes the role of a participant in place, without a new
// connection: monitor → whisper → barge is listener → whisperer → party.
// A participant joined with Join enters the room's forwarding (it must not
// also be wired with ForwardTo). Refusals are apperr errors.
func (r *Room) SetRole(id string, role Role, whisperTo string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return apperr.New(apperr.Conflict, "the call has ended")
	}
	p := r.parts[id]
	if p == nil {
		return apperr.New(apperr.NotFound, "%s is not in this call", id)
	}
	if err := r.checkRole(id, role, whisperTo); err != nil {
		return err
	}
	if p.role == "" {
		r.order = append(r.order, id)
	}
	p.role, p.whisperTo = role, whisperTo
	r.rewire(nil)
	r.sendRosters()
	return nil
}

// Leave takes a participant out of the room and closes its connection;
// the others lose its streams (renegotiated), and a receiver whose first
// stream it was gets the next sender there. The room stays open whatever
// is left: the call that owns it decides when it ends (a 1:1 call ends
// when either side hangs up; a call of several goes on while two parties
// remain). It reports how many parties remain.
func (r *Room) Leave(id string) (parties int, err error) {
	r.mu.Lock()
	p := r.parts[id]
	if p == nil {
		r.mu.Unlock()
		return 0, apperr.New(apperr.NotFound, "%s is not in this call", id)
	}
	delete(r.parts, id)
	r.order = slices.DeleteFunc(r.order, func(x string) bool { return x == id })
	r.rewire(nil)
	r.sendRosters()
	for _, q := range r.parts {
		if q.role == RoleParty {
			parties++
		}
	}
	r.mu.Unlock()
	p.Close()
	return parties, nil
}

// Roster is what participant viewer may know of the room (see
// RoomRosterData); nil when viewer has no role.
func (r *Room) Roster(viewer string) []RosterMember {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.parts[viewer]; p != nil && p.role != "" {
		return r.rosterOf(p)
	}
	return nil
}

// hears reports which of sender s's kinds receiver t gets.
func hears(s, t *Participant) (audio, video bool) {
	if s.held || t.held {
		return false, false // on hold (room_hold.go)
	}
	switch s.role {
	case RoleParty:
		return true, true
	case RoleWhisperer:
		return s.whisperTo == t.ID, false
	}
	return false, false
}

// members are the participants with a role, in order (lock held).
func (r *Room) members() []*Participant {
	out := make([]*Participant, 0, len(r.order))
	for _, id := range r.order {
		if p := r.parts[id]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// rewire brings every receiver's slots and the routes in line with the
// roles (lock held), and renegotiates receivers whose tracks changed, but
// not fresh, which has not made its first offer yet.
func (r *Room) rewire(fresh *Participant) {
	ms := r.members()
	want := map[routeKey]*route{}
	for _, t := range ms {
		if r.placeSenders(t, ms, want) && t != fresh {
			t.negotiate()
		}
	}
	if r.routes == nil {
		r.routes = map[routeKey]*route{}
	}
	for k, rt := range r.routes {
		if w, ok := want[k]; !ok || w.audio != rt.audio || w.video != rt.video {
			rt.stop()
			delete(r.routes, k)
		}
	}
	for k, w := range want {
		if _, ok := r.routes[k]; ok {
			continue
		}
		s := r.parts[k.from]
		w.stop = s.AddSink(w.sink(s))
		r.routes[k] = w
		if w.video != nil {
			// The new receiver's picture starts at the next keyframe.
			s.RequestKeyframe()
		}
	}
}

// sink forwards the sender's packets into the route's tracks.
func (w *route) sink(s *Participant) MediaSink {
	audio, video := w.audio, w.video
	return func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		o := audio
		if kind == webrtc.RTPCodecTypeVideo {
			o = video
		}
		if o != nil {
			o.forward(s, pkt)
		}
	}
}

// placeSenders gives each sender receiver t hears a slot (main first),
// drops the slots of senders it no longer hears, and adds the wanted
// routes to want. It reports whether t's tracks changed (lock held).
func (r *Room) placeSenders(t *Participant, ms []*Participant, want map[routeKey]*route) (changed bool) {
	type kinds struct{ audio, video bool }
	hearing := map[string]kinds{}
	var senders []string
	for _, s := range ms {
		if s == t {
			continue
		}
		if a, v := hears(s, t); a || v {
			hearing[s.ID] = kinds{a, v}
			senders = append(senders, s.ID)
		}
	}
	// Senders no longer heard lose their slots.
	if _, ok := hearing[t.main.from]; !ok && t.main.from != "" {
		t.main.from = ""
	}
	var keep []*slot
	for _, x := range t.extra {
		k, ok := hearing[x.from]
		if !ok {
			t.dropTrack(x, webrtc.RTPCodecTypeAudio)
			t.dropTrack(x, webrtc.RTPCodecTypeVideo)
			changed = true
			continue
		}
		if !k.video && x.video != nil {
			t.dropTrack(x, webrtc.RTPCodecTypeVideo)
			changed = true
		}
		if !k.audio && x.audio != nil {
			t.dropTrack(x, webrtc.RTPCodecTypeAudio)
			changed = true
		}
		keep = append(keep, x)
	}
	// An empty main slot takes the longest-placed extra sender (whose
	// extra slot goes), or else the first sender not placed yet.
	if t.main.from == "" && len(senders) > 0 {
		if len(keep) > 0 {
			t.main.from = keep[0].from
			t.dropTrack(keep[0], webrtc.RTPCodecTypeAudio)
			t.dropTrack(keep[0], webrtc.RTPCodecTypeVideo)
			keep = keep[1:]
			changed = true
		} else {
			t.main.from = senders[0]
		}
	}
	placed := map[string]*slot{t.main.from: t.main}
	for _, x := range keep {
		placed[x.from] = x
	}
	for _, id := range senders {
		if placed[id] != nil {
			continue
		}
		x := &slot{from: id, stream: "livemall-from-" + id}
		keep = append(keep, x)
		placed[id] = x
	}
	for _, x := range keep {
		k := hearing[x.from]
		if k.audio && x.audio == nil {
			if err := t.addTrack(x, webrtc.RTPCodecTypeAudio); err != nil {
				slog.Warn("room: add track", "room", r.ID, "err", err)
			}
			changed = true
		}
		if k.video && x.video == nil {
			if err := t.addTrack(x, webrtc.RTPCodecTypeVideo); err != nil {
				slog.Warn("room: add track", "room", r.ID, "err", err)
			}
			changed = true
		}
	}
	t.mu.Lock()
	t.extra = keep
	t.mu.Unlock()
	// Each slot takes packets from its sender only, of the kinds heard.
	for id, x := range placed {
		if id == "" {
			continue
		}
		k := hearing[id]
		rt := &route{}
		if k.audio && x.audio != nil {
			rt.audio = x.audio
		}
		if k.video && x.video != nil {
			rt.video = x.video
		}
		want[routeKey{id, t.ID}] = rt
	}
	setSrc := func(o *outTrack, on bool, s *Participant) {
		if o == nil {
			return
		}
		if on {
			o.setSource(s)
		} else {
			o.setSource(nil)
		}
	}
	for id, x := range placed {
		var s *Participant
		k := kinds{}
		if id != "" {
			s, k = r.parts[id], hearing[id]
		}
		setSrc(x.audio, k.audio, s)
		setSrc(x.video, k.video, s)
	}
	return changed
}

// rosterOf is what participant p may know of the room (lock held).
func (r *Room) rosterOf(p *Participant) []RosterMember {
	streams := map[string]string{}
	if p.main.from != "" {
		streams[p.main.from] = p.main.stream
	}
	for _, x := range p.extra {
		streams[x.from] = x.stream
	}
	out := []RosterMember{}
	for _, m := range r.members() {
		if m == p {
			continue
		}
		visible := p.role != RoleParty || m.role == RoleParty || (m.role == RoleWhisperer && m.whisperTo == p.ID)
		if !visible {
			continue
		}
		rm := RosterMember{ID: m.ID, Role: m.role, Stream: streams[m.ID]}
		if m.role == RoleWhisperer {
			rm.WhisperTo = m.whisperTo
		}
		out = append(out, rm)
	}
	return out
}

// sendRosters sends "call.roster" to each participant with a role whose
// view of the room changed (lock held).
func (r *Room) sendRosters() {
	for _, p := range r.members() {
		d := &RoomRosterData{Role: p.role, Members: r.rosterOf(p)}
		raw, _ := json.Marshal(d)
		if string(raw) == p.roster {
			continue
		}
		p.roster = string(raw)
		p.signal("call.roster", d)
	}
}
