package directory

// One directory across regions, on JetStream alone (a regionFeed,
// region_feed.go). Each region's nodes publish their members' entries
// (region_entry.go) to the stream LM_DIR_<region>, placed in the region's
// own NATS cluster (one message per member). Each region also has
// LM_DIRALL_<region>, which sources every other region's LM_DIR_ stream.
// Every node reads its region's LM_DIRALL_ stream and keeps the entries in
// region_entries, so
// look-ups and the listing are answered from the region's own database,
// and a region cut off from the others keeps serving its members and what
// it already knew.
//
// Only nodes publish: no route takes an entry from a member, and entries
// come from NATS, whose credentials are the nodes'. A received entry is
// checked against its subject and the number plan, and it is a listing
// only: no account, session or device refers to it.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
)

// entriesStream is the stream of region's own members' entries.
func entriesStream(region string) string { return "LM_DIR_" + region }

// mergedStream is region's stream of every other region's entries.
func mergedStream(region string) string { return "LM_DIRALL_" + region }

// entrySubject is where region's nodes publish the entry of accountID.
func entrySubject(region, accountID string) string { return "lm.dir." + region + "." + accountID }

// defaultEntrySweep is how often a node compares its region's entries
// with what it published, when Config.EntrySweep is 0.
const defaultEntrySweep = 2 * time.Second

// regionEntryRow is one number of a member homed in another region.
type regionEntryRow struct {
	Number     Number    `gorm:"column:number;primaryKey"`
	AccountID  string    `gorm:"column:account_id"`
	Region     string    `gorm:"column:region"`
	Name       string    `gorm:"column:name"`
	Listed     bool      `gorm:"column:listed"`
	IsPrimary  bool      `gorm:"column:is_primary"`
	Interests  string    `gorm:"column:interests"`
	Version    int64     `gorm:"column:version"`
	ReceivedAt time.Time `gorm:"column:received_at"`
}

// TableName tells GORM where other regions' entries live.
func (regionEntryRow) TableName() string { return "region_entries" }

// regionDirectory shares this region's entries with the other regions and
// keeps theirs. A node of a plan with one region has none.
type regionDirectory struct {
	db      *gorm.DB
	bus     *bus.Bus
	plan    NumberPlan
	regions map[string]bool // every region of the plan
	feed    *regionFeed

	mu   sync.Mutex
	sent map[string]string // account → digest of the entry last published
}

// Regions returns the regions that own blocks in the plan, sorted.
func (p NumberPlan) Regions() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range p.Blocks {
		if !seen[b.Region] {
			seen[b.Region] = true
			out = append(out, b.Region)
		}
	}
	sort.Strings(out)
	return out
}

// openRegionDirectory creates this region's streams, starts reading the
// other regions' entries and publishing this region's; it returns nil for
// a plan with one region, which pays nothing for regions.
func openRegionDirectory(ctx context.Context, db *gorm.DB, b *bus.Bus, plan NumberPlan, every time.Duration) (*regionDirectory, error) {
	regions := plan.Regions()
	if len(regions) < 2 || b == nil {
		return nil, nil
	}
	if every <= 0 {
		every = defaultEntrySweep
	}
	r := &regionDirectory{db: db, bus: b, plan: plan, regions: map[string]bool{}, sent: map[string]string{}}
	for _, name := range regions {
		r.regions[name] = true
	}
	r.feed = newRegionFeed(&regionFeed{bus: b, plan: plan, what: "directory entries",
		ownStream: entriesStream, mergedStream: mergedStream, subject: entrySubject,
		receive: r.receive, reopened: r.forgetSent, sweep: r.publish, every: every})
	if err := r.feed.open(ctx); err != nil {
		return nil, err
	}
	r.feed.start()
	return r, nil
}

// forgetSent makes the next sweep publish every entry again: NATS may
// have lost what was published.
func (r *regionDirectory) forgetSent() {
	r.mu.Lock()
	r.sent = map[string]string{}
	r.mu.Unlock()
}

// close stops publishing and reading.
func (r *regionDirectory) close() { r.feed.close() }

