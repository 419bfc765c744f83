package directory

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// Profile is what a member chose about being found and rung.
type Profile struct {
	AccountID       string     `gorm:"column:account_id;primaryKey"`
	Name            string     `gorm:"column:name"` // the member's display name, kept current by auth's Renamed hook
	Listed          bool       `gorm:"column:listed"`
	Interests       string     `gorm:"column:interests"` // ",cooking,hiking," for exact matching
	RingMode        RingMode   `gorm:"column:ring_mode"`
	EmailVerifiedAt *time.Time `gorm:"column:email_verified_at"`
}

// TableName tells GORM where profiles live.
func (Profile) TableName() string { return "member_profiles" }

// RingMode says which of a member's devices ring.
type RingMode string

// Ring modes.
const (
	RingNewest RingMode = "newest" // the device the member signed in on last
	RingAll    RingMode = "all"    // every online device carrying the member
)

// deviceAccount records that an account is signed in on a device.
type deviceAccount struct {
	DeviceID   string    `gorm:"column:device_id;primaryKey"`
	AccountID  string    `gorm:"column:account_id;primaryKey"`
	SignedInAt time.Time `gorm:"column:signed_in_at"`
}

// TableName tells GORM where device sign-ins live.
func (deviceAccount) TableName() string { return "device_accounts" }

// AuthHooks returns the hooks with which the directory takes part in
// sign-up and sign-in: numbers for new accounts, and the devices members
// sign in on. afterSignUp, when set, runs after a member's sign-up commits;
// sessionStarted after a session bound to a device commits.
func (n *Numbers) AuthHooks(afterSignUp func(ctx context.Context, a *auth.Account), sessionStarted func(ctx context.Context, accountID, deviceID string), signedOut func(ctx context.Context, accountID, deviceID string) error) auth.Hooks {
	return auth.Hooks{
		CheckSignUp:    n.checkSignUp,
		AccountCreated: n.accountCreated,
		SignedIn:       recordDeviceSignIn,
		SignedOut:      signedOut,
		SessionStarted: sessionStarted,
		SignedUp:       afterSignUp,
		Renamed:        profileRenamed,
	}
}

// profileRenamed keeps the name on a member's profile current, in the
// transaction that renames the account.
func profileRenamed(tx *gorm.DB, a *auth.Account) error {
	if a.Role != auth.RoleMember {
		return nil
	}
	return tx.Model(&Profile{}).Where("account_id = ?", a.ID).Update("name", a.Name).Error
}

// checkSignUp refuses a sign-up that asks for an invalid or taken number.
func (n *Numbers) checkSignUp(ctx context.Context, na auth.NewAccount) error {
	if na.Vanity == "" {
		return nil
	}
	num, err := ParseNumber(na.Vanity)
	if err != nil {
		return err
	}
	owner, ok := n.plan.OwnerOf(num)
	switch {
	case !ok:
		return apperr.New(apperr.Invalid, "the number %s is in no region's number block", num)
	case owner != n.plan.Region:
		// Claimed through its region, which takes a request over NATS: not
		// inside the sign-up's transaction.
		return apperr.New(apperr.Invalid, "the number %s belongs to region %s: sign up without it, then add it to your numbers", num, owner)
	}
	return n.CheckFree(ctx, num)
}

// accountCreated gives a new member or agent their first number inside the
// transaction that creates the account: the vanity number they asked for if
// it is still free, else the next one of the sequence. Members also get
// their profile.
func (n *Numbers) accountCreated(tx *gorm.DB, a *auth.Account, na auth.NewAccount) error {
	party, ok := partyOf(a.Role)
	if !ok {
		return nil
	}
	id := a.ID
	rec := &NumberRecord{PartyType: party, AccountID: &id, IsPrimary: true, CreatedAt: time.Now().UTC()}
	granted := false
	if na.Vanity != "" {
		num, err := ParseNumber(na.Vanity)
		if err != nil {
			return err
		}
		rec.Number, rec.Kind = num, KindVanity
		if granted, err = n.grantHere(tx, rec); err != nil {
			return err
		}
	}
	if !granted {
		num, err := n.allocateSequential(tx)
		if err != nil {
			return err
		}
		rec.Number, rec.Kind = num, KindSequential
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
	}
	if a.Role != auth.RoleMember {
		return nil
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Profile{AccountID: a.ID, Name: a.Name, Listed: true, RingMode: RingNewest}).Error
}

// recordDeviceSignIn makes deviceID the account's newest device.
func recordDeviceSignIn(tx *gorm.DB, a *auth.Account, deviceID string) error {
	if deviceID == "" {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "device_id"}, {Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"signed_in_at"}),
	}).Create(&deviceAccount{DeviceID: deviceID, AccountID: a.ID, SignedInAt: time.Now().UTC()}).Error
}

// forgetDevice removes the account from the device, at sign-out.
func forgetDevice(ctx context.Context, db *gorm.DB, accountID, deviceID string) error {
	return db.WithContext(ctx).Where("device_id = ? AND account_id = ?", deviceID, accountID).Delete(&deviceAccount{}).Error
}
