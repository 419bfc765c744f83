// Package appointments books video calls with a store at a set time (M18):
// the store's free slots come from its agents' working hours minus what is
// booked; a booking gets a capability link (view, cancel, join, .ics) and
// a reminder email an hour before; at the time the shopper joins through
// the store's sales line, so the booked call rings on the desk like any
// other; bookings nobody joined become no-shows.
package appointments

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // store time zones must load on hosts without a zone database
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/mail"
	"github.com/livemall/livemall/mall"
)

// Stores is what booking needs from the catalog (*mall.Catalog). A
// store's time zone is the store's (mall.Store.TimeZone).
type Stores interface {
	StoreBySlug(ctx context.Context, slug string) (*mall.Store, error)
	StoreByID(ctx context.Context, storeID int64) (*mall.Store, error)
	StoreRef(ctx context.Context, storeID int64) (mall.StoreRef, error)
	ProductBySKU(ctx context.Context, store *mall.Store, sku string) (*mall.Product, error)
}

// Accounts is what booking needs from auth (*auth.Accounts): the store's
// agents, their names, and a lock on an agent's row while booking them.
type Accounts interface {
	Refs(ctx context.Context, ids []string) (map[string]auth.AccountRef, error)
	StaffOf(ctx context.Context, storeID int64, roles ...auth.Role) ([]string, error)
	Lock(tx *gorm.DB, id string) error
}

// Config tunes the service. Zero values take the defaults.
type Config struct {
	// PublicURL is the base of the links in emails and confirmations.
	PublicURL string
	// Now is the clock the service reads; time.Now by default. Tests move it.
	Now func() time.Time
	// Limits counts bookings per client address, email and account; nil
	// counts nothing.
	Limits *limits.Counter
	// BookingLimit is the rate of bookings one key may make; default 6 an hour.
	BookingLimit limits.Rule
	// RemindBefore is how long before the start the reminder goes; default 1 h.
	RemindBefore time.Duration
	// JoinEarly is how long before the start the shopper may join; default 5 min.
	JoinEarly time.Duration
	// Tick is how often Run sweeps reminders and no-shows; default 15 s.
	Tick time.Duration
	// LinkKey, the same on every node, derives each booking's token from
	// its id (HMAC-SHA256), so a reminder can carry the link though only
	// the token's hash is stored. Without it tokens are random and the
	// reminder points to the confirmation's link.
	LinkKey []byte
}

// Service books, cancels and joins appointments and keeps the working
// hours. Every node runs one over the shared database; its sweep claims
// each reminder with one guarded update, so a reminder goes out once.
type Service struct {
	db       *gorm.DB
	stores   Stores
	accounts Accounts
	mail     mail.Sender
	cfg      Config
	log      *slog.Logger
}