// changed asks for a sweep now (an entry of this region may have changed).
func (r *regionDirectory) changed() { r.feed.kickSweep() }

// publish is a sweep of the feed.
func (r *regionDirectory) publish(ctx context.Context) {
	if err := r.sweep(ctx); err != nil {
		slog.Warn("publish directory entries", "err", err)
	}
}

// ownEntries reads the entries of this region's members from its database.
func (r *regionDirectory) ownEntries(ctx context.Context) (map[string]*RegionEntry, error) {
	var rows []struct {
		AccountID string
		Number    Number
		IsPrimary bool
		Name      *string
		Listed    *bool
		Verified  bool
		Interests *string
	}
	err := r.db.WithContext(ctx).Table("numbers AS n").
		Select("n.account_id, n.number, n.is_primary, p.name, p.listed, p.email_verified_at IS NOT NULL AS verified, p.interests").
		Joins("LEFT JOIN member_profiles p ON p.account_id = n.account_id").
		Where("n.party_type = ? AND n.account_id IS NOT NULL", PartyMember).Order("n.account_id, n.number").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read this region's entries: %w", err)
	}
	out := map[string]*RegionEntry{}
	for _, row := range rows {
		e := out[row.AccountID]
		if e == nil {
			e = &RegionEntry{AccountID: row.AccountID, Region: r.plan.Region, Interests: []string{}, Numbers: []EntryNumber{}}
			if row.Name != nil {
				e.Name = *row.Name
			}
			if row.Interests != nil {
				e.Interests = splitInterests(*row.Interests)
			}
			e.Listed = row.Listed != nil && *row.Listed && row.Verified && e.Name != ""
			out[row.AccountID] = e
		}
		e.Numbers = append(e.Numbers, EntryNumber{Number: row.Number, Primary: row.IsPrimary})
	}
	for id, e := range out {
		if !validEntryName(e.Name) {
			// A member without a name yet has nothing to show elsewhere.
			delete(out, id)
		}
	}
	return out, nil
}

// sweep publishes the entries that differ from the ones this node last
// published, and withdraws members who hold no number any more.
func (r *regionDirectory) sweep(ctx context.Context) error {
	entries, err := r.ownEntries(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	sent := make(map[string]string, len(r.sent))
	for id, d := range r.sent {
		sent[id] = d
	}
	r.mu.Unlock()
	for id := range sent {
		if _, ok := entries[id]; !ok {
			entries[id] = &RegionEntry{AccountID: id, Region: r.plan.Region, Name: "withdrawn", Interests: []string{}, Numbers: []EntryNumber{}}
		}
	}
	for id, e := range entries {
		raw, _ := json.Marshal(e) // Version 0: the digest is of the content
		sum := sha256.Sum256(raw)
		digest := hex.EncodeToString(sum[:])
		if sent[id] == digest {
			continue
		}
		e.Version = time.Now().UnixNano()
		body, _ := json.Marshal(e)
		if _, err := r.bus.JS.Publish(ctx, entrySubject(r.plan.Region, id), body, jetstream.WithExpectStream(entriesStream(r.plan.Region))); err != nil {
			r.bus.Trouble(err)
			return fmt.Errorf("publish the entry of %s: %w", id, err)
		}
		r.mu.Lock()
		if len(e.Numbers) == 0 {
			delete(r.sent, id)
		} else {
			r.sent[id] = digest
		}
		r.mu.Unlock()
	}
	return nil
}

// receive keeps an entry of another region; an entry that fails the
// checks is dropped and logged.
func (r *regionDirectory) receive(m jetstream.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.keep(ctx, m.Subject(), m.Data()); err != nil {
		slog.Warn("directory entry from another region refused", "subject", m.Subject(), "err", err)
	}
}

// keep checks the entry published on subject and records it: its home
// region must be the subject's, another region of the plan, and its
// account the subject's; each number must lie in a block of the plan.
func (r *regionDirectory) keep(ctx context.Context, subject string, data []byte) error {
	e, err := ParseRegionEntry(data)
	if err != nil {
		return err
	}
	if want := entrySubject(e.Region, e.AccountID); subject != want {
		return apperr.New(apperr.Invalid, "an entry of %s/%s arrived on %s", e.Region, e.AccountID, subject)
	}
	if e.Region == r.plan.Region || !r.regions[e.Region] {
		return apperr.New(apperr.Invalid, "an entry of region %s is not another region's", e.Region)
	}
	for _, n := range e.Numbers {
		if _, ok := r.plan.OwnerOf(n.Number); !ok {
			return apperr.New(apperr.Invalid, "the number %s is in no region's block", n.Number)
		}
	}
	return keepEntry(ctx, r.db, e)
}

// keepEntry records e in one transaction: each of its numbers is written
// unless a newer entry wrote it, and the account's numbers of older
// entries are removed. An entry older than the one kept changes nothing.
func keepEntry(ctx context.Context, db *gorm.DB, e RegionEntry) error {
	joined, err := joinInterests(e.Interests)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var newer int64
		if err := tx.Model(&regionEntryRow{}).Where("account_id = ? AND version >= ?", e.AccountID, e.Version).Count(&newer).Error; err != nil {
			return err
		}
		if newer > 0 {
			return nil
		}
		for _, n := range e.Numbers {
			row := regionEntryRow{Number: n.Number, AccountID: e.AccountID, Region: e.Region, Name: e.Name, Listed: e.Listed,
				IsPrimary: n.Primary, Interests: joined, Version: e.Version, ReceivedAt: now}
			res := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "number"}},
				DoUpdates: clause.AssignmentColumns([]string{"account_id", "region", "name", "listed", "is_primary", "interests", "version", "received_at"}),
				Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "region_entries.version < excluded.version"}}},
			}).Create(&row)
			if res.Error != nil {
				return res.Error
			}
		}
		return tx.Where("account_id = ? AND version < ?", e.AccountID, e.Version).Delete(&regionEntryRow{}).Error
	})
}

