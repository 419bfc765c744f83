package appointments

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// HoursView is one range of working hours as the API shows and takes it.
type HoursView struct {
	AgentID string `json:"agentId"`
	Weekday int    `json:"weekday"` // 0 is Sunday
	Start   string `json:"start"`   // "09:00"
	End     string `json:"end"`     // "17:30"; "24:00" is midnight
}

// AgentView is one of the store's agents for the hours editor.
type AgentView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Schedule is a store's booking rules and its agents' working hours.
type Schedule struct {
	Settings Settings    `json:"settings"`
	Hours    []HoursView `json:"hours"`
	Agents   []AgentView `json:"agents"`
}

// maxRanges bounds the ranges one store may keep.
const maxRanges = 2000

// ScheduleOf returns the store's rules and working hours.
func (s *Service) ScheduleOf(ctx context.Context, storeID int64) (*Schedule, error) {
	st, loc, err := s.settings(ctx, storeID)
	if err != nil {
		return nil, err
	}
	var rows []hoursRow
	if err := s.db.WithContext(ctx).Where("store_id = ?", storeID).Order("agent_id, weekday, start_minute").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("working hours of store %d: %w", storeID, err)
	}
	out := &Schedule{Settings: Settings{TimeZone: loc.String(), SlotMinutes: st.SlotMinutes, LeadMinutes: st.LeadMinutes, HorizonDays: st.HorizonDays, NoShowMinutes: st.NoShowMinutes},
		Hours: make([]HoursView, len(rows)), Agents: []AgentView{}}
	for i, r := range rows {
		out.Hours[i] = HoursView{AgentID: r.AgentID, Weekday: r.Weekday, Start: FormatClock(r.StartMinute), End: FormatClock(r.EndMinute)}
	}
	ids, err := s.accounts.StaffOf(ctx, storeID, auth.RoleAgent, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	refs, err := s.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out.Agents = append(out.Agents, AgentView{ID: id, Name: refs[id].Name})
	}
	return out, nil
}

// SetSchedule replaces the store's rules and all its working hours in one
// transaction. Every range must name one of the store's staff, a weekday
// 0–6 and a start before its end; ranges of one agent on one day must not
// overlap; the rules must be in range (slot 1–240 minutes, lead 0–10080,
// horizon 1–60 days, no-show 1–240 minutes). The time zone is the
// store's, set in its settings: an empty one or the store's own is fine,
// any other is refused rather than silently ignored. Anything else is
// apperr.Invalid and changes nothing. Bookings already made stand.
func (s *Service) SetSchedule(ctx context.Context, storeID int64, sc Schedule) (*Schedule, error) {
	st := sc.Settings
	_, loc, err := s.settings(ctx, storeID)
	if err != nil {
		return nil, err
	}
	if st.TimeZone != "" && st.TimeZone != loc.String() {
		return nil, apperr.New(apperr.Invalid, "the time zone is the store's (%s): change it in the store's settings, then save the hours", loc)
	}
	switch {
	case st.SlotMinutes < 1 || st.SlotMinutes > 240:
		return nil, apperr.New(apperr.Invalid, "slot length must be 1 to 240 minutes")
	case st.LeadMinutes < 0 || st.LeadMinutes > 10080:
		return nil, apperr.New(apperr.Invalid, "lead time must be 0 to 10080 minutes (a week)")
	case st.HorizonDays < 1 || st.HorizonDays > 60:
		return nil, apperr.New(apperr.Invalid, "bookings may open 1 to 60 days ahead")
	case st.NoShowMinutes < 1 || st.NoShowMinutes > 240:
		return nil, apperr.New(apperr.Invalid, "no-show time must be 1 to 240 minutes")
	case len(sc.Hours) > maxRanges:
		return nil, apperr.New(apperr.Invalid, "at most %d ranges of working hours", maxRanges)
	}
	staff, err := s.accounts.StaffOf(ctx, storeID, auth.RoleAgent, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	rows := make([]hoursRow, 0, len(sc.Hours))
	for i, h := range sc.Hours {
		if !slices.Contains(staff, h.AgentID) {
			return nil, apperr.New(apperr.Invalid, "hours %d: %q is not one of your store's agents", i+1, h.AgentID)
		}
		if h.Weekday < 0 || h.Weekday > 6 {
			return nil, apperr.New(apperr.Invalid, "hours %d: weekday must be 0 (Sunday) to 6 (Saturday)", i+1)
		}
		start, err := ParseClock(h.Start)
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "hours %d: %s", i+1, apperr.Message(err))
		}
		end, err := ParseClock(h.End)
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "hours %d: %s", i+1, apperr.Message(err))
		}
		if start >= end || start >= 24*60 {
			return nil, apperr.New(apperr.Invalid, "hours %d: %s must begin before it ends (%s)", i+1, time.Weekday(h.Weekday), h.End)
		}
		for _, r := range rows {
			if r.AgentID == h.AgentID && r.Weekday == h.Weekday && r.StartMinute < end && start < r.EndMinute {
				return nil, apperr.New(apperr.Invalid, "hours %d: overlaps another range of the same agent on %s", i+1, time.Weekday(h.Weekday))
			}
		}
		rows = append(rows, hoursRow{StoreID: storeID, AgentID: h.AgentID, Weekday: h.Weekday, StartMinute: start, EndMinute: end})
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := settingsRow{StoreID: storeID, SlotMinutes: st.SlotMinutes, LeadMinutes: st.LeadMinutes, HorizonDays: st.HorizonDays, NoShowMinutes: st.NoShowMinutes, UpdatedAt: s.now()}
		if err := tx.Where("store_id = ?", storeID).Delete(&settingsRow{}).Error; err != nil {
			return fmt.Errorf("replace settings: %w", err)
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store settings: %w", err)
		}
		if err := tx.Where("store_id = ?", storeID).Delete(&hoursRow{}).Error; err != nil {
			return fmt.Errorf("replace hours: %w", err)
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return fmt.Errorf("store hours: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ScheduleOf(ctx, storeID)
}

// DeskAppointment is an appointment as the store's desk lists it.
type DeskAppointment struct {
	ID          string    `json:"id"`
	AgentID     string    `json:"agentId"`
	AgentName   string    `json:"agentName"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	ProductSKU  string    `json:"productSku,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Status      string    `json:"status"`
	CancelledBy string    `json:"cancelledBy,omitempty"`
	// Due is true from the join window's opening to the slot's end while
	// the booking stands: the shopper may call any moment.
	Due bool `json:"due"`
}

// StoreAppointments lists the store's appointments ending after since,
// earliest first, at most 200.
func (s *Service) StoreAppointments(ctx context.Context, storeID int64, since time.Time) ([]DeskAppointment, error) {
	var rows []Appointment
	if err := s.db.WithContext(ctx).Where("store_id = ? AND ends_at > ?", storeID, since.UTC()).Order("starts_at, id").Limit(200).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("appointments of store %d: %w", storeID, err)
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.AgentID)
	}
	refs, err := s.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]DeskAppointment, len(rows))
	for i, r := range rows {
		out[i] = DeskAppointment{ID: r.ID, AgentID: r.AgentID, AgentName: refs[r.AgentID].Name, Name: r.Name, Email: r.Email, ProductSKU: r.ProductSKU,
			Start: r.StartsAt, End: r.EndsAt, Status: r.Status, CancelledBy: r.CancelledBy,
			Due: r.Live() && !now.Before(r.StartsAt.Add(-s.cfg.JoinEarly)) && now.Before(r.EndsAt)}
	}
	return out, nil
}
