package appointments

import (
	"context"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// BookedCall is what the store's queue learns of a shopper's booked call:
// which appointment it is (the queue lets one call per appointment to the
// front of the line), the agent it was booked with, the name the shopper
// booked under and when the booked slot starts.
type BookedCall struct {
	AppointmentID string
	AgentID       string
	Name          string
	StartsAt      time.Time
}

// BookedCall says which appointment the shopper holding token booked, and
// with which agent, so the store's queue can ring that agent first
// (agentdesk.Bookings). It answers only for an appointment of storeID that
// the shopper has joined or may join now: from JoinEarly before its start
// to the end of its slot, neither cancelled nor a no-show. Anything else —
// a malformed or unknown token, another store's appointment, one
// cancelled, missed, over or not yet due — is apperr.NotFound or
// apperr.Conflict; the queue then routes the call like any other. It reads
// only, so asking twice is harmless: the queue itself sees to it that a
// token buys the front of the line once.
func (s *Service) BookedCall(ctx context.Context, storeID int64, token string) (BookedCall, error) {
	a, err := s.ByToken(ctx, token)
	if err != nil {
		return BookedCall{}, err
	}
	if a.StoreID != storeID {
		// The same answer as an unknown token: a token says nothing about
		// the stores it does not belong to.
		return BookedCall{}, apperr.New(apperr.NotFound, "no appointment at this link")
	}
	now := s.now()
	if !a.Live() || now.Before(a.StartsAt.Add(-s.cfg.JoinEarly)) || !now.Before(a.EndsAt) {
		return BookedCall{}, apperr.New(apperr.Conflict, "this appointment cannot be joined now (it is %s)", statusWords(a, now))
	}
	return BookedCall{AppointmentID: a.ID, AgentID: a.AgentID, Name: a.Name, StartsAt: a.StartsAt}, nil
}