// New returns the service; sender delivers the confirmation, reminder and
// cancellation emails.
func New(db *gorm.DB, stores Stores, accounts Accounts, sender mail.Sender, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BookingLimit.Name == "" {
		cfg.BookingLimit = limits.Rule{Name: "appointment-bookings", Max: 6, Per: time.Hour, Message: "too many bookings: wait %d s"}
	}
	if cfg.RemindBefore <= 0 {
		cfg.RemindBefore = time.Hour
	}
	if cfg.JoinEarly <= 0 {
		cfg.JoinEarly = 5 * time.Minute
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 15 * time.Second
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{db: db, stores: stores, accounts: accounts, mail: sender, cfg: cfg, log: slog.With("part", "appointments")}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Settings are a store's booking rules as the API shows and takes them.
// TimeZone is shown, not taken: it is the store's one zone, which its
// supervisor sets in the store's settings (mall.Settings); a save ignores it.
type Settings struct {
	TimeZone      string `json:"timeZone"`
	SlotMinutes   int    `json:"slotMinutes"`
	LeadMinutes   int    `json:"leadMinutes"`
	HorizonDays   int    `json:"horizonDays"`
	NoShowMinutes int    `json:"noShowMinutes"`
}

// settings reads the store's rules, the defaults when it set none, and
// the store's time zone.
func (s *Service) settings(ctx context.Context, storeID int64) (settingsRow, *time.Location, error) {
	store, err := s.stores.StoreByID(ctx, storeID)
	if err != nil {
		return settingsRow{}, nil, err
	}
	var rows []settingsRow
	if err := s.db.WithContext(ctx).Where("store_id = ?", storeID).Limit(1).Find(&rows).Error; err != nil {
		return settingsRow{}, nil, fmt.Errorf("appointment settings of store %d: %w", storeID, err)
	}
	st := defaultSettings(storeID)
	if len(rows) == 1 {
		st = rows[0]
	}
	loc, err := time.LoadLocation(store.TimeZone)
	if err != nil || store.TimeZone == "" {
		loc = time.UTC // a zone the database once knew; slots stay usable
	}
	return st, loc, nil
}

// freeSlots computes the store's free slots from now on under its rules;
// from, when later than the earliest bookable time, narrows the window's
// start, and to (when not zero) its end.
func (s *Service) freeSlots(ctx context.Context, tx *gorm.DB, storeID int64, st settingsRow, loc *time.Location, from, to time.Time) ([]Slot, error) {
	now := s.now()
	earliest := now.Add(time.Duration(st.LeadMinutes) * time.Minute)
	latest := now.AddDate(0, 0, st.HorizonDays)
	if from.Before(earliest) {
		from = earliest
	}
	if to.IsZero() || to.After(latest) {
		to = latest
	}
	if !from.Before(to) {
		return nil, nil
	}
	agents, err := s.accounts.StaffOf(ctx, storeID, auth.RoleAgent, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	var rows []hoursRow
	if err := tx.WithContext(ctx).Where("store_id = ? AND agent_id IN ?", storeID, append(agents, "")).Order("agent_id, weekday, start_minute").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("working hours of store %d: %w", storeID, err)
	}
	hours := make([]Hours, len(rows))
	for i, r := range rows {
		hours[i] = Hours{AgentID: r.AgentID, Weekday: time.Weekday(r.Weekday), Start: r.StartMinute, End: r.EndMinute}
	}
	var taken []Appointment
	if err := tx.WithContext(ctx).Where("store_id = ? AND status IN ? AND ends_at > ? AND starts_at < ?", storeID, []string{StatusBooked, StatusJoined}, from.Add(-24*time.Hour), to.Add(24*time.Hour)).
		Find(&taken).Error; err != nil {
		return nil, fmt.Errorf("bookings of store %d: %w", storeID, err)
	}
	booked := make([]Booked, len(taken))
	for i, a := range taken {
		booked[i] = Booked{AgentID: a.AgentID, Start: a.StartsAt, End: a.EndsAt}
	}
	return FreeSlots(SlotRules{Location: loc, Length: time.Duration(st.SlotMinutes) * time.Minute, From: from, To: to}, hours, booked), nil
}

// SlotView is a free slot as the shopper sees it.
type SlotView struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// SlotsView is a store's free slots with the zone they are laid out in.
type SlotsView struct {
	Store       mall.StoreRef `json:"store"`
	TimeZone    string        `json:"timeZone"`
	SlotMinutes int           `json:"slotMinutes"`
	Slots       []SlotView    `json:"slots"`
}

// Slots lists the store's free slots, earliest first. An unknown store is
// apperr.NotFound.
func (s *Service) Slots(ctx context.Context, slug string) (*SlotsView, error) {
	store, err := s.stores.StoreBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	st, loc, err := s.settings(ctx, store.ID)
	if err != nil {
		return nil, err
	}
	slots, err := s.freeSlots(ctx, s.db, store.ID, st, loc, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	out := &SlotsView{Store: mall.StoreRef{ID: store.ID, Slug: store.Slug, Name: store.Name}, TimeZone: loc.String(), SlotMinutes: st.SlotMinutes, Slots: make([]SlotView, len(slots))}
	for i, sl := range slots {
		out.Slots[i] = SlotView{Start: sl.Start, End: sl.End}
	}
	return out, nil
}

// BookRequest is what a shopper books: a slot's start at a store, their
// name and email, optionally the product they want to talk about.
// ShopperID is the signed-in account, if any; ClientIP keys the rate limit.
type BookRequest struct {
	StoreSlug  string
	Start      time.Time
	Name       string
	Email      string
	ProductSKU string
	ShopperID  string
	ClientIP   string
}

// Booking is a new appointment with its token: the capability that views,
// cancels and joins it, shown once (only its hash is kept).
type Booking struct {
	Appointment *Appointment
	Token       string
}

// Book books the slot starting at req.Start with one of the agents free
// then. The slot must be one Slots lists (in the future, past the store's
// lead time, inside its horizon, on a working-hours boundary): otherwise
// apperr.Invalid; a slot taken meanwhile is apperr.Conflict. Booking too
// often is apperr.RateLimited. The confirmation email goes out after the
// booking is stored; its failure is logged, the booking stands.
func (s *Service) Book(ctx context.Context, req BookRequest) (*Booking, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return nil, apperr.New(apperr.Invalid, "your name is required")
	}
	if utf8.RuneCountInString(name) > 100 || strings.ContainsAny(name, "\r\n") {
		return nil, apperr.New(apperr.Invalid, "your name must be one line of at most 100 characters")
	}
	email := strings.TrimSpace(req.Email)
	if err := mail.ValidateAddress(email); err != nil {
		return nil, err
	}
	if req.Start.IsZero() {
		return nil, apperr.New(apperr.Invalid, "start is required")
	}
	store, err := s.stores.StoreBySlug(ctx, req.StoreSlug)
	if err != nil {
		return nil, err
	}
	if req.ProductSKU != "" {
		if _, err := s.stores.ProductBySKU(ctx, store, req.ProductSKU); err != nil {
			return nil, err
		}
	}
	st, loc, err := s.settings(ctx, store.ID)
	if err != nil {
		return nil, err
	}
	start := req.Start.UTC()
	now := s.now()
	if !start.After(now) {
		return nil, apperr.New(apperr.Invalid, "that time has passed: choose a time in the future")
	}
	if start.Before(now.Add(time.Duration(st.LeadMinutes) * time.Minute)) {
		return nil, apperr.New(apperr.Invalid, "that time is too soon: %s takes bookings at least %d minutes ahead", store.Name, st.LeadMinutes)
	}
	if !start.Before(now.AddDate(0, 0, st.HorizonDays)) {
		return nil, apperr.New(apperr.Invalid, "%s offers no video call at that time: bookings open %d days ahead", store.Name, st.HorizonDays)
	}
	if s.cfg.Limits != nil {
		for _, key := range []string{"ip:" + req.ClientIP, "email:" + strings.ToLower(email), "account:" + req.ShopperID} {
			if strings.HasSuffix(key, ":") {
				continue
			}
			if err := s.cfg.Limits.Take(ctx, s.cfg.BookingLimit, key); err != nil {
				return nil, err
			}
		}
	}
	id := newID()
	token, hash := s.tokenFor(id)
	var booked *Appointment
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		slots, err := s.freeSlots(ctx, tx, store.ID, st, loc, start, start.Add(time.Second))
		if err != nil {
			return err
		}
		if len(slots) == 0 || !slots[0].Start.Equal(start) {
			if s.slotExists(ctx, tx, store.ID, st, loc, start) {
				return apperr.New(apperr.Conflict, "that time was just booked: choose another")
			}
			return apperr.New(apperr.Invalid, "%s offers no video call at that time: choose one of the times listed", store.Name)
		}
		slot := slots[0]
		for _, agent := range slot.Agents {
			// With the agent's row locked, the overlap check below and the
			// insert cannot interleave with another node's booking of them.
			if err := s.accounts.Lock(tx, agent); err != nil {
				return fmt.Errorf("lock agent %s: %w", agent, err)
			}
			var clash int64
			if err := tx.Model(&Appointment{}).Where("agent_id = ? AND status IN ? AND starts_at < ? AND ends_at > ?", agent, []string{StatusBooked, StatusJoined}, slot.End, slot.Start).
				Count(&clash).Error; err != nil {
				return fmt.Errorf("check bookings of %s: %w", agent, err)
			}
			if clash > 0 {
				continue
			}
			a := &Appointment{ID: id, StoreID: store.ID, AgentID: agent, Name: name, Email: email, ProductSKU: req.ProductSKU,
				StartsAt: slot.Start, EndsAt: slot.End, Status: StatusBooked, TokenHash: hash, CreatedAt: now, UpdatedAt: now}
			if req.ShopperID != "" {
				a.ShopperID = &req.ShopperID
			}
			if start.Sub(now) <= s.cfg.RemindBefore {
				a.ReminderClaimedAt = &now // booked within the hour: the confirmation is the reminder
			}
			if err := tx.Create(a).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return apperr.New(apperr.Conflict, "that time was just booked: choose another")
				}
				return fmt.Errorf("store appointment: %w", err)
			}
			booked = a
			return nil
		}
		return apperr.New(apperr.Conflict, "that time was just booked: choose another")
	})
	if err != nil {
		return nil, err
	}
	s.sendConfirmation(ctx, booked, token)
	return &Booking{Appointment: booked, Token: token}, nil
}

