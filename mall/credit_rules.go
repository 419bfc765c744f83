package mall

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreditRules are a store's rules for approving credit applications
// without a supervisor. An application outside any of them waits for a
// supervisor; a store without rules decides every application by one.
type CreditRules struct {
	StoreID int64 `gorm:"column:store_id;primaryKey"`
	// MaxAutoLimitMinor is the largest limit approved automatically.
	MaxAutoLimitMinor int64 `gorm:"column:max_auto_limit_minor"`
	// MinAge is the youngest applicant, by their registered birth date.
	MinAge int `gorm:"column:min_age"`
	// RequireVerifiedEmail asks for a verified email address.
	RequireVerifiedEmail bool `gorm:"column:require_verified_email"`
	// MinPaidOrders is how many paid orders at the store the applicant
	// must have.
	MinPaidOrders int       `gorm:"column:min_paid_orders"`
	UpdatedAt     time.Time `gorm:"column:updated_at"`
}

// TableName tells GORM where credit rules live.
func (CreditRules) TableName() string { return "credit_rules" }

// DemoCreditRules are the rules the demo stores are seeded with: up to
// €1,000 for adults with a verified address, no past orders needed.
func DemoCreditRules(storeID int64) CreditRules {
	return CreditRules{StoreID: storeID, MaxAutoLimitMinor: 100_000, MinAge: 18, RequireVerifiedEmail: true, MinPaidOrders: 0}
}

// seedCreditRules gives a demo store its default rules unless it has some.
func seedCreditRules(tx *gorm.DB, storeID int64) error {
	r := DemoCreditRules(storeID)
	r.UpdatedAt = time.Now().UTC()
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return fmt.Errorf("credit rules: %w", err)
	}
	return nil
}

// rulesOf returns the store's rules, nil when it has none.
func rulesOf(tx *gorm.DB, storeID int64) (*CreditRules, error) {
	var r CreditRules
	err := tx.Where("store_id = ?", storeID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credit rules: %w", err)
	}
	return &r, nil
}

// applicantFacts is what the rules look at beyond the application.
type applicantFacts struct {
	age           int
	ageKnown      bool
	emailVerified bool
	paidOrders    int64
}

// applicantFacts reads the applicant's age and verified address; the paid
// orders are counted inside the submitting transaction.
func (cr *Credit) applicantFacts(ctx context.Context, app *CreditApplication) (applicantFacts, error) {
	var f applicantFacts
	refs, err := cr.accounts.Refs(ctx, []string{app.AccountID})
	if err != nil {
		return f, err
	}
	f.age, f.ageKnown = AgeOn(refs[app.AccountID].BirthDate, cr.Now())
	if cr.emails != nil {
		if f.emailVerified, err = cr.emails.EmailVerified(ctx, app.AccountID); err != nil {
			return f, err
		}
	}
	return f, nil
}

// paidOrdersAt counts the member's paid orders at the store.
func paidOrdersAt(tx *gorm.DB, storeID int64, accountID string) (int64, error) {
	var n int64
	err := tx.Model(&Order{}).Where("store_id = ? AND account_id = ? AND state IN ?", storeID, accountID, []OrderState{OrderPaid, OrderConfirmed}).Count(&n).Error
	return n, err
}

// allow reports whether the rules approve app on their own, and if not,
// which rule it is outside of.
func (r *CreditRules) allow(app *CreditApplication, f applicantFacts) (bool, string) {
	switch {
	case r == nil:
		return false, "the store has no rules for automatic credit"
	case app.RequestedLimitMinor > r.MaxAutoLimitMinor:
		return false, fmt.Sprintf("the limit asked for is over %s", formatMinor(r.MaxAutoLimitMinor, Currency))
	case !f.ageKnown:
		return false, "the applicant registered no birth date"
	case f.age < r.MinAge:
		return false, fmt.Sprintf("the applicant is under %d", r.MinAge)
	case r.RequireVerifiedEmail && !f.emailVerified:
		return false, "the applicant's email address is not verified"
	case f.paidOrders < int64(r.MinPaidOrders):
		return false, fmt.Sprintf("the applicant has %d paid orders at the store, fewer than %d", f.paidOrders, r.MinPaidOrders)
	}
	return true, ""
}
