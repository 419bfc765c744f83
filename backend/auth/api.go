package auth

// What auth offers other slices: typed reads of its own accounts table.
// Other slices call these instead of reading accounts; Accounts needs
// only the database, so it can be built before anything else.

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AccountRef is what other slices may know of an account: its name, email,
// role, birth date (members) and the store it works for (staff).
type AccountRef struct {
	ID        string
	Name      string
	Email     string
	Role      Role
	BirthDate string
	StoreID   *int64
	// HomeRegion is the region whose database holds the account.
	HomeRegion string
}

// Accounts reads the accounts table for other slices.
type Accounts struct {
	db *gorm.DB
}

// NewAccounts returns the reads of the accounts in db.
func NewAccounts(db *gorm.DB) *Accounts { return &Accounts{db: db} }

// Refs returns the accounts with the given ids, by id, in one query; an id
// with no account is missing from the map.
func (a *Accounts) Refs(ctx context.Context, ids []string) (map[string]AccountRef, error) {
	out := make(map[string]AccountRef, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []AccountRef
	if err := a.db.WithContext(ctx).Table("accounts").Select("id, name, email, role, birth_date, store_id, home_region").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// Ref returns the account with id id; ok is false when there is none.
func (a *Accounts) Ref(ctx context.Context, id string) (ref AccountRef, ok bool, err error) {
	refs, err := a.Refs(ctx, []string{id})
	ref, ok = refs[id]
	return ref, ok, err
}

// Name returns the name of the account with id id; "" when there is none.
func (a *Accounts) Name(ctx context.Context, id string) (string, error) {
	ref, _, err := a.Ref(ctx, id)
	return ref.Name, err
}

// StaffOf returns the ids of the store's staff with one of the roles, or
// of all its staff when no role is given.
func (a *Accounts) StaffOf(ctx context.Context, storeID int64, roles ...Role) ([]string, error) {
	q := a.db.WithContext(ctx).Table("accounts").Where("store_id = ?", storeID)
	if len(roles) > 0 {
		q = q.Where("role IN ?", roles)
	}
	var ids []string
	if err := q.Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("staff of store %d: %w", storeID, err)
	}
	return ids, nil
}

// Lock locks the account's row in tx until tx ends (PostgreSQL; SQLite has
// one writer at a time anyway), so that another slice's work for one
// account runs one after the other.
func (a *Accounts) Lock(tx *gorm.DB, id string) error {
	var locked []string
	return tx.Table("accounts").Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Pluck("id", &locked).Error
}
