package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Account is a person who signs in. Members carry their birth date and
// address; staff carry the store they work for.
type Account struct {
	ID         string `gorm:"column:id;primaryKey"`
	UserHandle []byte `gorm:"column:webauthn_id"`
	Role       Role   `gorm:"column:role"`
	Name       string `gorm:"column:name"`
	Email      string `gorm:"column:email"`
	BirthDate  string `gorm:"column:birth_date"`
	Address    string `gorm:"column:address"`
	StoreID    *int64 `gorm:"column:store_id"`
	// HomeRegion is the region whose database holds the account ("local"
	// in a deployment of one region).
	HomeRegion string    `gorm:"column:home_region"`
	CreatedAt  time.Time `gorm:"column:created_at"`

	credentials []webauthn.Credential
}

// TableName tells GORM where accounts live.
func (Account) TableName() string { return "accounts" }

// WebAuthnID returns the opaque user handle kept in the account's passkeys.
func (a *Account) WebAuthnID() []byte { return a.UserHandle }

// WebAuthnName returns the email, which the authenticator shows to tell
// passkeys apart.
func (a *Account) WebAuthnName() string { return a.Email }

// WebAuthnDisplayName returns the account's name.
func (a *Account) WebAuthnDisplayName() string { return a.Name }

// WebAuthnCredentials returns the passkeys loaded with loadCredentials.
func (a *Account) WebAuthnCredentials() []webauthn.Credential { return a.credentials }

// NewAccount describes an account to create.
type NewAccount struct {
	Role      Role
	Name      string
	Email     string
	BirthDate string
	Address   string
	StoreID   *int64
	// Vanity is a number the person asked for; the AccountCreated hook (the
	// directory) grants it if it is free.
	Vanity string `json:",omitempty"`
	// ByOperator marks an account provisioned by an operator, who may not
	// have the member's postal address.
	ByOperator bool `json:"-"`
}

// newAccount builds an Account homed in this node's region with fresh
// identifiers from n, which must already be validated.
func (s *Service) newAccount(n NewAccount) *Account {
	now := s.now()
	handle := make([]byte, 32)
	rand.Read(handle)
	return &Account{
		ID:         newID("ac"),
		UserHandle: handle,
		Role:       n.Role,
		Name:       n.Name,
		Email:      n.Email,
		BirthDate:  n.BirthDate,
		Address:    n.Address,
		StoreID:    n.StoreID,
		HomeRegion: s.cfg.Region,
		CreatedAt:  now,
	}
}

// insertAccount stores a in tx; a taken email is a Conflict.
func insertAccount(tx *gorm.DB, a *Account) error {
	if err := tx.Create(a).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return apperr.New(apperr.Conflict, "an account with email %s already exists", a.Email)
		}
		return err
	}
	return nil
}

// CreateAccount validates n and stores a new account without a passkey; the
// person signs in after registering one through an enrollment link.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (*Account, error) {
	if err := validateNewAccount(&n, s.now()); err != nil {
		return nil, err
	}
	a := s.newAccount(n)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := insertAccount(tx, a); err != nil {
			return err
		}
		return s.accountCreated(tx, a, n)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Rename changes the account's name (trimmed, 1 to 100 characters) and
// runs the Renamed hook in the same transaction. An unknown account is
// NotFound; a name that breaks the rules is Invalid and changes nothing.
func (s *Service) Rename(ctx context.Context, accountID, name string) (*Account, error) {
	name = strings.TrimSpace(name)
	if err := validateName(name); err != nil {
		return nil, err
	}
	var a Account
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Account{}).Where("id = ?", accountID).Update("name", name)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.NotFound, "no such account")
		}
		if err := tx.Where("id = ?", accountID).Take(&a).Error; err != nil {
			return err
		}
		return s.runRenamed(tx, &a)
	})
	if err != nil {
		return nil, fmt.Errorf("rename account: %w", err)
	}
	s.announceSessionsChanged(accountID, "")
	return &a, nil
}

// FindAccountByID returns the account, or a NotFound error.
func (s *Service) FindAccountByID(ctx context.Context, id string) (*Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no such account")
	}
	return &a, err
}

// FindAccountByEmail returns the account with that email (case-insensitive),
// or a NotFound error.
func (s *Service) FindAccountByEmail(ctx context.Context, email string) (*Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no account with email %s", email)
	}
	return &a, err
}

// HasPasskey reports whether the account has registered at least one passkey.
func (s *Service) HasPasskey(ctx context.Context, accountID string) (bool, error) {
	return hasPasskey(s.db.WithContext(ctx), accountID)
}

// AccountFilter selects accounts; nil fields match everything.
type AccountFilter struct {
	StoreID *int64
	Role    *Role
	Limit   int // 0 means 500
}

// ListAccounts returns the accounts matching f, oldest first.
func (s *Service) ListAccounts(ctx context.Context, f AccountFilter) ([]Account, error) {
	q := s.db.WithContext(ctx).Order("created_at, id")
	if f.StoreID != nil {
		q = q.Where("store_id = ?", *f.StoreID)
	}
	if f.Role != nil {
		q = q.Where("role = ?", *f.Role)
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var out []Account
	err := q.Limit(f.Limit).Find(&out).Error
	return out, err
}