// slotExists reports whether start is a slot of the store's working hours
// at all, booked or not: it tells "taken" from "never offered".
func (s *Service) slotExists(ctx context.Context, tx *gorm.DB, storeID int64, st settingsRow, loc *time.Location, start time.Time) bool {
	var rows []hoursRow
	if err := tx.WithContext(ctx).Where("store_id = ?", storeID).Find(&rows).Error; err != nil {
		return false
	}
	hours := make([]Hours, len(rows))
	for i, r := range rows {
		hours[i] = Hours{AgentID: r.AgentID, Weekday: time.Weekday(r.Weekday), Start: r.StartMinute, End: r.EndMinute}
	}
	slots := FreeSlots(SlotRules{Location: loc, Length: time.Duration(st.SlotMinutes) * time.Minute, From: start, To: start.Add(time.Second)}, hours, nil)
	return len(slots) > 0 && slots[0].Start.Equal(start)
}

// tokenPrefix marks appointment tokens in links and logs.
const tokenPrefix = "apt_"

// newToken returns a fresh capability token (256 random bits) and the
// hash that is stored.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// tokenFor returns the token of the appointment id and its stored hash:
// derived from LinkKey when set, else random.
func (s *Service) tokenFor(id string) (token, hash string) {
	if len(s.cfg.LinkKey) == 0 {
		return newToken()
	}
	m := hmac.New(sha256.New, s.cfg.LinkKey)
	m.Write([]byte("appointment-link\x00" + id))
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	return token, hashToken(token)
}

