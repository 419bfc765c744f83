package directory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// PartyType is what a number reaches.
type PartyType string

// The parties a number can reach.
const (
	PartyMember PartyType = "member"
	PartyAgent  PartyType = "agent"
	PartyQueue  PartyType = "queue"
)

// NumberKind says how a number was given out.
type NumberKind string

// Kinds of numbers.
const (
	KindSequential NumberKind = "sequential"
	KindVanity     NumberKind = "vanity"
)

// NumberRecord is a number and the party it reaches: an account (member or
// agent) or a store's sales queue. Records are never deleted.
type NumberRecord struct {
	Number    Number     `gorm:"column:number;primaryKey"`
	PartyType PartyType  `gorm:"column:party_type"`
	AccountID *string    `gorm:"column:account_id"`
	StoreID   *int64     `gorm:"column:store_id"`
	Kind      NumberKind `gorm:"column:kind"`
	IsPrimary bool       `gorm:"column:is_primary"`
	CreatedAt time.Time  `gorm:"column:created_at"`
}

// TableName tells GORM where numbers live.
func (NumberRecord) TableName() string { return "numbers" }

// Numbers gives out and looks up numbers. It needs only the database, so the
// command line can provision members while a server runs.
type Numbers struct {
	db   *gorm.DB
	plan NumberPlan
	own  []Block // the plan's blocks of this node's region
}

// NewNumbers returns the number service of a deployment of one region,
// "local", that owns every number; blockStart is the first number handed
// out (Lowest when 0), used when the sequence is first created.
func NewNumbers(db *gorm.DB, blockStart int64) (*Numbers, error) {
	plan, err := ParseNumberPlan("local", "", blockStart)
	if err != nil {
		return nil, err
	}
	return NewPlannedNumbers(db, plan), nil
}

// NewPlannedNumbers returns the number service of a node that hands out
// numbers from its region's blocks of plan (see ParseNumberPlan).
func NewPlannedNumbers(db *gorm.DB, plan NumberPlan) *Numbers {
	return &Numbers{db: db, plan: plan, own: plan.Own()}
}

