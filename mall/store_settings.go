package mall

// A store's settings its supervisor changes on the desk: the store's one
// time zone (its figures' days and its appointment slots), the answer time
// its service level counts, and its rules for deciding credit without a
// supervisor. They are saved together, in one transaction, against the
// version they were read at.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // store time zones must load on hosts without a zone database

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/web"
)

// Bounds of a store's settings, as the editor shows them and the server
// enforces them.
const (
	MinServiceLevelSeconds = 1
	MaxServiceLevelSeconds = 3600
	MinCreditAge           = 18
	MaxCreditAge           = 120
	MaxMinPaidOrders       = 1000
	// MaxAutoLimitMinor bounds the automatic credit limit a store may set
	// (€10,000,000 in minor units): past it a typo, not a policy.
	MaxAutoLimitMinor = 1_000_000_000
)

// CreditRulesSettings are a store's credit rules as the settings show and
// take them.
type CreditRulesSettings struct {
	// MaxAutoLimitMinor is the largest limit approved without a
	// supervisor, in minor units of the store's currency; 0 sends every
	// application to a supervisor.
	MaxAutoLimitMinor int64 `json:"maxAutoLimitMinor"`
	// MinAge is the youngest applicant approved automatically (18–120).
	MinAge int `json:"minAge"`
	// RequireVerifiedEmail asks for a verified email address.
	RequireVerifiedEmail bool `json:"requireVerifiedEmail"`
	// MinPaidOrders is how many paid orders at the store an applicant
	// approved automatically must have (0–1000).
	MinPaidOrders int `json:"minPaidOrders"`
}

// StoreSettings are a store's settings as GET /desk/store-settings shows
// them.
type StoreSettings struct {
	// Version is what a save must send back: it changes with every save.
	Version int64 `json:"version"`
	// TimeZone is the IANA name of the store's one time zone.
	TimeZone string `json:"timeZone"`
	// ServiceLevelSeconds is the answer time the service level counts.
	ServiceLevelSeconds int                 `json:"serviceLevelSeconds"`
	Credit              CreditRulesSettings `json:"credit"`
	// Currency is the currency of the credit limit.
	Currency string `json:"currency"`
	// UpdatedAt is when the credit rules were last saved (zero when never).
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// StoreSettingsInput is a save of a store's settings, parsed and checked
// by ParseStoreSettings.
type StoreSettingsInput struct {
	// Version is the version the form was read at.
	Version             int64
	TimeZone            string
	ServiceLevelSeconds int
	Credit              CreditRulesSettings
}

// storeSettingsBody is the body of PUT /desk/store-settings; pointers tell
// a missing field from a zero.
type storeSettingsBody struct {
	Version             *int64           `json:"version"`
	TimeZone            *string          `json:"timeZone"`
	ServiceLevelSeconds *int             `json:"serviceLevelSeconds"`
	Credit              *creditRulesBody `json:"credit"`
}

type creditRulesBody struct {
	MaxAutoLimitMinor    *int64 `json:"maxAutoLimitMinor"`
	MinAge               *int   `json:"minAge"`
	RequireVerifiedEmail *bool  `json:"requireVerifiedEmail"`
	MinPaidOrders        *int   `json:"minPaidOrders"`
}

// maxSettingsBody bounds a settings body; a real one is under 300 bytes.
const maxSettingsBody = 4 << 10

// ParseStoreSettings reads a save of a store's settings: one JSON object
// with every field present, no others, each in range (a time zone this
// server knows by its IANA name, a service level of 1–3600 s, a limit of
// 0–MaxAutoLimitMinor, an age of 18–120, 0–1000 paid orders, a version
// ≥ 0). Anything else is apperr.Invalid naming the field.
func ParseStoreSettings(body []byte) (StoreSettingsInput, error) {
	if len(body) > maxSettingsBody {
		return StoreSettingsInput{}, apperr.New(apperr.TooLarge, "the settings may be at most %d KiB", maxSettingsBody>>10)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "request body is empty: expected a JSON object")
	}
	var b storeSettingsBody
	if err := web.DecodeJSONBytes(body, &b); err != nil {
		return StoreSettingsInput{}, err
	}
	missing := func(name string) error { return apperr.New(apperr.Invalid, "field %q is required", name) }
	switch {
	case b.Version == nil:
		return StoreSettingsInput{}, missing("version")
	case b.TimeZone == nil:
		return StoreSettingsInput{}, missing("timeZone")
	case b.ServiceLevelSeconds == nil:
		return StoreSettingsInput{}, missing("serviceLevelSeconds")
	case b.Credit == nil:
		return StoreSettingsInput{}, missing("credit")
	case b.Credit.MaxAutoLimitMinor == nil:
		return StoreSettingsInput{}, missing("credit.maxAutoLimitMinor")
	case b.Credit.MinAge == nil:
		return StoreSettingsInput{}, missing("credit.minAge")
	case b.Credit.RequireVerifiedEmail == nil:
		return StoreSettingsInput{}, missing("credit.requireVerifiedEmail")
	case b.Credit.MinPaidOrders == nil:
		return StoreSettingsInput{}, missing("credit.minPaidOrders")
	}
	in := StoreSettingsInput{Version: *b.Version, TimeZone: *b.TimeZone, ServiceLevelSeconds: *b.ServiceLevelSeconds,
		Credit: CreditRulesSettings{MaxAutoLimitMinor: *b.Credit.MaxAutoLimitMinor, MinAge: *b.Credit.MinAge,
			RequireVerifiedEmail: *b.Credit.RequireVerifiedEmail, MinPaidOrders: *b.Credit.MinPaidOrders}}
	if in.Version < 0 {
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "version must not be negative: send the version you read")
	}
	if _, err := LoadStoreZone(in.TimeZone); err != nil {
		return StoreSettingsInput{}, err
	}
	c := in.Credit
	switch {
	case in.ServiceLevelSeconds < MinServiceLevelSeconds || in.ServiceLevelSeconds > MaxServiceLevelSeconds:
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "the service-level threshold must be %d to %d seconds", MinServiceLevelSeconds, MaxServiceLevelSeconds)
	case c.MaxAutoLimitMinor < 0 || c.MaxAutoLimitMinor > MaxAutoLimitMinor:
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "the automatic credit limit must be 0 to %s", formatMinor(MaxAutoLimitMinor, Currency))
	case c.MinAge < MinCreditAge || c.MinAge > MaxCreditAge:
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "the minimum age for credit must be %d to %d", MinCreditAge, MaxCreditAge)
	case c.MinPaidOrders < 0 || c.MinPaidOrders > MaxMinPaidOrders:
		return StoreSettingsInput{}, apperr.New(apperr.Invalid, "the paid orders asked for must be 0 to %d", MaxMinPaidOrders)
	}
	return in, nil
}