// hashToken is the stored form of a token.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newID returns an appointment id.
func newID() string {
	b := make([]byte, 9)
	rand.Read(b)
	return "ap_" + base64.RawURLEncoding.EncodeToString(b)
}

// validToken checks a token's shape before it is looked up.
func validToken(token string) bool {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) != len(tokenPrefix)+43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix):])
	return err == nil
}

// ByToken returns the appointment the token opens; a malformed or unknown
// token is apperr.NotFound (the same answer, so tokens cannot be probed).
func (s *Service) ByToken(ctx context.Context, token string) (*Appointment, error) {
	if !validToken(token) {
		return nil, apperr.New(apperr.NotFound, "no appointment at this link")
	}
	var rows []Appointment
	if err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("appointment by token: %w", err)
	}
	if len(rows) == 0 {
		return nil, apperr.New(apperr.NotFound, "no appointment at this link")
	}
	return &rows[0], nil
}

// move changes the appointment's status from one it expects, in one
// guarded update; a lost race or a status not in from is apperr.Conflict
// with msg.
func (s *Service) move(ctx context.Context, id string, from []string, set map[string]any, msg string) error {
	set["updated_at"] = s.now()
	res := s.db.WithContext(ctx).Model(&Appointment{}).Where("id = ? AND status IN ?", id, from).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update appointment %s: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "%s", msg)
	}
	return nil
}

