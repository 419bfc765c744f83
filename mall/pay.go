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

// PaymentAttempt is one try at paying an order; it mirrors its payment at
// the provider (a PaymentIntent). Its idempotency key is stored before the
// provider is called. An open attempt (pending, declined, unknown) holds
// the order's stock until ExpiresAt.
type PaymentAttempt struct {
	ID             string        `gorm:"column:id;primaryKey"`
	OrderID        string        `gorm:"column:order_id"`
	Attempt        int           `gorm:"column:attempt"`
	IdempotencyKey string        `gorm:"column:idempotency_key"`
	Provider       string        `gorm:"column:provider"`
	ProviderRef    *string       `gorm:"column:provider_ref"`
	Status         PaymentStatus `gorm:"column:status"`
	AmountMinor    int64         `gorm:"column:amount_minor"`
	ExpiresAt      *time.Time    `gorm:"column:expires_at"`
	CreatedAt      time.Time     `gorm:"column:created_at"`
	UpdatedAt      time.Time     `gorm:"column:updated_at"`
}

// TableName tells GORM where payment attempts live.
func (PaymentAttempt) TableName() string { return "payment_attempts" }

// soldOut is a reservation that found too little stock.
type soldOut struct{ name string }

func (e soldOut) Error() string { return "sold out: " + e.name }

// errProviderSilent is returned while the provider does not answer about
// an attempt whose payment may exist.
var errProviderSilent = apperr.New(apperr.Unavailable, "the payment provider did not answer about your payment: try again in a moment")

