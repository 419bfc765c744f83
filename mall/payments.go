package mall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// PaymentStatus is what a provider says about a payment.
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending   PaymentStatus = "pending"
	PaymentSucceeded PaymentStatus = "succeeded"
	PaymentFailed    PaymentStatus = "failed"
)

// PaymentStart is a provider's answer to a new payment.
type PaymentStart struct {
	// Ref identifies the payment at the provider (a PaymentIntent id).
	Ref string
	// Status is PaymentSucceeded when the payment completed at once.
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
	// StartPayment creates the payment.
	StartPayment(ctx context.Context, r PaymentRequest) (PaymentStart, error)
	// Status re-reads a payment's status at the provider.
	Status(ctx context.Context, ref string) (PaymentStatus, error)
	// PublishableKey is handed to browsers that confirm payments ("" if none).
	PublishableKey() string
}

// IdempotencyKey derives the key of an order's payment attempt, so that a
// retried request for the same attempt can never charge twice.
func IdempotencyKey(orderID string, attempt int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("livemall/order/%s/attempt/%d", orderID, attempt)))
	return "lm_" + hex.EncodeToString(h[:16])
}

// Offline is the default provider: every payment succeeds at once and is
// marked as a test payment. No money moves.
type Offline struct{}

// Name implements PaymentProvider.
func (Offline) Name() string { return "offline" }

// Test implements PaymentProvider: offline payments are always test payments.
func (Offline) Test() bool { return true }

// StartPayment implements PaymentProvider.
func (Offline) StartPayment(_ context.Context, r PaymentRequest) (PaymentStart, error) {
	return PaymentStart{Ref: "offline_" + r.IdempotencyKey, Status: PaymentSucceeded}, nil
}

// Status implements PaymentProvider.
func (Offline) Status(context.Context, string) (PaymentStatus, error) { return PaymentSucceeded, nil }

// PublishableKey implements PaymentProvider.
func (Offline) PublishableKey() string { return "" }
