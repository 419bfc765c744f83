package mall

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// fault is what faultyStripe does to the next call instead of answering.
type fault int

const (
	answer        fault = iota
	timeoutBefore       // the request never reached Stripe
	timeoutAfter        // Stripe did the work; its answer was lost
	conflictAfter       // 409: a concurrent request with the same key holds it (and creates the intent)
	refused             // 400: Stripe refused the request and created nothing
)

// faultyStripe is the Stripe provider pointed at stripe-mock, with what
// stripe-mock (stateless, canned answers) cannot do: it remembers intents
// by idempotency key as Stripe does, keeps each intent in the state the
// test chooses, and injects timeouts and 409s before or after an intent is
// created. Every call that reaches "Stripe" is also sent to stripe-mock,
// so the requests are proven well-formed.
type faultyStripe struct {
	t    *testing.T
	real *Stripe

	mu       sync.Mutex
	byKey    map[string]string                     // idempotency key → intent id
	state    map[string]stripe.PaymentIntentStatus // intent id → status
	declined map[string]bool                       // intent id → a card was refused
	faults   map[string][]fault                    // method → faults for its next calls
	cancels  map[string]int                        // intent id → cancel calls that reached Stripe
}

func newFaultyStripe(t *testing.T) *faultyStripe {
	t.Helper()
	real, err := NewStripe(StripeConfig{SecretKey: "sk_test_livemall", PublishableKey: "pk_test_livemall", WebhookSecret: whsec, APIURL: stripeMockURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	return &faultyStripe{t: t, real: real, byKey: map[string]string{}, state: map[string]stripe.PaymentIntentStatus{},
		declined: map[string]bool{}, faults: map[string][]fault{}, cancels: map[string]int{}}
}

// inject queues faults for the next calls of method ("start", "lookup", "cancel").
func (p *faultyStripe) inject(method string, fs ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[method] = append(p.faults[method], fs...)
}

func (p *faultyStripe) next(method string) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.faults[method]) == 0 {
		return answer
	}
	f := p.faults[method][0]
	p.faults[method] = p.faults[method][1:]
	return f
}

// set puts an intent in a state, as the shopper's card and Stripe would.
func (p *faultyStripe) set(id string, st stripe.PaymentIntentStatus, declined bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[id], p.declined[id] = st, declined
}

// intents is how many PaymentIntents Stripe holds.
func (p *faultyStripe) intents() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byKey)
}

func (p *faultyStripe) canceled(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cancels[id]
}

func (p *faultyStripe) Name() string           { return "stripe" }
func (p *faultyStripe) Test() bool             { return true }
func (p *faultyStripe) PublishableKey() string { return p.real.PublishableKey() }

var errTimeout = fmt.Errorf("stripe: create payment intent: %w", context.DeadlineExceeded)

// intent is the PaymentIntent Stripe would return for id now.
func (p *faultyStripe) intent(id string) *stripe.PaymentIntent {
	p.mu.Lock()
	defer p.mu.Unlock()
	pi := &stripe.PaymentIntent{ID: id, ClientSecret: id + "_secret_test", Status: p.state[id]}
	if p.declined[id] {
		pi.LastPaymentError = &stripe.Error{Type: stripe.ErrorTypeCard, Code: stripe.ErrorCodeCardDeclined}
	}
	return pi
}

func (p *faultyStripe) StartPayment(ctx context.Context, r PaymentRequest) (PaymentStart, error) {
	f := p.next("start")
	switch f {
	case timeoutBefore:
		return PaymentStart{}, errTimeout
	case refused:
		return PaymentStart{}, fmt.Errorf("stripe: create payment intent: %w", notCreated(&stripe.Error{HTTPStatusCode: 400, Type: stripe.ErrorTypeInvalidRequest, Msg: "amount too small"}))
	}
	if _, err := p.real.StartPayment(ctx, r); err != nil {
		p.t.Errorf("stripe-mock refused the create request: %v", err)
		return PaymentStart{}, err
	}
	p.mu.Lock()
	id, ok := p.byKey[r.IdempotencyKey]
	if !ok { // Stripe creates it; the same key later returns it
		id = fmt.Sprintf("pi_test_%d_%s", len(p.byKey)+1, r.IdempotencyKey[3:11])
		p.byKey[r.IdempotencyKey] = id
		p.state[id] = stripe.PaymentIntentStatusRequiresPaymentMethod
	}
	p.mu.Unlock()
	switch f {
	case timeoutAfter:
		return PaymentStart{}, errTimeout
	case conflictAfter:
		return PaymentStart{}, fmt.Errorf("stripe: create payment intent: %w", notCreated(&stripe.Error{HTTPStatusCode: 409, Type: stripe.ErrorTypeInvalidRequest,
			Code: stripe.ErrorCodeIdempotencyKeyInUse, Msg: "There is currently another in-progress request using this Idempotent Key"}))
	}
	return intentState(p.intent(id)), nil
}

func (p *faultyStripe) Lookup(ctx context.Context, ref string) (PaymentStart, error) {
	if p.next("lookup") != answer {
		return PaymentStart{}, fmt.Errorf("stripe: read payment intent: %w", context.DeadlineExceeded)
	}
	if _, err := p.real.Lookup(ctx, ref); err != nil {
		p.t.Errorf("stripe-mock refused the read request: %v", err)
		return PaymentStart{}, err
	}
	return intentState(p.intent(ref)), nil
}

func (p *faultyStripe) Cancel(ctx context.Context, ref string) (PaymentStart, error) {
	if p.next("cancel") != answer {
		return PaymentStart{}, fmt.Errorf("stripe: cancel payment intent: %w", context.DeadlineExceeded)
	}
	if _, err := p.real.Cancel(ctx, ref); err != nil {
		p.t.Errorf("stripe-mock refused the cancel request: %v", err)
		return PaymentStart{}, err
	}
	p.mu.Lock()
	p.cancels[ref]++
	if p.state[ref] != stripe.PaymentIntentStatusSucceeded {
		p.state[ref] = stripe.PaymentIntentStatusCanceled
	}
	p.mu.Unlock()
	return intentState(p.intent(ref)), nil
}

// intentEvent returns a signed webhook about a PaymentIntent whose
// metadata names its order and attempt, as Stripe sends it.
func intentEvent(id, typ, intentID, orderID string, attempt int) ([]byte, string) {
	payload, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"data": map[string]any{"object": map[string]any{"id": intentID, "object": "payment_intent",
			"metadata": map[string]string{"order_id": orderID, "attempt": fmt.Sprint(attempt)}}}})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: whsec, Timestamp: time.Now()})
	return payload, sp.Header
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
