package appointments

import (
	"context"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// BookedAgent says which agent the shopper holding token booked a call
// with, the name they booked under, and when the booked slot starts, so the store's queue can ring
// that agent first (agentdesk.Bookings). It answers only for an
// appointment of storeID that the shopper has joined or may join now:
// from JoinEarly before its start to the end of its slot, neither
// cancelled nor a no-show. Anything else — a malformed or unknown token,
// another store's appointment, one cancelled, missed, over or not yet due
// — is apperr.NotFound or apperr.Conflict; the queue then routes the call
// like any other. It reads only, so asking twice is harmless.
func (s *Service) BookedAgent(ctx context.Context, storeID int64, token string) (agentID, name string, startsAt time.Time, err error) {
	a, err := s.ByToken(ctx, token)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if a.StoreID != storeID {
		// The same answer as an unknown token: a token says nothing about
		// the stores it does not belong to.
		return "", "", time.Time{}, apperr.New(apperr.NotFound, "no appointment at this link")
	}
	now := s.now()
	if !a.Live() || now.Before(a.StartsAt.Add(-s.cfg.JoinEarly)) || !now.Before(a.EndsAt) {
		return "", "", time.Time{}, apperr.New(apperr.Conflict, "this appointment cannot be joined now (it is %s)", statusWords(a, now))
	}
	return a.AgentID, a.Name, a.StartsAt, nil
}
