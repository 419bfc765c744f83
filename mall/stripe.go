package mall

import (
	"context"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// StripeConfig configures the Stripe provider.
type StripeConfig struct {
	SecretKey      string
	PublishableKey string
	// WebhookSecret checks the signature of Stripe's webhooks (whsec_…).
	WebhookSecret string
	// APIURL points at another API server (stripe-mock in tests); empty is
	// Stripe itself.
	APIURL string
}

// Stripe takes payments with Stripe PaymentIntents: the server creates the
// intent with an idempotency key, the browser confirms it with Stripe.js,
// and the webhook reports the outcome.
type Stripe struct {
	api *client.API
	cfg StripeConfig
}

// NewStripe returns the Stripe provider.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if !strings.HasPrefix(cfg.SecretKey, "sk_") {
		return nil, fmt.Errorf("stripe: the secret key must start with sk_")
	}
	if !strings.HasPrefix(cfg.WebhookSecret, "whsec_") {
		return nil, fmt.Errorf("stripe: the webhook secret must start with whsec_")
	}
	var backends *stripe.Backends
	if cfg.APIURL != "" {
		backends = &stripe.Backends{
			API:     stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(cfg.APIURL), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}),
			Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, &stripe.BackendConfig{URL: stripe.String(cfg.APIURL)}),
			Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, &stripe.BackendConfig{URL: stripe.String(cfg.APIURL)}),
		}
	}
	return &Stripe{api: client.New(cfg.SecretKey, backends), cfg: cfg}, nil
}

// Name implements PaymentProvider.
func (s *Stripe) Name() string { return "stripe" }

// Test implements PaymentProvider: test keys move no money.
func (s *Stripe) Test() bool { return strings.HasPrefix(s.cfg.SecretKey, "sk_test_") }

// PublishableKey implements PaymentProvider.
func (s *Stripe) PublishableKey() string { return s.cfg.PublishableKey }

// StartPayment implements PaymentProvider: it creates a PaymentIntent. The
// same idempotency key returns the same intent, never a second charge.
func (s *Stripe) StartPayment(ctx context.Context, r PaymentRequest) (PaymentStart, error) {
	params := &stripe.PaymentIntentParams{
		Amount:                  stripe.Int64(r.AmountMinor),
		Currency:                stripe.String(strings.ToLower(r.Currency)),
		Description:             stripe.String(r.Description),
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
	}
	params.Context = ctx
	params.SetIdempotencyKey(r.IdempotencyKey)
	params.AddMetadata("order_id", r.OrderID)
	params.AddMetadata("attempt", fmt.Sprint(r.Attempt))
	pi, err := s.api.PaymentIntents.New(params)
	if err != nil {
		return PaymentStart{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	return PaymentStart{Ref: pi.ID, ClientSecret: pi.ClientSecret, Status: stripeStatus(pi.Status)}, nil
}

// Status implements PaymentProvider: it re-reads the PaymentIntent.
func (s *Stripe) Status(ctx context.Context, ref string) (PaymentStatus, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := s.api.PaymentIntents.Get(ref, params)
	if err != nil {
		return "", fmt.Errorf("stripe: read payment intent: %w", err)
	}
	return stripeStatus(pi.Status), nil
}

// stripeStatus maps a PaymentIntent status to ours.
func stripeStatus(s stripe.PaymentIntentStatus) PaymentStatus {
	switch s {
	case stripe.PaymentIntentStatusSucceeded:
		return PaymentSucceeded
	case stripe.PaymentIntentStatusCanceled:
		return PaymentFailed
	}
	return PaymentPending
}
