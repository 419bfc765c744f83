package mall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// PaymentRequest asks a provider to take a payment for one attempt.
type PaymentRequest struct {
	OrderID        string
	Attempt        int
	IdempotencyKey string
	AmountMinor    int64
	Currency       string
	Description    string
}

// PaymentStatus is where a payment attempt stands; it mirrors the payment
// at the provider (a Stripe PaymentIntent).
type PaymentStatus string

// Payment statuses. Pending, declined and unknown are open: the attempt
// holds the order's stock and its payment may still succeed.
const (
	// PaymentPending waits for the shopper to confirm the payment.
	PaymentPending PaymentStatus = "pending"
	// PaymentDeclined is a payment whose card was refused; it stays open
	// for another card (Stripe: requires_payment_method after an error).
	PaymentDeclined PaymentStatus = "declined"
	// PaymentUnknown is an attempt whose provider did not answer: the
	// payment may exist, and is looked up before anything else happens.
	// Providers never report it.
	PaymentUnknown PaymentStatus = "unknown"
	// PaymentSucceeded is paid.
	PaymentSucceeded PaymentStatus = "succeeded"
	// PaymentFailed is over without payment (Stripe: canceled).
	PaymentFailed PaymentStatus = "failed"
)

// openStatuses are the statuses of attempts whose payment may still
// succeed; such an attempt holds the order's stock.
var openStatuses = []PaymentStatus{PaymentPending, PaymentDeclined, PaymentUnknown}

// Open reports whether a payment in this status may still succeed.
func (s PaymentStatus) Open() bool {
	return s == PaymentPending || s == PaymentDeclined || s == PaymentUnknown
}

// ErrPaymentNotCreated wraps a provider's refusal that proves no payment
// was created (a malformed request, bad keys). Any other provider error
// leaves open whether the payment exists.
var ErrPaymentNotCreated = errors.New("the payment provider created no payment")

// PaymentStart is a provider's word on one payment: when it is created,
// looked up or canceled.
type PaymentStart struct {
	// Ref identifies the payment at the provider (a PaymentIntent id).
	Ref string
	// Status is the payment's status at the provider (never unknown).
	Status PaymentStatus
	// ClientSecret lets the browser confirm the payment (Stripe.js).
	ClientSecret string
}

// PaymentProvider takes payments. Implementations must be idempotent on
// PaymentRequest.IdempotencyKey: the same key never charges twice.
type PaymentProvider interface {
	// Name identifies the provider in orders ("offline", "stripe").
	Name() string
	// Test reports whether payments are pretend (no money moves).
	Test() bool
	// StartPayment creates the payment; with a key used before it returns
	// the payment created then (so it also finds a payment by its key).
	StartPayment(ctx context.Context, r PaymentRequest) (PaymentStart, error)
	// Lookup re-reads a payment at the provider.
	Lookup(ctx context.Context, ref string) (PaymentStart, error)
	// Cancel cancels an unconfirmed payment and returns its status after:
	// failed, or succeeded when it was paid first. Canceling a canceled
	// payment is no error.
	Cancel(ctx context.Context, ref string) (PaymentStart, error)
	// PublishableKey is handed to browsers that confirm payments ("" if none).
	PublishableKey() string
}

// IdempotencyKey derives the key of an order's payment attempt, so that a
// retried request for the same attempt can never charge twice.
func IdempotencyKey(orderID string, attempt int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("livemall/order/%s/attempt/%d", orderID, attempt)))
	return "lm_" + hex.EncodeToString(h[:16])
}

// Offline provides test payments, only when chosen (--payments offline,
// --demo): every payment succeeds at once and is marked as a test
// payment. No money moves.
type Offline struct{}

// Name implements PaymentProvider.
func (Offline) Name() string { return "offline" }

// Test implements PaymentProvider: offline payments are always test payments.
func (Offline) Test() bool { return true }

// StartPayment implements PaymentProvider.
func (Offline) StartPayment(_ context.Context, r PaymentRequest) (PaymentStart, error) {
	return PaymentStart{Ref: "offline_" + r.IdempotencyKey, Status: PaymentSucceeded}, nil
}

// Lookup implements PaymentProvider: offline payments succeeded.
func (Offline) Lookup(_ context.Context, ref string) (PaymentStart, error) {
	return PaymentStart{Ref: ref, Status: PaymentSucceeded}, nil
}

// Cancel implements PaymentProvider: an offline payment succeeded at once
// and cannot be canceled.
func (Offline) Cancel(_ context.Context, ref string) (PaymentStart, error) {
	return PaymentStart{Ref: ref, Status: PaymentSucceeded}, nil
}

// PublishableKey implements PaymentProvider.
func (Offline) PublishableKey() string { return "" }
