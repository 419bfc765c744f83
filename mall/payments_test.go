package mall

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/livemall/livemall/backend/apperr"
)

// stripeMockURL returns the URL of a stripe-mock server: the one named by
// LIVEMALL_TEST_STRIPE_MOCK_URL, or one started from .bin/stripe-mock or
// the PATH. Without either the test fails: `make test` installs it.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("LIVEMALL_TEST_STRIPE_MOCK_URL"); u != "" {
		return u
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		bin, _ = filepath.Abs("../.bin/stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("stripe-mock not found: run `make test`, or `GOBIN=$PWD/.bin go install github.com/stripe/stripe-mock@v0.203.0`")
		}
	}
	ports := make([]int, 2)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]), "-https-addr", fmt.Sprintf("127.0.0.1:%d", ports[1]))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url + "/v1/balance")
		if err == nil {
			res.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStripeProviderAgainstStripeMock(t *testing.T) {
	s, err := NewStripe(StripeConfig{SecretKey: "sk_test_livemall", PublishableKey: "pk_test_livemall", WebhookSecret: "whsec_test", APIURL: stripeMockURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := PaymentRequest{OrderID: "ord_1", Attempt: 1, IdempotencyKey: IdempotencyKey("ord_1", 1), AmountMinor: 4999, Currency: "EUR", Description: "test"}
	first, err := s.StartPayment(ctx, req)
	if err != nil || first.Ref == "" || first.ClientSecret == "" {
		t.Fatalf("create payment intent: %+v %v", first, err)
	}
	// A retry with the same key is a well-formed request too.
	again, err := s.StartPayment(ctx, req)
	if err != nil || again.Ref == "" {
		t.Fatalf("retry with the same key: %+v %v", again, err)
	}
	if st, err := s.Lookup(ctx, first.Ref); err != nil || st.Status == "" || st.ClientSecret == "" {
		t.Fatalf("re-read payment intent: %+v %v", st, err)
	}
	if st, err := s.Cancel(ctx, first.Ref); err != nil || st.Status != PaymentFailed || st.Ref != first.Ref {
		t.Fatalf("cancel payment intent: %+v %v", st, err)
	}
	if !s.Test() || s.Name() != "stripe" {
		t.Fatal("a sk_test_ key is a test provider named stripe")
	}
	for _, bad := range []StripeConfig{{SecretKey: "pk_x", WebhookSecret: "whsec_x"}, {SecretKey: "sk_test_x", WebhookSecret: "nope"}} {
		if _, err := NewStripe(bad); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
}

func TestIdempotencyKeyDependsOnOrderAndAttempt(t *testing.T) {
	a, b, c := IdempotencyKey("o1", 1), IdempotencyKey("o1", 2), IdempotencyKey("o2", 1)
	if a != IdempotencyKey("o1", 1) || a == b || a == c || b == c {
		t.Fatalf("keys %s %s %s", a, b, c)
	}
}

// scripted is a provider whose payments stay pending until the test says
// what Stripe would answer when re-read.
type scripted struct {
	mu     sync.Mutex
	status map[string]PaymentStatus
	starts map[string]int // idempotency key → calls
}

func (p *scripted) Name() string           { return "stripe" }
func (p *scripted) Test() bool             { return true }
func (p *scripted) PublishableKey() string { return "pk_test" }
func (p *scripted) StartPayment(_ context.Context, r PaymentRequest) (PaymentStart, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts[r.IdempotencyKey]++
	return PaymentStart{Ref: "pi_" + r.IdempotencyKey, ClientSecret: "secret", Status: PaymentPending}, nil
}
func (p *scripted) Lookup(_ context.Context, ref string) (PaymentStart, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.status[ref]; ok {
		return PaymentStart{Ref: ref, ClientSecret: "secret", Status: s}, nil
	}
	return PaymentStart{Ref: ref, ClientSecret: "secret", Status: PaymentPending}, nil
}
func (p *scripted) Cancel(_ context.Context, ref string) (PaymentStart, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.status[ref] != PaymentSucceeded {
		p.status[ref] = PaymentFailed
	}
	return PaymentStart{Ref: ref, Status: p.status[ref]}, nil
}
func (p *scripted) set(ref string, s PaymentStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[ref] = s
}

const whsec = "whsec_livemall_test"

// signed returns a webhook payload and its Stripe-Signature header.
func signed(id, typ, pi string, at time.Time, secret string) ([]byte, string) {
	payload, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"data": map[string]any{"object": map[string]any{"id": pi, "object": "payment_intent"}}})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return payload, sp.Header
}

func TestStripeWebhooksConfirmOnceAndNeverGoBackwards(t *testing.T) {
	prov := &scripted{status: map[string]PaymentStatus{}, starts: map[string]int{}}
	f := newShopFixture(t, prov)
	ctx := context.Background()
	wh := &StripeWebhook{Orders: f.orders, Secret: whsec}
	p := f.product("atelier-nord", false)
	before := f.stock(p.ID)
	s := guest(7)
	f.carts.AddItem(ctx, s, "atelier-nord", p.SKU, 1, nil)
	o, _ := f.orders.Checkout(ctx, s)
	pending, start, err := f.orders.Pay(ctx, s, o.ID)
	if err != nil || pending.State != OrderDraft || start.ClientSecret == "" {
		t.Fatalf("stripe pay: %+v %+v %v", pending, start, err)
	}
	if got := f.stock(p.ID); got != before-1 {
		t.Fatalf("stock not reserved at payment: %d", got)
	}
	// Paying again while pending returns the same PaymentIntent, looked up
	// by its id: no second intent, no second key.
	if _, again, err := f.orders.Pay(ctx, s, o.ID); err != nil || again.Ref != start.Ref || again.ClientSecret == "" {
		t.Fatalf("pay again: %+v %v, want intent %s", again, err, start.Ref)
	}
	if len(prov.starts) != 1 || prov.starts[IdempotencyKey(o.ID, 1)] != 1 {
		t.Fatalf("pay again created intents with keys %v, want the first attempt's key once", prov.starts)
	}
	ref := start.Ref

	// Refused webhooks change nothing.
	now := time.Now()
	payload, sig := signed("evt_1", "payment_intent.succeeded", ref, now, whsec)
	_, wrongSig := signed("evt_1", "payment_intent.succeeded", ref, now, "whsec_other")
	_, staleSig := signed("evt_1", "payment_intent.succeeded", ref, now.Add(-time.Hour), whsec)
	for name, header := range map[string]string{"no signature": "", "wrong secret": wrongSig, "stale timestamp": staleSig, "garbage": "t=1,v1=zz"} {
		if err := wh.Handle(ctx, payload, header); apperr.Code(err) != apperr.Invalid {
			t.Fatalf("%s: %v, want invalid", name, err)
		}
	}
	tampered := []byte(strings.Replace(string(payload), ref, "pi_other", 1))
	if err := wh.Handle(ctx, tampered, sig); apperr.Code(err) != apperr.Invalid {
		t.Fatalf("tampered payload: %v", err)
	}
	if o2, _ := f.orders.OrderOf(ctx, s, o.ID); o2.State != OrderDraft {
		t.Fatalf("a refused webhook moved the order to %s", o2.State)
	}

	// Stripe says succeeded: the order is confirmed, once.
	prov.set(ref, PaymentSucceeded)
	if err := wh.Handle(ctx, payload, sig); err != nil {
		t.Fatal(err)
	}
	if err := wh.Handle(ctx, payload, sig); err != nil { // replay
		t.Fatal(err)
	}
	evs, _ := f.orders.eventsOf(ctx, o.ID)
	confirmed, _ := f.orders.OrderOf(ctx, s, o.ID)
	if confirmed.State != OrderConfirmed || len(evs) != 3 {
		t.Fatalf("after success and replay: %s with %d events", confirmed.State, len(evs))
	}
	// A failure arriving late cannot move it back; stock stays taken.
	late, lateSig := signed("evt_2", "payment_intent.payment_failed", ref, time.Now(), whsec)
	if err := wh.Handle(ctx, late, lateSig); err != nil {
		t.Fatal(err)
	}
	if o3, _ := f.orders.OrderOf(ctx, s, o.ID); o3.State != OrderConfirmed || f.stock(p.ID) != before-1 {
		t.Fatalf("a late failure moved the order to %s / stock %d", o3.State, f.stock(p.ID))
	}
}

func TestStripeFailureReleasesStockAndAllowsANewAttempt(t *testing.T) {
	prov := &scripted{status: map[string]PaymentStatus{}, starts: map[string]int{}}
	f := newShopFixture(t, prov)
	ctx := context.Background()
	wh := &StripeWebhook{Orders: f.orders, Secret: whsec}
	p := f.product("little-comet-toys", false)
	before := f.stock(p.ID)
	s := guest(8)
	f.carts.AddItem(ctx, s, "little-comet-toys", p.SKU, 2, nil)
	o, _ := f.orders.Checkout(ctx, s)
	_, start, err := f.orders.Pay(ctx, s, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The intent is canceled at Stripe: the attempt fails, the stock is
	// released. (A mere payment_failed keeps the intent open: see
	// TestDeclineThenSuccessPaysOnceOnTheSameIntent.)
	prov.set(start.Ref, PaymentFailed)
	payload, sig := signed("evt_f", "payment_intent.canceled", start.Ref, time.Now(), whsec)
	if err := wh.Handle(ctx, payload, sig); err != nil {
		t.Fatal(err)
	}
	if got := f.stock(p.ID); got != before {
		t.Fatalf("stock after a failed payment %d, want %d", got, before)
	}
	_, again, err := f.orders.Pay(ctx, s, o.ID)
	if err != nil || again.Ref == start.Ref {
		t.Fatalf("second attempt: %+v %v", again, err)
	}
	if prov.starts[IdempotencyKey(o.ID, 2)] != 1 {
		t.Fatalf("the second attempt did not use attempt 2's key: %v", prov.starts)
	}
}
