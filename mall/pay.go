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

// PaymentAttempt is one try at paying an order. Its idempotency key is
// stored before the provider is called.
type PaymentAttempt struct {
	ID             string        `gorm:"column:id;primaryKey"`
	OrderID        string        `gorm:"column:order_id"`
	Attempt        int           `gorm:"column:attempt"`
	IdempotencyKey string        `gorm:"column:idempotency_key"`
	Provider       string        `gorm:"column:provider"`
	ProviderRef    *string       `gorm:"column:provider_ref"`
	Status         PaymentStatus `gorm:"column:status"`
	AmountMinor    int64         `gorm:"column:amount_minor"`
	CreatedAt      time.Time     `gorm:"column:created_at"`
	UpdatedAt      time.Time     `gorm:"column:updated_at"`
}

// TableName tells GORM where payment attempts live.
func (PaymentAttempt) TableName() string { return "payment_attempts" }

// soldOut is a reservation that found too little stock.
type soldOut struct{ name string }

func (e soldOut) Error() string { return "sold out: " + e.name }

// Pay starts paying the shopper's order. It reserves the stock and stores
// the attempt with its idempotency key in one transaction, then asks the
// provider. The offline provider succeeds at once and the order is
// confirmed; Stripe answers with a client secret and the webhook confirms.
// Paying again while an attempt is pending retries it with the same key.
func (os *Orders) Pay(ctx context.Context, s Shopper, id string) (*Order, *PaymentStart, error) {
	o, err := os.OrderOf(ctx, s, id)
	if err != nil {
		return nil, nil, err
	}
	switch o.State {
	case OrderDraft, OrderSigned:
	case OrderAwaitingVerification:
		return nil, nil, apperr.New(apperr.Conflict, "this order holds age-restricted items: a sales agent must verify your age before you can pay")
	case OrderPaid, OrderConfirmed:
		return nil, nil, apperr.New(apperr.Conflict, "this order is paid already")
	default:
		return nil, nil, apperr.New(apperr.Conflict, "this order is %s and cannot be paid", humanState(o.State))
	}
	if err := mustBeSigned(o); err != nil {
		return nil, nil, err
	}
	att, err := os.reserve(ctx, o)
	var so soldOut
	if errors.As(err, &so) {
		if _, merr := os.Move(ctx, o.ID, OrderRefused, "system", "sold out: "+so.name); merr != nil {
			slog.Warn("refuse sold-out order", "order", o.ID, "err", merr)
		}
		return nil, nil, apperr.New(apperr.Conflict, "%s sold out before you paid: your order was refused and nothing was charged", so.name)
	}
	if err != nil {
		return nil, nil, err
	}
	start, err := os.provider.StartPayment(ctx, PaymentRequest{OrderID: o.ID, Attempt: att.Attempt, IdempotencyKey: att.IdempotencyKey,
		AmountMinor: o.TotalMinor, Currency: o.Currency, Description: "livemall order " + o.ID})
	if err != nil {
		slog.Error("start payment", "order", o.ID, "provider", os.provider.Name(), "err", err)
		if serr := os.settle(ctx, att.ID, PaymentFailed, "system", "the payment provider failed"); serr != nil {
			slog.Error("release failed payment", "order", o.ID, "err", serr)
		}
		return nil, nil, apperr.New(apperr.Unavailable, "the payment could not be started: try again in a moment")
	}
	if err := os.db.WithContext(ctx).Model(&PaymentAttempt{}).Where("id = ?", att.ID).Update("provider_ref", start.Ref).Error; err != nil {
		return nil, nil, err
	}
	if start.Status == PaymentSucceeded {
		if err := os.settle(ctx, att.ID, PaymentSucceeded, "payment:"+os.provider.Name(), "payment succeeded"); err != nil {
			return nil, nil, err
		}
	}
	o, err = os.OrderOf(ctx, s, id)
	return o, &start, err
}

