package appointments

import (
	"context"
	"fmt"
	"time"

	"github.com/livemall/livemall/backend/mail"
)

// Swept counts what one sweep did.
type Swept struct {
	Reminded int
	NoShows  int
}

// Sweep sends the reminders that are due and marks the no-shows. Every
// node may sweep at once: each reminder is claimed with one guarded
// update (reminder_claimed_at from NULL), so only the node whose update
// took the row sends it; a send that fails gives the claim back for the
// next sweep. A booking nobody joined by its store's no-show minutes
// after the start becomes a no-show, which frees nothing else: the agent
// was never held out of routing for it.
func (s *Service) Sweep(ctx context.Context) (Swept, error) {
	var out Swept
	now := s.now()
	var due []Appointment
	if err := s.db.WithContext(ctx).Where("status = ? AND reminder_claimed_at IS NULL AND starts_at > ? AND starts_at <= ?", StatusBooked, now, now.Add(s.cfg.RemindBefore)).
		Order("starts_at").Limit(200).Find(&due).Error; err != nil {
		return out, fmt.Errorf("due reminders: %w", err)
	}
	for i := range due {
		a := &due[i]
		res := s.db.WithContext(ctx).Model(&Appointment{}).Where("id = ? AND status = ? AND reminder_claimed_at IS NULL", a.ID, StatusBooked).
			Update("reminder_claimed_at", now)
		if res.Error != nil {
			return out, fmt.Errorf("claim reminder of %s: %w", a.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			continue // another node claimed it, or it was cancelled meanwhile
		}
		if err := s.sendReminder(ctx, a); err != nil {
			s.log.Warn("reminder not sent; the next sweep tries again", "appointment", a.ID, "err", err)
			s.db.WithContext(ctx).Model(&Appointment{}).Where("id = ? AND reminder_claimed_at = ?", a.ID, now).Update("reminder_claimed_at", nil)
			continue
		}
		out.Reminded++
	}
	// No-shows: the store's own minutes after the start.
	var late []Appointment
	if err := s.db.WithContext(ctx).Where("status = ? AND starts_at < ?", StatusBooked, now).Order("starts_at").Limit(500).Find(&late).Error; err != nil {
		return out, fmt.Errorf("late appointments: %w", err)
	}
	for i := range late {
		a := &late[i]
		st, _, err := s.settings(ctx, a.StoreID)
		if err != nil {
			return out, err
		}
		if now.Before(a.StartsAt.Add(time.Duration(st.NoShowMinutes)*time.Minute)) && now.Before(a.EndsAt) {
			continue
		}
		res := s.db.WithContext(ctx).Model(&Appointment{}).Where("id = ? AND status = ?", a.ID, StatusBooked).
			Updates(map[string]any{"status": StatusNoShow, "updated_at": now})
		if res.Error != nil {
			return out, fmt.Errorf("mark no-show %s: %w", a.ID, res.Error)
		}
		out.NoShows += int(res.RowsAffected)
	}
	return out, nil
}

// Run sweeps every Tick until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("appointment sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Link is the appointment's capability link: view, cancel, join.
func (s *Service) Link(token string) string { return s.cfg.PublicURL + "/appointments/" + token }

// ICSLink is where the appointment's .ics file downloads.
func (s *Service) ICSLink(token string) string {
	return s.cfg.PublicURL + "/api/v1/appointments/" + token + "/calendar.ics"
}

// when says the appointment's time in the store's zone.
func (s *Service) when(ctx context.Context, a *Appointment) string {
	_, loc, err := s.settings(ctx, a.StoreID)
	if err != nil {
		loc = time.UTC
	}
	st := a.StartsAt.In(loc)
	return fmt.Sprintf("%s, %s–%s (%s)", st.Format("Monday 2 January 2006"), st.Format("15:04"), a.EndsAt.In(loc).Format("15:04"), loc.String())
}

func (s *Service) storeName(ctx context.Context, a *Appointment) string {
	ref, err := s.stores.StoreRef(ctx, a.StoreID)
	if err != nil {
		return "the store"
	}
	return ref.Name
}

// sendConfirmation emails the booking with its link; a failure is logged.
func (s *Service) sendConfirmation(ctx context.Context, a *Appointment, token string) {
	store := s.storeName(ctx, a)
	text := fmt.Sprintf("Hello %s,\n\nyour video call with %s is booked for %s.\n\n"+
		"Join, view or cancel it here:\n%s\n\nAdd it to your calendar:\n%s\n\n"+
		"We will remind you an hour before. At the time, open the link: the store's agent will be with you.\n",
		a.Name, store, s.when(ctx, a), s.Link(token), s.ICSLink(token))
	if err := s.mail.Send(ctx, mail.Message{To: a.Email, Subject: "Your video call with " + store, Text: text}); err != nil {
		s.log.Warn("confirmation not sent", "appointment", a.ID, "err", err)
	}
}

// sendReminder emails the reminder, with the booking's link when links
// are derived (LinkKey); else it points to the confirmation's link.
func (s *Service) sendReminder(ctx context.Context, a *Appointment) error {
	store := s.storeName(ctx, a)
	join := "Open the link in your booking confirmation at the time to join; the store's agent will ring you there.\n"
	if len(s.cfg.LinkKey) > 0 {
		token, _ := s.tokenFor(a.ID)
		join = fmt.Sprintf("At the time, open this link to join; the store's agent will ring you there:\n%s\n\nCan't make it? Cancel on the same page.\n", s.Link(token))
	}
	text := fmt.Sprintf("Hello %s,\n\nyour video call with %s starts soon: %s.\n\n%s", a.Name, store, s.when(ctx, a), join)
	return s.mail.Send(ctx, mail.Message{To: a.Email, Subject: "Reminder: your video call with " + store, Text: text})
}

// sendCancellation tells the shopper the store cancelled; a failure is logged.
func (s *Service) sendCancellation(ctx context.Context, a *Appointment) {
	store := s.storeName(ctx, a)
	text := fmt.Sprintf("Hello %s,\n\n%s had to cancel your video call of %s. We are sorry.\n\n"+
		"You can book another time on the store's page:\n%s/store/%s\n", a.Name, store, s.when(ctx, a), s.cfg.PublicURL, s.storeSlug(ctx, a))
	if err := s.mail.Send(ctx, mail.Message{To: a.Email, Subject: "Cancelled: your video call with " + store, Text: text}); err != nil {
		s.log.Warn("cancellation not sent", "appointment", a.ID, "err", err)
	}
}

func (s *Service) storeSlug(ctx context.Context, a *Appointment) string {
	ref, err := s.stores.StoreRef(ctx, a.StoreID)
	if err != nil {
		return ""
	}
	return ref.Slug
}
