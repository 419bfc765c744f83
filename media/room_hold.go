package media

import "github.com/livemall/livemall/backend/apperr"

// Hold puts a participant of the room on hold (held true) or takes it off
// (false): on hold it receives nobody and nobody receives it, while its
// connection and role stay as they were, so taking it off hold needs no
// new connection. A call that is transferred holds the shopper while the
// next agent's desk rings and the agents talk. The receivers' slots follow
// as for any change of roles (a sender who goes leaves its slot, the main
// slot takes the next sender), so a participant who hears one sender at a
// time never renegotiates. An unknown participant is NotFound.
func (r *Room) Hold(id string, held bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return apperr.New(apperr.Conflict, "the call has ended")
	}
	p := r.parts[id]
	if p == nil {
		return apperr.New(apperr.NotFound, "%s is not in this call", id)
	}
	if p.held == held {
		return nil
	}
	p.held = held
	r.rewire(nil)
	return nil
}

// Held reports whether the participant is on hold.
func (r *Room) Held(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.parts[id]
	return p != nil && p.held
}
