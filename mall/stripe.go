package mall

import (
	"context"
	"errors"
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
// same idempotency key returns the same intent, never a second charge, so
// repeating the request also finds an intent whose creation went unanswered.
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
		return PaymentStart{}, fmt.Errorf("stripe: create payment intent: %w", notCreated(err))
	}
	return intentState(pi), nil
}

// notCreated marks the errors that prove Stripe created nothing: a request
// it refused as such (4xx), but not a conflict (409: the same key is in
// use), a rate limit or an idempotency error (the intent may exist).
func notCreated(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
		se.HTTPStatusCode != 409 && se.HTTPStatusCode != 429 && se.Type != stripe.ErrorTypeIdempotency {
		return fmt.Errorf("%w: %w", ErrPaymentNotCreated, err)
	}
	return err
}

// Lookup implements PaymentProvider: it re-reads the PaymentIntent.
func (s *Stripe) Lookup(ctx context.Context, ref string) (PaymentStart, error) {
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := s.api.PaymentIntents.Get(ref, params)
	if err != nil {
		return PaymentStart{}, fmt.Errorf("stripe: read payment intent: %w", err)
	}
	return intentState(pi), nil
}

// Cancel implements PaymentProvider: it cancels the PaymentIntent. Stripe
// refuses to cancel an intent that is canceled or succeeded already; the
// intent is then re-read and its real state returned.
func (s *Stripe) Cancel(ctx context.Context, ref string) (PaymentStart, error) {
	params := &stripe.PaymentIntentCancelParams{}
	params.Context = ctx
	pi, err := s.api.PaymentIntents.Cancel(ref, params)
	if err == nil {
		st := intentState(pi)
		st.Ref = ref
		if st.Status != PaymentSucceeded {
			st.Status = PaymentFailed // an answered cancel is a canceled intent
		}
		return st, nil
	}
	now, lerr := s.Lookup(ctx, ref)
	if lerr == nil && (now.Status == PaymentFailed || now.Status == PaymentSucceeded) {
		return now, nil
	}
	return PaymentStart{}, fmt.Errorf("stripe: cancel payment intent: %w", err)
}

// intentState maps a PaymentIntent to our word on it: requires_payment_method
// after a payment error is a decline (open for another card), canceled is
// failed, succeeded is paid, anything else waits.
func intentState(pi *stripe.PaymentIntent) PaymentStart {
	st := PaymentStart{Ref: pi.ID, ClientSecret: pi.ClientSecret, Status: PaymentPending}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		st.Status = PaymentSucceeded
	case stripe.PaymentIntentStatusCanceled:
		st.Status = PaymentFailed
	case stripe.PaymentIntentStatusRequiresPaymentMethod:
		if pi.LastPaymentError != nil {
			st.Status = PaymentDeclined
		}
	}
	return st
}