// LoadStoreZone returns the time zone named name, an IANA name such as
// Europe/Berlin or UTC. The empty name and "Local" (which time.LoadLocation
// would take as UTC and the server's zone), paths and unknown names are
// apperr.Invalid.
func LoadStoreZone(name string) (*time.Location, error) {
	bad := apperr.New(apperr.Invalid, "time zone %q is not a zone name like Europe/Berlin", name)
	if name == "" || name == "Local" || len(name) > 64 || strings.HasPrefix(name, "/") || strings.Contains(name, "..") ||
		strings.ContainsFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-+", r))
		}) {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

// Settings reads and saves stores' settings. It owns no table of its own:
// the settings live in the stores and credit_rules tables of the mall.
type Settings struct {
	db *gorm.DB
	// limits counts saves per supervisor; nil counts nothing.
	limits *limits.Counter
	rule   limits.Rule
	now    func() time.Time
}

// SaveLimit is the default rate of settings saves one supervisor may make.
var SaveLimit = limits.Rule{Name: "store-settings", Max: 20, Per: time.Minute, Message: "too many saves of the store's settings: wait %d s"}

// NewSettings returns the settings service; lim counts saves (nil counts
// nothing), rule is the rate of saves per supervisor (SaveLimit when its
// name is empty).
func NewSettings(db *gorm.DB, lim *limits.Counter, rule limits.Rule) *Settings {
	if rule.Name == "" {
		rule = SaveLimit
	}
	return &Settings{db: db, limits: lim, rule: rule, now: time.Now}
}

// storeSettingsRow is the part of a store's row the settings read.
type storeSettingsRow struct {
	TimeZone            string
	ServiceLevelSeconds int
	SettingsVersion     int64
}

// SettingsOf returns the settings of the store with id storeID. A store
// without credit rules shows a limit of 0 (every application goes to a
// supervisor) with the demo's other rules. A missing store is
// apperr.NotFound.
func (s *Settings) SettingsOf(ctx context.Context, storeID int64) (*StoreSettings, error) {
	return settingsOf(s.db.WithContext(ctx), storeID)
}

func settingsOf(db *gorm.DB, storeID int64) (*StoreSettings, error) {
	var row storeSettingsRow
	err := db.Table("stores").Select("time_zone, service_level_seconds, settings_version").Where("id = ?", storeID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no store %d", storeID)
	}
	if err != nil {
		return nil, fmt.Errorf("settings of store %d: %w", storeID, err)
	}
	out := &StoreSettings{Version: row.SettingsVersion, TimeZone: row.TimeZone, ServiceLevelSeconds: row.ServiceLevelSeconds, Currency: Currency}
	rules, err := rulesOf(db, storeID)
	if err != nil {
		return nil, err
	}
	if rules == nil {
		d := DemoCreditRules(storeID)
		rules = &d
		rules.MaxAutoLimitMinor = 0
	} else {
		out.UpdatedAt = rules.UpdatedAt.UTC()
	}
	out.Credit = CreditRulesSettings{MaxAutoLimitMinor: rules.MaxAutoLimitMinor, MinAge: rules.MinAge, RequireVerifiedEmail: rules.RequireVerifiedEmail, MinPaidOrders: rules.MinPaidOrders}
	return out, nil
}

// SaveSettings saves the store's settings in one transaction: the store's
// row only if its version is still in.Version (else apperr.Conflict and
// nothing is written), then its credit rules, created or replaced. The
// next analytics report, appointment slot and credit decision read them.
// It returns the settings as saved, with their new version.
func (s *Settings) SaveSettings(ctx context.Context, storeID int64, in StoreSettingsInput) (*StoreSettings, error) {
	var out *StoreSettings
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table("stores").Where("id = ? AND settings_version = ?", storeID, in.Version).Updates(map[string]any{
			"time_zone": in.TimeZone, "service_level_seconds": in.ServiceLevelSeconds, "settings_version": gorm.Expr("settings_version + 1")})
		if res.Error != nil {
			return fmt.Errorf("save settings of store %d: %w", storeID, res.Error)
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "the store's settings changed meanwhile: reload to see them, then make your change again")
		}
		r := CreditRules{StoreID: storeID, MaxAutoLimitMinor: in.Credit.MaxAutoLimitMinor, MinAge: in.Credit.MinAge,
			RequireVerifiedEmail: in.Credit.RequireVerifiedEmail, MinPaidOrders: in.Credit.MinPaidOrders, UpdatedAt: s.now().UTC()}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "store_id"}}, UpdateAll: true}).Create(&r).Error; err != nil {
			return fmt.Errorf("save credit rules of store %d: %w", storeID, err)
		}
		var err error
		out, err = settingsOf(tx, storeID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
