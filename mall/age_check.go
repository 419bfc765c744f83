package mall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// AgeCheck records one age check of an order: whether the member's
// registered birth date shows the age, and which agent saw them on live
// video, and when. The birth date itself is never stored here.
type AgeCheck struct {
	ID                int64      `gorm:"column:id;primaryKey"`
	OrderID           string     `gorm:"column:order_id"`
	AccountID         string     `gorm:"column:account_id"`
	RequiredAge       int        `gorm:"column:required_age"`
	BirthdateShowsAge bool       `gorm:"column:birthdate_shows_age"`
	CheckedBy         string     `gorm:"column:checked_by"`
	VideoConfirmedBy  *string    `gorm:"column:video_confirmed_by"`
	VideoConfirmedAt  *time.Time `gorm:"column:video_confirmed_at"`
	CheckedAt         time.Time  `gorm:"column:checked_at"`
}

// TableName tells GORM where age checks live.
func (AgeCheck) TableName() string { return "age_checks" }

// AgeChecks verifies shoppers' ages for orders with age-restricted lines:
// by the birth date they registered, backed by the agent's look at them on
// live video.
type AgeChecks struct {
	db       *gorm.DB
	accounts Accounts // the shoppers' birth dates
	witness  Witness  // nil: no age can be verified

	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// Witness is what age checks need from the contact center, which owns
// the engagements (agentdesk.Engagements implements it).
type Witness interface {
	// VideoWitness confirms that the agent is in an engagement with the
	// shopper and sees their live camera (avatar off); an error says why
	// not.
	VideoWitness(ctx context.Context, agentAccountID, shopperAccountID string) error
	// EndForRefusedOrder is told after an order was refused by an age check
	// (underage, or a guest), to end the call and tell the shopper why.
	EndForRefusedOrder(ctx context.Context, order *Order, reason string)
}

// NewAgeChecks returns the age check service; accounts tells the shoppers'
// birth dates, witness confirms live video and hears of refusals. Without a
// witness (nil) no age can be verified.
func NewAgeChecks(db *gorm.DB, accounts Accounts, witness Witness) *AgeChecks {
	return &AgeChecks{db: db, accounts: accounts, witness: witness, Now: time.Now}
}

// AgeCheckOutcome is what an age check did to the order.
type AgeCheckOutcome struct {
	Order *Order
	// Verified is true when the order may now be signed and paid; false
	// when it was refused, for Reason.
	Verified bool
	Reason   string
}

// requiredAge returns the highest age limit of the order's lines (0 if
// none) and the name of the line that sets it.
func requiredAge(tx *gorm.DB, orderID string) (int, string, error) {
	lines, err := linesIn(tx, orderID)
	if err != nil {
		return 0, "", err
	}
	age, name := 0, ""
	for _, l := range lines {
		if l.AgeLimit > age {
			age, name = l.AgeLimit, l.Name
		}
	}
	return age, name, nil
}

// AgeOn returns the age in whole years on day of someone born on birth
// (YYYY-MM-DD); ok is false for a date that does not parse.
func AgeOn(birth string, day time.Time) (age int, ok bool) {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return 0, false
	}
	age = day.Year() - b.Year()
	if day.Month() < b.Month() || (day.Month() == b.Month() && day.Day() < b.Day()) {
		age--
	}
	return age, true
}

// CheckAge runs the age check of an order on behalf of staff, who must work
// for the order's store (another store's order is NotFound). A guest's
// order and an underage member's order are refused; an of-age member's
// order needs the agent's confirmation on live video (videoConfirmed and
// the VideoWitness hook) and then moves to draft, ready to sign. The check
// and the move are one transaction.
func (ac *AgeChecks) CheckAge(ctx context.Context, staff *auth.Account, orderID string, videoConfirmed bool) (*AgeCheckOutcome, error) {
	return ac.checkAge(ctx, staff, orderID, videoConfirmed, nil)
}