// resolveElsewhere finds num among the entries of other regions' members:
// their name, home region and the state it publishes (region_presence.go),
// nothing to ring (a dial asks their region: region_calls.go). NotFound
// when no region has it.
func (s *Service) resolveElsewhere(ctx context.Context, num Number) (*Resolution, error) {
	var row regionEntryRow
	err := s.db.WithContext(ctx).Where("number = ?", num).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "nobody has the number %s", num)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s among other regions: %w", num, err)
	}
	return &Resolution{Number: num, Display: num.String(), Party: Party{Type: PartyMember, Name: row.Name, Region: row.Region},
		State: s.remoteState(row.AccountID, row.Region), Ring: []RingTarget{}}, nil
}

// notHeldElsewhere reports whether no entry of another region's member
// holds num (what this region knows of them).
func (s *Service) notHeldElsewhere(ctx context.Context, num Number) (bool, error) {
	var held int64
	if err := s.db.WithContext(ctx).Model(&regionEntryRow{}).Where("number = ?", num).Count(&held).Error; err != nil {
		return false, fmt.Errorf("look for %s among other regions: %w", num, err)
	}
	return held == 0, nil
}

// ResolveAnywhere resolves num here (Resolve) or, when nobody here holds
// it, among the members of other regions this region knows of. Only the
// look-up route uses it: inviting and transfers stay on Resolve, and a
// dial rings only what the member's own region answers (region_calls.go).
// A number of this region is resolved from the routes this node keeps
// (route_cache.go): the look-up shows who and how, and rings nobody.
func (s *Service) ResolveAnywhere(ctx context.Context, num Number) (*Resolution, error) {
	res, err := s.resolve(ctx, num, s.cachedRoute)
	if apperr.Code(err) == apperr.NotFound {
		return s.resolveElsewhere(ctx, num)
	}
	return res, err
}

// entriesChanged tells the region directory that an entry of this region
// may have changed (nothing with one region).
func (s *Service) entriesChanged() {
	if s.regions != nil {
		s.regions.changed()
	}
}

// numberPrefix keeps the digits of a number typed as search text.
func numberPrefix(query string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, query)
}
