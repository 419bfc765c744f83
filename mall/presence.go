package mall

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// DefaultVisitorWindow is how recently a member must have been seen in a
// store to be shown on its building. The mall reports every 20 s, so a
// member who closes the page drops off within a minute.
const DefaultVisitorWindow = 60 * time.Second

// MaxVisitorsShown is how many members one building shows at most.
const MaxVisitorsShown = 8

// VisitorView is a member shown on a store's building: first name and
// initials only, never their email, number or birth date.
type VisitorView struct {
	Name     string `json:"name"`
	Initials string `json:"initials"`
	Color    string `json:"color"`
}

// Presence records which store each member who chose to be seen in the
// mall is looking at. It keeps one row per member in the database, so every
// node sees the same visitors; rows older than the window are ignored.
type Presence struct {
	db       *gorm.DB
	catalog  *Catalog
	shown    ShownInMall
	accounts Accounts
	window   atomic.Int64 // nanoseconds
}

// ShownInMall is what the mall presence needs from the directory, which
// owns the members' profiles: which members chose to be seen in the mall
// (*directory.Service implements it).
type ShownInMall interface {
	ShownInMall(ctx context.Context, accountIDs []string) (map[string]bool, error)
}

// Accounts is what the mall needs from auth, which owns the accounts:
// names and roles (*auth.Accounts implements it).
type Accounts interface {
	Refs(ctx context.Context, ids []string) (map[string]auth.AccountRef, error)
}

// NewPresence returns the mall presence over db, looking stores up in
// catalog, who may be seen up in shown and names up in accounts, with the
// default visitor window.
func NewPresence(db *gorm.DB, catalog *Catalog, shown ShownInMall, accounts Accounts) *Presence {
	p := &Presence{db: db, catalog: catalog, shown: shown, accounts: accounts}
	p.window.Store(int64(DefaultVisitorWindow))
	return p
}

// SetWindow changes how recently a member must have been seen to count as
// a visitor (tests shorten it). It is safe to call while serving.
func (p *Presence) SetWindow(d time.Duration) { p.window.Store(int64(d)) }

// presenceRow is a member's last sighting in the mall.
type presenceRow struct {
	AccountID string    `gorm:"column:account_id;primaryKey"`
	StoreID   int64     `gorm:"column:store_id"`
	SeenAt    time.Time `gorm:"column:seen_at"`
}

// TableName tells GORM where sightings live.
func (presenceRow) TableName() string { return "mall_presence" }

// RecordVisit notes that the member is in the store now. Members who did
// not choose to be seen are not recorded at all (nobody needs to know where
// they are); it reports whether the member is shown.
func (p *Presence) RecordVisit(ctx context.Context, accountID string, storeID int64) (bool, error) {
	db := p.db.WithContext(ctx)
	shown, err := p.shown.ShownInMall(ctx, []string{accountID})
	if err != nil {
		return false, fmt.Errorf("read mall visibility: %w", err)
	}
	if !shown[accountID] {
		return false, nil
	}
	row := presenceRow{AccountID: accountID, StoreID: storeID, SeenAt: time.Now().UTC()}
	err = db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"store_id", "seen_at"}),
	}).Create(&row).Error
	if err != nil {
		return false, fmt.Errorf("record mall visit: %w", err)
	}
	return true, nil
}

// VisitorsIn returns, per store, the members who chose to be seen and were
// seen there within the window, at most MaxVisitorsShown each (the most
// recently seen), sorted by first name so avatars do not shuffle with every
// heartbeat. Stores without visitors are absent.
func (p *Presence) VisitorsIn(ctx context.Context, storeIDs []int64) map[int64][]VisitorView {
	if len(storeIDs) == 0 {
		return nil
	}
	cutoff := time.Now().UTC().Add(-time.Duration(p.window.Load()))
	var rows []struct {
		AccountID string
		StoreID   int64
	}
	// The sightings in the window, newest first per store; the directory
	// says who may be seen and auth names them, each in one query.
	err := p.db.WithContext(ctx).Model(&presenceRow{}).Select("account_id, store_id").
		Where("store_id IN ? AND seen_at > ?", storeIDs, cutoff).
		Order("store_id, seen_at DESC, account_id").Scan(&rows).Error
	if err != nil {
		// Visitors are decoration: a failed lookup shows empty buildings.
		return nil
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.AccountID)
	}
	shown, err := p.shown.ShownInMall(ctx, ids)
	if err != nil {
		return nil
	}
	ids = ids[:0]
	for _, r := range rows {
		if shown[r.AccountID] {
			ids = append(ids, r.AccountID)
		}
	}
	names, err := p.accounts.Refs(ctx, ids)
	if err != nil {
		return nil
	}
	out := map[int64][]VisitorView{}
	for _, r := range rows {
		a, ok := names[r.AccountID]
		if !shown[r.AccountID] || !ok || len(out[r.StoreID]) >= MaxVisitorsShown {
			continue
		}
		out[r.StoreID] = append(out[r.StoreID], NewVisitorView(r.AccountID, a.Name))
	}
	for _, vs := range out {
		slices.SortStableFunc(vs, func(a, b VisitorView) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// visitorColors are avatar colours that read white initials well on the
// skyline's night sky.
var visitorColors = []string{"#e11d48", "#db2777", "#9333ea", "#4f46e5", "#2563eb", "#0891b2", "#0d9488", "#059669", "#65a30d", "#ca8a04", "#ea580c", "#dc2626"}

// NewVisitorView returns how a member with the given account id and full
// name is shown: the first name, up to two initials and a colour that
// stays the same for the member on every visit.
func NewVisitorView(accountID, name string) VisitorView {
	words := strings.Fields(name)
	v := VisitorView{Name: "Member", Initials: "?"}
	if len(words) > 0 {
		v.Name = words[0]
		v.Initials = initialOf(words[0])
		if len(words) > 1 {
			v.Initials += initialOf(words[len(words)-1])
		}
	}
	h := fnv.New32a()
	h.Write([]byte(accountID))
	v.Color = visitorColors[h.Sum32()%uint32(len(visitorColors))]
	return v
}

// initialOf is the first letter of a word, upper-cased.
func initialOf(word string) string {
	for _, r := range word {
		return string(unicode.ToUpper(r))
	}
	return ""
}

// presenceRequest is the body of POST /mall/presence.
type presenceRequest struct {
	Store string `json:"store" required:"true"`
}

// ParsePresenceRequest decodes a POST /mall/presence body strictly and
// checks the store slug; it returns the slug or an apperr.Invalid error.
func ParsePresenceRequest(body []byte) (string, error) {
	var req presenceRequest
	if err := web.DecodeJSONBytes(body, &req); err != nil {
		return "", err
	}
	return ParseSlug(req.Store)
}

// Routes registers POST /mall/presence on api (the /api/v1 group): a
// signed-in member tells where in the mall they are. Guests are never
// shown, so they are refused.
func (p *Presence) Routes(api fiber.Router) {
	api.Post("/mall/presence", auth.RequireRole(auth.RoleMember), p.handlePresence)
}

func (p *Presence) handlePresence(c *fiber.Ctx) error {
	a := auth.CurrentAccount(c)
	var req presenceRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	slug, err := ParseSlug(req.Store)
	if err != nil {
		return err
	}
	store, err := p.catalog.StoreBySlug(c.UserContext(), slug)
	if err != nil {
		return err
	}
	shown, err := p.RecordVisit(c.UserContext(), a.ID, store.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"shown": shown})
}