// checkAge is CheckAge that also records ev, the agent's judgement with its
// still frame (nil: none), in the transaction that moves the order: as
// confirmed when the order is verified, as refused by the record when the
// birth date (or its absence) refuses it.
func (ac *AgeChecks) checkAge(ctx context.Context, staff *auth.Account, orderID string, videoConfirmed bool, ev *AgeJudgement) (*AgeCheckOutcome, error) {
	db := ac.db.WithContext(ctx)
	var o Order
	err := db.Where("id = ?", orderID).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (staff.StoreID == nil || *staff.StoreID != o.StoreID)) {
		return nil, apperr.New(apperr.NotFound, "no order %q in your store", orderID)
	}
	if err != nil {
		return nil, err
	}
	age, item, err := requiredAge(db, o.ID)
	if err != nil {
		return nil, err
	}
	if age == 0 {
		return nil, apperr.New(apperr.Conflict, "this order holds no age-restricted items: there is no age to check")
	}
	if o.State != OrderAwaitingVerification {
		return nil, apperr.New(apperr.Conflict, "this order is %s, not awaiting age verification", humanState(o.State))
	}
	actor := "staff:" + staff.ID
	if o.AccountID == nil {
		reason := fmt.Sprintf("guests cannot buy age-restricted items: sign up with your birth date to buy %s (%d+)", item, age)
		return ac.refuse(ctx, &o, actor, reason, nil, ev.refusedByRecord(o.ID, age, reason))
	}
	refs, err := ac.accounts.Refs(ctx, []string{*o.AccountID})
	if err != nil {
		return nil, fmt.Errorf("load shopper: %w", err)
	}
	shopper, ok := refs[*o.AccountID]
	if !ok {
		return nil, fmt.Errorf("load shopper: no account %s", *o.AccountID)
	}
	now := ac.Now().UTC()
	years, ok := AgeOn(shopper.BirthDate, now)
	if !ok {
		reason := fmt.Sprintf("the shopper's account has no birth date, so %s (%d+) cannot be sold to them", item, age)
		return ac.refuse(ctx, &o, actor, reason, nil, ev.refusedByRecord(o.ID, age, reason))
	}
	check := AgeCheck{OrderID: o.ID, AccountID: shopper.ID, RequiredAge: age, BirthdateShowsAge: years >= age, CheckedBy: staff.ID, CheckedAt: now}
	if !check.BirthdateShowsAge {
		reason := fmt.Sprintf("the shopper is under %d", age)
		return ac.refuse(ctx, &o, actor, reason, &check, ev.refusedByRecord(o.ID, age, reason))
	}
	if !videoConfirmed {
		return nil, apperr.New(apperr.Invalid, "confirm that you saw the shopper on live video (camera on, avatar off) before you verify their age")
	}
	if ac.witness == nil {
		return nil, apperr.New(apperr.Conflict, "live video cannot be confirmed here: verify the shopper's age during a video call with them")
	}
	if err := ac.witness.VideoWitness(ctx, staff.ID, shopper.ID); err != nil {
		if c := apperr.Code(err); c != apperr.Internal {
			return nil, err
		}
		slog.Warn("video witness", "order", o.ID, "err", err)
		return nil, apperr.New(apperr.Conflict, "the shopper's live video could not be confirmed: ask them to turn their camera on and try again")
	}
	check.VideoConfirmedBy, check.VideoConfirmedAt = &staff.ID, &now
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&check).Error; err != nil {
			return err
		}
		if ev != nil {
			ev.OrderID, ev.Decision, ev.RequiredAge = &o.ID, DecisionConfirmed, age
			if err := tx.Create(ev).Error; err != nil {
				return err
			}
		}
		return move(tx, &o, OrderDraft, actor, fmt.Sprintf("age %d+ verified by birth date and on live video by %s", age, staff.Name))
	})
	if err != nil {
		return nil, err
	}
	return &AgeCheckOutcome{Order: &o, Verified: true}, nil
}

// refuse moves the order to refused with the reason, recording check and
// ev if given, in one transaction; the witness is told after the commit.
func (ac *AgeChecks) refuse(ctx context.Context, o *Order, actor, reason string, check *AgeCheck, ev *AgeJudgement) (*AgeCheckOutcome, error) {
	err := ac.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if check != nil {
			if err := tx.Create(check).Error; err != nil {
				return err
			}
		}
		if ev != nil {
			if err := tx.Create(ev).Error; err != nil {
				return err
			}
		}
		return move(tx, o, OrderRefused, actor, reason)
	})
	if err != nil {
		return nil, err
	}
	if ac.witness != nil {
		ac.witness.EndForRefusedOrder(ctx, o, reason)
	}
	return &AgeCheckOutcome{Order: o, Reason: reason}, nil
}

// UnverifiedAgeRestrictedOrders returns the ids of orders that hold an
// age-restricted line and ever reached paid or confirmed without an age check
// that both showed the age by birth date and was confirmed on live video.
// It must always be empty; tests call it after their flows.
func UnverifiedAgeRestrictedOrders(ctx context.Context, db *gorm.DB) ([]string, error) {
	var ids []string
	err := db.WithContext(ctx).Raw(`
SELECT o.id FROM orders o
WHERE (o.state IN ('paid', 'confirmed')
    OR EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_state IN ('paid', 'confirmed')))
  AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.age_limit > 0)
  AND NOT EXISTS (
    SELECT 1 FROM age_checks c
    WHERE c.order_id = o.id AND c.birthdate_shows_age AND c.video_confirmed_by IS NOT NULL
      AND c.required_age >= (SELECT MAX(l.age_limit) FROM order_lines l WHERE l.order_id = o.id))
ORDER BY o.id`).Scan(&ids).Error
	return ids, err
}
