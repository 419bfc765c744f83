package mall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// StoreCreditProvider names store credit in orders and payment attempts.
const StoreCreditProvider = "store_credit"

// formatMinor writes an amount for messages: 1234 → "12.34 EUR".
func formatMinor(minor int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
}

// PayWithCredit pays the member's order with their approved credit line at
// the order's store. The charge against the line's remaining limit, the
// payment attempt, the stock reservation and the moves to paid and
// confirmed are one transaction: an order over the remaining limit changes
// nothing. A sold-out product refuses the order, as Pay does.
func (os *Orders) PayWithCredit(ctx context.Context, s Shopper, id string) (*Order, error) {
	o, err := os.OrderOf(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if s.AccountID == "" {
		return nil, apperr.New(apperr.Conflict, "store credit is for members: sign in to pay with it")
	}
	switch o.State {
	case OrderDraft, OrderSigned:
	case OrderAwaitingVerification:
		return nil, apperr.New(apperr.Conflict, "this order holds age-restricted items: a sales agent must verify your age before you can pay")
	case OrderPaid, OrderConfirmed:
		return nil, apperr.New(apperr.Conflict, "this order is paid already")
	default:
		return nil, apperr.New(apperr.Conflict, "this order is %s and cannot be paid", humanState(o.State))
	}
	if err := mustBeSigned(o); err != nil {
		return nil, err
	}
	// A card payment whose outcome is unknown is looked up first: it may
	// have paid the order.
	if err := os.reconcile(ctx, o); err != nil {
		return nil, err
	}
	if o, err = os.OrderOf(ctx, s, id); err != nil {
		return nil, err
	}
	err = os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return chargeCredit(tx, o, s.AccountID)
	})
	var so soldOut
	if errors.As(err, &so) {
		if _, merr := os.Move(ctx, o.ID, OrderRefused, "system", "sold out: "+so.name); merr != nil {
			slog.Warn("refuse sold-out order", "order", o.ID, "err", merr)
		}
		return nil, apperr.New(apperr.Conflict, "%s sold out before you paid: your order was refused and nothing was charged", so.name)
	}
	if err != nil {
		return nil, err
	}
	return os.OrderOf(ctx, s, id)
}

// chargeCredit is PayWithCredit's transaction.
func chargeCredit(tx *gorm.DB, o *Order, accountID string) error {
	var pending int64
	if err := tx.Model(&PaymentAttempt{}).Where("order_id = ? AND status IN ?", o.ID, append([]PaymentStatus{PaymentSucceeded}, openStatuses...)).Count(&pending).Error; err != nil {
		return err
	}
	if pending > 0 {
		return apperr.New(apperr.Conflict, "a payment for this order is under way")
	}
	var line CreditApplication
	err := tx.Where("store_id = ? AND account_id = ? AND state = ?", o.StoreID, accountID, CreditApproved).Take(&line).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.New(apperr.Conflict, "you have no approved store credit at this store")
	}
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	// The condition keeps two payments racing for one limit from both passing.
	res := tx.Model(&CreditApplication{}).Where("id = ? AND state = ? AND used_minor + ? <= limit_minor", line.ID, CreditApproved, o.TotalMinor).
		Updates(map[string]any{"used_minor": gorm.Expr("used_minor + ?", o.TotalMinor), "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "this order (%s) is over your remaining store credit (%s): pay another way",
			formatMinor(o.TotalMinor, o.Currency), formatMinor(line.LimitMinor-line.UsedMinor, o.Currency))
	}
	if err := tx.Create(&creditCharge{OrderID: o.ID, ApplicationID: line.ID, AmountMinor: o.TotalMinor, CreatedAt: now}).Error; err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&PaymentAttempt{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
		return err
	}
	ref := line.ID
	att := PaymentAttempt{ID: newID("pay"), OrderID: o.ID, Attempt: int(n) + 1, Provider: StoreCreditProvider, ProviderRef: &ref,
		Status: PaymentSucceeded, AmountMinor: o.TotalMinor, CreatedAt: now, UpdatedAt: now}
	att.IdempotencyKey = IdempotencyKey(o.ID, att.Attempt)
	if err := tx.Create(&att).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return apperr.New(apperr.Conflict, "a payment for this order is under way")
		}
		return err
	}
	res = tx.Model(&Order{}).Where("id = ? AND state = ? AND NOT stock_reserved", o.ID, o.State).
		Updates(map[string]any{"stock_reserved": true, "payment_provider": StoreCreditProvider, "test_payment": false, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "the order changed meanwhile: reload it")
	}
	if err := takeStock(tx, o.ID); err != nil {
		return err
	}
	if err := move(tx, o, OrderPaid, "payment:"+StoreCreditProvider, "paid with store credit"); err != nil {
		return err
	}
	return move(tx, o, OrderConfirmed, "system", "paid in full")
}