// reserve stores the payment attempt and takes the order's stock, in one
// transaction. A pending attempt is reused, so a retry keeps its key.
func (os *Orders) reserve(ctx context.Context, o *Order) (*PaymentAttempt, error) {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("order_id = ? AND status = ?", o.ID, PaymentPending).Take(&att).Error
		if err == nil {
			return nil // retry of the pending attempt
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		var done int64
		if err := tx.Model(&PaymentAttempt{}).Where("order_id = ? AND status = ?", o.ID, PaymentSucceeded).Count(&done).Error; err != nil {
			return err
		}
		if done > 0 {
			return apperr.New(apperr.Conflict, "this order is paid already")
		}
		var n int64
		if err := tx.Model(&PaymentAttempt{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		att = PaymentAttempt{ID: newID("pay"), OrderID: o.ID, Attempt: int(n) + 1, Provider: os.provider.Name(), Status: PaymentPending,
			AmountMinor: o.TotalMinor, CreatedAt: now, UpdatedAt: now}
		att.IdempotencyKey = IdempotencyKey(o.ID, att.Attempt)
		if err := tx.Create(&att).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apperr.New(apperr.Conflict, "a payment for this order is under way")
			}
			return err
		}
		// Only an order still in the state we read may be paid.
		res := tx.Model(&Order{}).Where("id = ? AND state = ? AND NOT stock_reserved", o.ID, o.State).
			Updates(map[string]any{"stock_reserved": true, "payment_provider": os.provider.Name(), "test_payment": os.provider.Test(), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apperr.New(apperr.Conflict, "the order changed meanwhile: reload it")
		}
		return takeStock(tx, o.ID)
	})
	if err != nil {
		return nil, err
	}
	return &att, nil
}

// takeStock takes the order's quantities from stock in tx; a product with
// too little left is soldOut.
func takeStock(tx *gorm.DB, orderID string) error {
	lines, err := linesIn(tx, orderID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		res := tx.Model(&Product{}).Where("id = ? AND stock >= ? AND retired_at IS NULL", l.ProductID, l.Quantity).
			Update("stock", gorm.Expr("stock - ?", l.Quantity))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return soldOut{name: l.Name}
		}
	}
	return nil
}

func linesIn(tx *gorm.DB, orderID string) ([]OrderLine, error) {
	var lines []OrderLine
	err := tx.Where("order_id = ?", orderID).Order("product_id").Find(&lines).Error
	return lines, err
}

// settle applies a payment's outcome, once: a settled attempt is never
// changed again, so late or repeated news cannot move an order backwards.
// Success moves the order to paid and confirmed; failure gives the stock
// back and leaves the order payable.
func (os *Orders) settle(ctx context.Context, attemptID string, status PaymentStatus, actor, reason string) error {
	return os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return settleTx(tx, attemptID, status, actor, reason)
	})
}

func settleTx(tx *gorm.DB, attemptID string, status PaymentStatus, actor, reason string) error {
	if status == PaymentPending {
		return nil
	}
	var att PaymentAttempt
	if err := tx.Where("id = ?", attemptID).Take(&att).Error; err != nil {
		return fmt.Errorf("load payment attempt: %w", err)
	}
	now := time.Now().UTC()
	res := tx.Model(&PaymentAttempt{}).Where("id = ? AND status = ?", att.ID, PaymentPending).Updates(map[string]any{"status": status, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil // settled before
	}
	var o Order
	if err := tx.Where("id = ?", att.OrderID).Take(&o).Error; err != nil {
		return err
	}
	if status == PaymentSucceeded {
		if err := move(tx, &o, OrderPaid, actor, reason); err != nil {
			return err
		}
		return move(tx, &o, OrderConfirmed, "system", "paid in full")
	}
	lines, err := linesIn(tx, o.ID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := tx.Model(&Product{}).Where("id = ?", l.ProductID).Update("stock", gorm.Expr("stock + ?", l.Quantity)).Error; err != nil {
			return err
		}
	}
	return tx.Model(&Order{}).Where("id = ?", o.ID).Updates(map[string]any{"stock_reserved": false, "updated_at": now}).Error
}