// CancelByShopper cancels the appointment the token opens. Only a booking
// not yet started can be cancelled: else apperr.Conflict.
func (s *Service) CancelByShopper(ctx context.Context, token string) (*Appointment, error) {
	a, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if a.Status != StatusBooked || !s.now().Before(a.StartsAt) {
		return nil, apperr.New(apperr.Conflict, "this appointment can no longer be cancelled (it is %s)", statusWords(a, s.now()))
	}
	if err := s.move(ctx, a.ID, []string{StatusBooked}, map[string]any{"status": StatusCancelled, "cancelled_by": "shopper"}, "this appointment changed meanwhile: reload"); err != nil {
		return nil, err
	}
	return s.reload(ctx, a.ID)
}

// CancelByStore cancels an appointment of the store (staff of storeID
// only: another store's appointment is apperr.NotFound) and emails the
// shopper. A booking already over is apperr.Conflict.
func (s *Service) CancelByStore(ctx context.Context, storeID int64, id string) (*Appointment, error) {
	var rows []Appointment
	if err := s.db.WithContext(ctx).Where("id = ? AND store_id = ?", id, storeID).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("appointment %s: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, apperr.New(apperr.NotFound, "no appointment %s in your store", id)
	}
	if err := s.move(ctx, id, []string{StatusBooked}, map[string]any{"status": StatusCancelled, "cancelled_by": "store"}, "this appointment can no longer be cancelled"); err != nil {
		return nil, err
	}
	a, err := s.reload(ctx, id)
	if err != nil {
		return nil, err
	}
	s.sendCancellation(ctx, a)
	return a, nil
}

// Join marks the shopper present: from JoinEarly before the start to the
// end of the slot. Joining again is fine (a reload of the page). Outside
// that window, or after a cancellation or no-show, it is apperr.Conflict.
func (s *Service) Join(ctx context.Context, token string) (*Appointment, error) {
	a, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if a.Status == StatusJoined && now.Before(a.EndsAt) {
		return a, nil
	}
	if a.Status != StatusBooked || now.Before(a.StartsAt.Add(-s.cfg.JoinEarly)) || !now.Before(a.EndsAt) {
		return nil, apperr.New(apperr.Conflict, "this call cannot be joined now (it is %s)", statusWords(a, now))
	}
	if err := s.move(ctx, a.ID, []string{StatusBooked}, map[string]any{"status": StatusJoined, "joined_at": now}, "this appointment changed meanwhile: reload"); err != nil {
		return nil, err
	}
	return s.reload(ctx, a.ID)
}

func (s *Service) reload(ctx context.Context, id string) (*Appointment, error) {
	var a Appointment
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, fmt.Errorf("reload appointment %s: %w", id, err)
	}
	return &a, nil
}

// statusWords says in words where an appointment stands.
func statusWords(a *Appointment, now time.Time) string {
	switch {
	case a.Status == StatusCancelled && a.CancelledBy == "store":
		return "cancelled by the store"
	case a.Status == StatusCancelled:
		return "cancelled"
	case a.Status == StatusNoShow:
		return "marked as missed"
	case !now.Before(a.EndsAt):
		return "over"
	case a.Status == StatusJoined:
		return "in progress"
	default:
		return "booked for later"
	}
}