// insertIfFree stores rec unless its number is held; it reports whether it
// did. It never fails on a taken number, so a transaction stays usable.
func insertIfFree(tx *gorm.DB, rec *NumberRecord) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(rec)
	if res.Error != nil {
		return false, fmt.Errorf("store number: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// takenError refuses a held number and suggests free ones close to it.
func (n *Numbers) takenError(ctx context.Context, num Number) error {
	s, err := n.Suggestions(ctx, num, 5)
	if err != nil {
		return err
	}
	shown := make([]string, len(s))
	for i, x := range s {
		shown[i] = x.String()
	}
	return apperr.New(apperr.Conflict, "the number %s is taken; free numbers close to it: %s", num, strings.Join(shown, ", "))
}

// CheckFree returns nil when nobody holds num, else a Conflict whose
// message suggests free numbers close to it.
func (n *Numbers) CheckFree(ctx context.Context, num Number) error {
	free, err := n.IsFree(ctx, num)
	if err != nil || free {
		return err
	}
	return n.takenError(ctx, num)
}

// IsFree reports whether nobody holds num, as far as this region's
// database knows: its own holders and the claims of other regions on its
// blocks. (A number of another region's block may be held there.)
func (n *Numbers) IsFree(ctx context.Context, num Number) (bool, error) {
	held, err := heldAnywhere(n.db.WithContext(ctx), num)
	return !held, err
}

// Suggestions returns up to limit free numbers closest to num, nearest first.
func (n *Numbers) Suggestions(ctx context.Context, num Number, limit int) ([]Number, error) {
	center := num.Value()
	for radius := int64(16); radius <= 1<<20; radius *= 4 {
		lo, hi := max(center-radius, Lowest), min(center+radius, Highest)
		var held []Number
		err := n.db.WithContext(ctx).Model(&NumberRecord{}).
			Where("number >= ? AND number <= ?", mustNumber(lo), mustNumber(hi)).Pluck("number", &held).Error
		if err != nil {
			return nil, fmt.Errorf("suggest numbers: %w", err)
		}
		var claimed []Number
		err = n.db.WithContext(ctx).Table("number_claims").
			Where("number >= ? AND number <= ?", mustNumber(lo), mustNumber(hi)).Pluck("number", &claimed).Error
		if err != nil {
			return nil, fmt.Errorf("suggest numbers: %w", err)
		}
		taken := make(map[int64]bool, len(held)+len(claimed))
		for _, h := range append(held, claimed...) {
			taken[h.Value()] = true
		}
		var free []int64
		for v := lo; v <= hi; v++ {
			if !taken[v] && v != center {
				free = append(free, v)
			}
		}
		if len(free) >= limit || (lo == Lowest && hi == Highest) {
			sort.Slice(free, func(i, j int) bool {
				di, dj := abs64(free[i]-center), abs64(free[j]-center)
				return di < dj || (di == dj && free[i] < free[j])
			})
			if len(free) > limit {
				free = free[:limit]
			}
			out := make([]Number, len(free))
			for i, v := range free {
				out[i] = mustNumber(v)
			}
			return out, nil
		}
	}
	return nil, nil
}

// GrantVanity gives num to the account as an extra number. A taken number is
// a Conflict whose message suggests free numbers close to it; of two
// concurrent requests for one number exactly one wins. num must be one of
// this region's numbers (a number owned by another region is claimed
// through it: Service.ClaimVanity); outside every block it is Invalid.
func (n *Numbers) GrantVanity(ctx context.Context, a *auth.Account, num Number) (*NumberRecord, error) {
	party, ok := partyOf(a.Role)
	if !ok {
		return nil, apperr.New(apperr.Forbidden, "a %s account holds no numbers", a.Role)
	}
	id := a.ID
	rec := &NumberRecord{Number: num, PartyType: party, AccountID: &id, Kind: KindVanity, CreatedAt: time.Now().UTC()}
	var granted bool
	err := n.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		granted, err = n.grantHere(tx, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !granted {
		return nil, n.takenError(ctx, num)
	}
	return rec, nil
}

// grantHere stores rec, a vanity number of this region's blocks, in tx
// unless it is held here or claimed from another region; it reports
// whether it did. The block's row is locked first, so a claim from another
// region for the same number waits for tx (see arbitrateClaim).
func (n *Numbers) grantHere(tx *gorm.DB, rec *NumberRecord) (bool, error) {
	b, ok := n.plan.blockOf(rec.Number)
	if !ok {
		return false, apperr.New(apperr.Invalid, "the number %s is in no region's number block", rec.Number)
	}
	if b.Region != n.plan.Region {
		return false, apperr.New(apperr.Invalid, "the number %s belongs to region %s", rec.Number, b.Region)
	}
	if err := lockBlock(tx, b); err != nil {
		return false, err
	}
	var claimed int64
	if err := tx.Table("number_claims").Where("number = ?", rec.Number).Count(&claimed).Error; err != nil {
		return false, fmt.Errorf("is %s claimed: %w", rec.Number, err)
	}
	if claimed > 0 {
		return false, nil
	}
	return insertIfFree(tx, rec)
}

// NumbersOf returns the account's numbers, the primary one first.
func (n *Numbers) NumbersOf(ctx context.Context, accountID string) ([]NumberRecord, error) {
	var out []NumberRecord
	err := n.db.WithContext(ctx).Where("account_id = ?", accountID).Order("is_primary DESC, created_at, number").Find(&out).Error
	return out, err
}

// FindNumber returns the record of num, or NotFound.
func (n *Numbers) FindNumber(ctx context.Context, num Number) (*NumberRecord, error) {
	var rec NumberRecord
	err := n.db.WithContext(ctx).Where("number = ?", num).Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "nobody has the number %s", num)
	}
	return &rec, err
}

// EnsureStoreNumber gives the store's sales queue a number if it has none,
// and returns it.
func (n *Numbers) EnsureStoreNumber(ctx context.Context, storeID int64) (Number, error) {
	var num Number
	err := n.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rec NumberRecord
		err := tx.Where("store_id = ? AND party_type = ?", storeID, PartyQueue).Take(&rec).Error
		if err == nil {
			num = rec.Number
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if num, err = n.allocateSequential(tx); err != nil {
			return err
		}
		return tx.Create(&NumberRecord{Number: num, PartyType: PartyQueue, StoreID: &storeID, Kind: KindSequential, IsPrimary: true, CreatedAt: time.Now().UTC()}).Error
	})
	return num, err
}

// partyOf maps an account's role to the party its numbers reach; admins
// hold no numbers.
func partyOf(r auth.Role) (PartyType, bool) {
	switch r {
	case auth.RoleMember:
		return PartyMember, true
	case auth.RoleAgent, auth.RoleSupervisor:
		return PartyAgent, true
	}
	return "", false
}

func mustNumber(v int64) Number {
	n, err := NumberFromValue(v)
	if err != nil {
		panic(err)
	}
	return n
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}