// Pay starts paying the shopper's order, or returns the payment under way.
// First an attempt whose outcome is unknown is looked up at the provider.
// An open attempt's payment is returned, never a second one. Otherwise the
// stock is reserved and the attempt stored with its idempotency key in one
// transaction, then the provider asked. The offline provider succeeds at
// once and the order is confirmed; Stripe answers with a client secret and
// the webhook confirms. A provider error leaves the attempt unknown, its
// stock held.
func (os *Orders) Pay(ctx context.Context, s Shopper, id string) (*Order, *PaymentStart, error) {
	o, err := os.OrderOf(ctx, s, id)
	if err != nil {
		return nil, nil, err
	}
	if err := os.reconcile(ctx, o); err != nil {
		return nil, nil, err
	}
	if o, err = os.OrderOf(ctx, s, id); err != nil {
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
	open, err := os.openAttempt(ctx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	if open != nil {
		start, err := os.resume(ctx, open)
		if err != nil {
			return nil, nil, err
		}
		if start.Status != PaymentFailed {
			o, err = os.OrderOf(ctx, s, id)
			return o, start, err
		}
		// Canceled meanwhile (its stock is released): a new attempt follows.
		if o, err = os.OrderOf(ctx, s, id); err != nil {
			return nil, nil, err
		}
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
	start, err := os.provider.StartPayment(ctx, requestFor(o, att))
	if err != nil {
		return nil, nil, os.providerFailed(ctx, att, err)
	}
	if err := os.learn(ctx, att.ID, start, "payment:"+os.provider.Name(), "payment started"); err != nil {
		return nil, nil, err
	}
	o, err = os.OrderOf(ctx, s, id)
	return o, &start, err
}

// requestFor is the provider request of an order's attempt; repeating it
// with the attempt's key finds the payment it created.
func requestFor(o *Order, att *PaymentAttempt) PaymentRequest {
	return PaymentRequest{OrderID: o.ID, Attempt: att.Attempt, IdempotencyKey: att.IdempotencyKey,
		AmountMinor: att.AmountMinor, Currency: o.Currency, Description: "livemall order " + o.ID}
}

// providerFailed handles a provider error on att's payment: an error that
// proves nothing was created fails the attempt and releases its stock; any
// other leaves it unknown, holding the stock, until the payment is looked
// up.
func (os *Orders) providerFailed(ctx context.Context, att *PaymentAttempt, perr error) error {
	slog.Error("payment provider", "order", att.OrderID, "attempt", att.Attempt, "provider", os.provider.Name(), "err", perr)
	if errors.Is(perr, ErrPaymentNotCreated) {
		if err := os.apply(ctx, att.ID, PaymentFailed, "system", "the payment provider refused the payment"); err != nil {
			return err
		}
		return apperr.New(apperr.Unavailable, "the payment could not be started: try again in a moment")
	}
	if err := os.apply(ctx, att.ID, PaymentUnknown, "system", "the payment provider did not answer"); err != nil {
		return err
	}
	return errProviderSilent
}

// reconcile looks up the payment of the order's attempt whose outcome is
// unknown (by its reference, else by its idempotency key) and gives the
// attempt its real state. While the provider still does not answer it
// returns errProviderSilent: nothing else may happen to the order.
func (os *Orders) reconcile(ctx context.Context, o *Order) error {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Where("order_id = ? AND status = ?", o.ID, PaymentUnknown).Take(&att).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = os.lookUp(ctx, o, &att)
	return err
}

// lookUp re-reads att's payment at the provider and applies its state.
func (os *Orders) lookUp(ctx context.Context, o *Order, att *PaymentAttempt) (*PaymentStart, error) {
	var (
		start PaymentStart
		err   error
	)
	if att.ProviderRef != nil {
		start, err = os.provider.Lookup(ctx, *att.ProviderRef)
	} else {
		start, err = os.provider.StartPayment(ctx, requestFor(o, att))
	}
	if err != nil {
		if errors.Is(err, ErrPaymentNotCreated) {
			return nil, os.providerFailed(ctx, att, err)
		}
		slog.Error("look up payment", "order", att.OrderID, "attempt", att.Attempt, "err", err)
		return nil, errProviderSilent
	}
	if err := os.learn(ctx, att.ID, start, "payment:"+os.provider.Name(), "looked up the payment"); err != nil {
		return nil, err
	}
	return &start, nil
}

// resume returns the payment of the order's open attempt, as it is now at
// the provider (its client secret lets the card form go on).
func (os *Orders) resume(ctx context.Context, att *PaymentAttempt) (*PaymentStart, error) {
	if att.ProviderRef == nil {
		return nil, errProviderSilent
	}
	start, err := os.provider.Lookup(ctx, *att.ProviderRef)
	if err != nil {
		slog.Error("look up payment", "order", att.OrderID, "attempt", att.Attempt, "err", err)
		return nil, errProviderSilent
	}
	if err := os.learn(ctx, att.ID, start, "payment:"+os.provider.Name(), "looked up the payment"); err != nil {
		return nil, err
	}
	return &start, nil
}

// learn records the provider's reference of att's payment (when att had
// none) and applies the payment's status, in one transaction.
func (os *Orders) learn(ctx context.Context, attemptID string, start PaymentStart, actor, reason string) error {
	return os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if start.Ref != "" {
			if err := tx.Model(&PaymentAttempt{}).Where("id = ? AND provider_ref IS NULL", attemptID).Update("provider_ref", start.Ref).Error; err != nil {
				return err
			}
		}
		return applyTx(tx, attemptID, start.Status, actor, reason)
	})
}

// openAttempt returns the order's open attempt, or nil.
func (os *Orders) openAttempt(ctx context.Context, orderID string) (*PaymentAttempt, error) {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Where("order_id = ? AND status IN ?", orderID, openStatuses).Take(&att).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &att, nil
}

// reserve stores a new payment attempt and takes the order's stock, in one
// transaction; the hold on the stock ends after os.hold. An open attempt
// (stored meanwhile by a racing request) is a Conflict.
func (os *Orders) reserve(ctx context.Context, o *Order) (*PaymentAttempt, error) {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var done int64
		if err := tx.Model(&PaymentAttempt{}).Where("order_id = ? AND status IN ?", o.ID, append([]PaymentStatus{PaymentSucceeded}, openStatuses...)).Count(&done).Error; err != nil {
			return err
		}
		if done > 0 {
			return apperr.New(apperr.Conflict, "a payment for this order is under way")
		}
		var n int64
		if err := tx.Model(&PaymentAttempt{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		until := now.Add(os.hold)
		att = PaymentAttempt{ID: newID("pay"), OrderID: o.ID, Attempt: int(n) + 1, Provider: os.provider.Name(), Status: PaymentPending,
			AmountMinor: o.TotalMinor, ExpiresAt: &until, CreatedAt: now, UpdatedAt: now}
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

// releaseStock gives the order's reserved stock back in tx, once.
func releaseStock(tx *gorm.DB, orderID string) error {
	res := tx.Model(&Order{}).Where("id = ? AND stock_reserved", orderID).Updates(map[string]any{"stock_reserved": false, "updated_at": time.Now().UTC()})
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	lines, err := linesIn(tx, orderID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := tx.Model(&Product{}).Where("id = ?", l.ProductID).Update("stock", gorm.Expr("stock + ?", l.Quantity)).Error; err != nil {
			return err
		}
	}
	return nil
}

func linesIn(tx *gorm.DB, orderID string) ([]OrderLine, error) {
	var lines []OrderLine
	err := tx.Where("order_id = ?", orderID).Order("product_id").Find(&lines).Error
	return lines, err
}

// apply gives an attempt the status its payment has now, in one
// transaction (see applyTx).
func (os *Orders) apply(ctx context.Context, attemptID string, status PaymentStatus, actor, reason string) error {
	return os.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return applyTx(tx, attemptID, status, actor, reason)
	})
}

// applyTx gives an attempt the status its payment has now. Success pays the
// order exactly once, whatever came before: from an open attempt the order
// moves to paid and confirmed; a success reported after the attempt had
// failed takes the stock again when it can and pays the order if it is
// still payable, else it is logged for a refund. Failure releases the stock
// and leaves the order payable. Open statuses only follow one another: a
// succeeded or failed attempt never reopens. Each change is conditioned on
// the status read, so racing news (two nodes, a webhook and a sweep) apply
// once.
func applyTx(tx *gorm.DB, attemptID string, status PaymentStatus, actor, reason string) error {
	for range 5 {
		var att PaymentAttempt
		if err := tx.Where("id = ?", attemptID).Take(&att).Error; err != nil {
			return fmt.Errorf("load payment attempt: %w", err)
		}
		if att.Status == status || att.Status == PaymentSucceeded || (att.Status == PaymentFailed && status != PaymentSucceeded) {
			return nil
		}
		if status == PaymentUnknown && att.Status != PaymentPending {
			return nil // what is known stays known
		}
		now := time.Now().UTC()
		res := tx.Model(&PaymentAttempt{}).Where("id = ? AND status = ?", att.ID, att.Status).Updates(map[string]any{"status": status, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue // changed meanwhile: read it again
		}
		switch status {
		case PaymentSucceeded:
			return paidTx(tx, &att, actor, reason)
		case PaymentFailed:
			return releaseStock(tx, att.OrderID)
		}
		return nil
	}
	return apperr.New(apperr.Conflict, "the payment changed meanwhile: try again")
}

// paidTx moves the order of an attempt that just succeeded to paid and
// confirmed. When the attempt had failed before, its stock was released:
// it is taken again (in a savepoint, so a shortage leaves the success
// recorded). A success that cannot pay the order is logged for a refund.
func paidTx(tx *gorm.DB, att *PaymentAttempt, actor, reason string) error {
	var o Order
	if err := tx.Where("id = ?", att.OrderID).Take(&o).Error; err != nil {
		return err
	}
	if o.State != OrderDraft && o.State != OrderSigned {
		slog.Error("payment succeeded for an order that cannot be paid: refund it", "order", o.ID, "attempt", att.Attempt, "order_state", o.State)
		return nil
	}
	if att.Status == PaymentFailed {
		if o.StockReserved {
			slog.Error("payment succeeded after its attempt failed: refund it", "order", o.ID, "attempt", att.Attempt, "order_state", o.State)
			return nil
		}
		err := tx.Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&Order{}).Where("id = ? AND NOT stock_reserved", o.ID).Updates(map[string]any{"stock_reserved": true, "updated_at": time.Now().UTC()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "the order changed meanwhile")
			}
			if err := takeStock(tx, o.ID); err != nil {
				return err
			}
			return payTx(tx, &o, actor, reason)
		})
		if err != nil {
			slog.Error("payment succeeded after its attempt failed and cannot pay the order: refund it", "order", o.ID, "attempt", att.Attempt, "err", err)
		}
		return nil
	}
	return payTx(tx, &o, actor, reason)
}

// payTx moves a payable order to paid and confirmed in tx.
func payTx(tx *gorm.DB, o *Order, actor, reason string) error {
	if err := move(tx, o, OrderPaid, actor, reason); err != nil {
		return err
	}
	return move(tx, o, OrderConfirmed, "system", "paid in full")
}
