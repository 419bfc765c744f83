package mall

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/livemall/livemall/backend/apperr"
)

// stripeOrder is a guest's order of one product, checked out, with the
// product's stock before it was paid.
type stripeOrder struct {
	s      Shopper
	o      *Order
	p      *Product
	before int
}

func (f *shopFixture) stripeOrder(n int, store string) stripeOrder {
	f.t.Helper()
	ctx := context.Background()
	p := f.product(store, false)
	s := guest(n)
	if _, err := f.carts.AddItem(ctx, s, store, p.SKU, 1, nil); err != nil {
		f.t.Fatal(err)
	}
	before := f.stock(p.ID)
	o, err := f.orders.Checkout(ctx, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return stripeOrder{s: s, o: o, p: p, before: before}
}

// state returns the order's state and, when a payment is under way, its
// status as the shopper sees it.
func (f *shopFixture) state(so stripeOrder) (OrderState, PaymentStatus, string) {
	f.t.Helper()
	o, err := f.orders.OrderOf(context.Background(), so.s, so.o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	v, err := f.orders.View(context.Background(), o)
	if err != nil {
		f.t.Fatal(err)
	}
	if v.Payment == nil {
		return o.State, "", ""
	}
	return o.State, v.Payment.Status, v.Payment.Message
}

// attempts lists the statuses of the order's payment attempts, in order.
func (f *shopFixture) attempts(orderID string) []PaymentStatus {
	f.t.Helper()
	var out []PaymentStatus
	f.orders.db.Model(&PaymentAttempt{}).Where("order_id = ?", orderID).Order("attempt").Pluck("status", &out)
	return out
}

func TestDeclineThenSuccessPaysOnceOnTheSameIntent(t *testing.T) {
	prov := newFaultyStripe(t)
	f := newShopFixture(t, prov)
	ctx := context.Background()
	wh := &StripeWebhook{Orders: f.orders, Secret: whsec}
	handle := func(payload []byte, sig string) error { return wh.Handle(ctx, payload, sig) }
	so := f.stripeOrder(11, "atelier-nord")
	_, start, err := f.orders.Pay(ctx, so.s, so.o.ID)
	if err != nil || start.ClientSecret == "" {
		t.Fatalf("pay: %+v %v", start, err)
	}
	held := so.before - 1

	// The card is declined: the intent needs another payment method.
	prov.set(start.Ref, stripe.PaymentIntentStatusRequiresPaymentMethod, true)
	if err := handle(signed("evt_decline", "payment_intent.payment_failed", start.Ref, time.Now(), whsec)); err != nil {
		t.Fatal(err)
	}
	st, pay, msg := f.state(so)
	if st != OrderDraft || pay != PaymentDeclined || !strings.Contains(msg, "try another card") || f.stock(so.p.ID) != held {
		t.Fatalf("after a decline: order %s, payment %s %q, stock %d; want draft, declined, stock %d still held", st, pay, msg, f.stock(so.p.ID), held)
	}

	// Paying again returns the same intent: no second PaymentIntent.
	_, again, err := f.orders.Pay(ctx, so.s, so.o.ID)
	if err != nil || again.Ref != start.Ref || again.ClientSecret == "" || again.Status != PaymentDeclined {
		t.Fatalf("pay after a decline: %+v %v; want intent %s again", again, err, start.Ref)
	}
	if prov.intents() != 1 {
		t.Fatalf("%d PaymentIntents after paying twice, want 1", prov.intents())
	}

	// The card form retries with another card and Stripe says succeeded.
	prov.set(start.Ref, stripe.PaymentIntentStatusSucceeded, false)
	okBody, okSig := signed("evt_ok", "payment_intent.succeeded", start.Ref, time.Now(), whsec)
	lateBody, lateSig := signed("evt_late", "payment_intent.payment_failed", start.Ref, time.Now(), whsec)
	// The success, its replay, and the decline arriving late again.
	for _, ev := range []struct {
		body []byte
		sig  string
	}{{okBody, okSig}, {okBody, okSig}, {lateBody, lateSig}} {
		if err := handle(ev.body, ev.sig); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := f.orders.eventsOf(ctx, so.o.ID)
	if st, pay, _ := f.state(so); st != OrderConfirmed || pay != "" || len(evs) != 3 || f.stock(so.p.ID) != held {
		t.Fatalf("after success: order %s (payment %q) with %d events, stock %d; want confirmed once, 3 events, stock %d", st, pay, len(evs), f.stock(so.p.ID), held)
	}
	if got := f.attempts(so.o.ID); len(got) != 1 || got[0] != PaymentSucceeded {
		t.Fatalf("attempts %v, want one succeeded", got)
	}
	if _, _, err := f.orders.Pay(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Conflict || prov.intents() != 1 {
		t.Fatalf("pay a paid order: %v, %d intents", err, prov.intents())
	}

	// Whatever came before: an attempt an older version marked failed on a
	// decline (releasing its stock) still pays its order, once, when its
	// intent succeeds.
	old := f.stripeOrder(12, "atelier-nord")
	_, oldStart, err := f.orders.Pay(ctx, old.s, old.o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.orders.db.Exec("UPDATE payment_attempts SET status = 'failed' WHERE order_id = ?", old.o.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := releaseStock(f.orders.db, old.o.ID); err != nil {
		t.Fatal(err)
	}
	stock := f.stock(old.p.ID)
	prov.set(oldStart.Ref, stripe.PaymentIntentStatusSucceeded, false)
	for _, id := range []string{"evt_old_ok", "evt_old_ok_again"} {
		if err := handle(signed(id, "payment_intent.succeeded", oldStart.Ref, time.Now(), whsec)); err != nil {
			t.Fatal(err)
		}
	}
	if st, _, _ := f.state(old); st != OrderConfirmed || f.stock(old.p.ID) != stock-1 {
		t.Fatalf("a success after a failure: order %s, stock %d; want confirmed, stock %d", st, f.stock(old.p.ID), stock-1)
	}
}

func TestProviderErrorIsReconciledBeforeAnyNewIntent(t *testing.T) {
	tests := []struct {
		name   string
		fault  fault
		intent bool // the failed request created the intent
	}{
		{"timeout after the intent was created", timeoutAfter, true},
		{"409 while a concurrent request creates it", conflictAfter, true},
		{"timeout before Stripe saw the request", timeoutBefore, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prov := newFaultyStripe(t)
			f := newShopFixture(t, prov)
			ctx := context.Background()
			so := f.stripeOrder(20+i, "little-comet-toys")
			prov.inject("start", tt.fault)
			if _, _, err := f.orders.Pay(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Unavailable {
				t.Fatalf("pay with a provider error: %v, want unavailable", err)
			}
			if st, pay, _ := f.state(so); st != OrderDraft || pay != PaymentUnknown || f.stock(so.p.ID) != so.before-1 {
				t.Fatalf("after the error: order %s, payment %q, stock %d; want draft, unknown, stock held", st, pay, f.stock(so.p.ID))
			}
			if want := map[bool]int{true: 1, false: 0}[tt.intent]; prov.intents() != want {
				t.Fatalf("%d intents after the error, want %d", prov.intents(), want)
			}
			// The provider still does not answer: nothing else happens to the order.
			prov.inject("start", timeoutBefore)
			if _, _, err := f.orders.Pay(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Unavailable {
				t.Fatalf("pay while the provider is silent: %v", err)
			}
			prov.inject("start", timeoutBefore)
			if _, err := f.orders.Abandon(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Unavailable {
				t.Fatalf("abandon while the provider is silent: %v", err)
			}
			if got := f.attempts(so.o.ID); len(got) != 1 || got[0] != PaymentUnknown {
				t.Fatalf("attempts %v, want the one unknown", got)
			}
			// It answers: the next Pay finds the intent by the attempt's key
			// and returns it; no second attempt, no second intent.
			_, start, err := f.orders.Pay(ctx, so.s, so.o.ID)
			if err != nil || start.Ref == "" || start.ClientSecret == "" {
				t.Fatalf("pay once the provider answers: %+v %v", start, err)
			}
			if got := f.attempts(so.o.ID); prov.intents() != 1 || len(got) != 1 || got[0] != PaymentPending {
				t.Fatalf("%d intents, attempts %v; want 1 intent, one pending attempt", prov.intents(), got)
			}
			_, again, err := f.orders.Pay(ctx, so.s, so.o.ID)
			if err != nil || again.Ref != start.Ref || prov.intents() != 1 {
				t.Fatalf("pay again: %+v %v, %d intents; want intent %s", again, err, prov.intents(), start.Ref)
			}
		})
	}

	t.Run("the intent succeeded meanwhile: reconciling pays the order", func(t *testing.T) {
		prov := newFaultyStripe(t)
		f := newShopFixture(t, prov)
		ctx := context.Background()
		so := f.stripeOrder(30, "little-comet-toys")
		prov.inject("start", timeoutAfter)
		f.orders.Pay(ctx, so.s, so.o.ID)
		prov.mu.Lock()
		id := prov.byKey[IdempotencyKey(so.o.ID, 1)]
		prov.mu.Unlock()
		prov.set(id, stripe.PaymentIntentStatusSucceeded, false)
		if _, _, err := f.orders.Pay(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Conflict || !strings.Contains(err.Error(), "paid already") {
			t.Fatalf("pay after the lost success: %v, want paid already", err)
		}
		if st, _, _ := f.state(so); st != OrderConfirmed || prov.intents() != 1 || f.stock(so.p.ID) != so.before-1 {
			t.Fatalf("order %s, %d intents, stock %d", st, prov.intents(), f.stock(so.p.ID))
		}
	})

	t.Run("the webhook names the intent of an unknown attempt", func(t *testing.T) {
		prov := newFaultyStripe(t)
		f := newShopFixture(t, prov)
		ctx := context.Background()
		wh := &StripeWebhook{Orders: f.orders, Secret: whsec}
		handle := func(payload []byte, sig string) error { return wh.Handle(ctx, payload, sig) }
		so := f.stripeOrder(31, "little-comet-toys")
		prov.inject("start", conflictAfter)
		f.orders.Pay(ctx, so.s, so.o.ID)
		prov.mu.Lock()
		id := prov.byKey[IdempotencyKey(so.o.ID, 1)]
		prov.mu.Unlock()
		prov.set(id, stripe.PaymentIntentStatusSucceeded, false)
		if err := handle(intentEvent("evt_named", "payment_intent.succeeded", id, so.o.ID, 1)); err != nil {
			t.Fatal(err)
		}
		if st, _, _ := f.state(so); st != OrderConfirmed || prov.intents() != 1 {
			t.Fatalf("order %s, %d intents; want confirmed by the webhook", st, prov.intents())
		}
	})

	t.Run("a refusal that created nothing fails the attempt and frees the stock", func(t *testing.T) {
		prov := newFaultyStripe(t)
		f := newShopFixture(t, prov)
		ctx := context.Background()
		so := f.stripeOrder(32, "little-comet-toys")
		prov.inject("start", refused)
		if _, _, err := f.orders.Pay(ctx, so.s, so.o.ID); apperr.Code(err) != apperr.Unavailable {
			t.Fatalf("pay refused by the provider: %v", err)
		}
		if got := f.attempts(so.o.ID); len(got) != 1 || got[0] != PaymentFailed || f.stock(so.p.ID) != so.before {
			t.Fatalf("attempts %v, stock %d; want one failed, stock %d", got, f.stock(so.p.ID), so.before)
		}
		if _, start, err := f.orders.Pay(ctx, so.s, so.o.ID); err != nil || start.Ref == "" || len(f.attempts(so.o.ID)) != 2 {
			t.Fatalf("pay again: %+v %v", start, err)
		}
	})
}

func TestUnconfirmedPaymentReleasesStockAfterTheHold(t *testing.T) {
	prov := newFaultyStripe(t)
	f := newShopFixture(t, prov)
	ctx := context.Background()
	hold := f.orders.Hold()
	if hold != DefaultPaymentHold {
		t.Fatalf("hold %v, want the default %v", hold, DefaultPaymentHold)
	}
	open := f.stripeOrder(40, "casa-cucina")
	declined := f.stripeOrder(41, "casa-cucina")
	paid := f.stripeOrder(42, "casa-cucina")
	refs := map[string]string{}
	for _, so := range []stripeOrder{open, declined, paid} {
		_, start, err := f.orders.Pay(ctx, so.s, so.o.ID)
		if err != nil {
			t.Fatal(err)
		}
		refs[so.o.ID] = start.Ref
	}
	prov.set(refs[declined.o.ID], stripe.PaymentIntentStatusRequiresPaymentMethod, true)
	f.orders.reconcile(ctx, declined.o)
	if err := f.orders.apply(ctx, f.openID(declined.o.ID), PaymentDeclined, "test", "declined"); err != nil {
		t.Fatal(err)
	}
	// Paid at Stripe, but its webhook has not arrived yet.
	prov.set(refs[paid.o.ID], stripe.PaymentIntentStatusSucceeded, false)
	stock := f.stock(open.p.ID)

	// Within the hold nothing is released.
	if n, err := f.orders.ExpireHolds(ctx, time.Now().Add(hold-time.Minute)); err != nil || n != 0 || f.stock(open.p.ID) != stock {
		t.Fatalf("within the hold: %d closed, %v, stock %d (was %d)", n, err, f.stock(open.p.ID), stock)
	}
	// After it, from two nodes at once: each intent is canceled at Stripe,
	// then its stock released, once.
	other := NewOrders(f.orders.db, f.carts, prov, 0, nil)
	var wg sync.WaitGroup
	closed := make([]int, 2)
	for i, os := range []*Orders{f.orders, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := os.ExpireHolds(ctx, time.Now().Add(hold+time.Second))
			if err != nil {
				t.Error(err)
			}
			closed[i] = n
		}()
	}
	wg.Wait()
	if closed[0]+closed[1] != 3 {
		t.Fatalf("the two sweeps closed %v attempts, want 3 in all", closed)
	}
	for _, so := range []stripeOrder{open, declined} {
		if st, pay, _ := f.state(so); st != OrderDraft || pay != "" || prov.canceled(refs[so.o.ID]) != 1 {
			t.Fatalf("expired order: %s, payment %q, intent canceled %d times; want draft, none, once", st, pay, prov.canceled(refs[so.o.ID]))
		}
	}
	if got := f.stock(open.p.ID); got != stock+2 {
		t.Fatalf("stock after the hold %d, want %d (two holds released, the paid one kept)", got, stock+2)
	}
	if st, _, _ := f.state(paid); st != OrderConfirmed {
		t.Fatalf("the order paid before its hold ended is %s, want confirmed", st)
	}
	// The released order can be paid again, with a new intent.
	if _, start, err := f.orders.Pay(ctx, open.s, open.o.ID); err != nil || start.Ref == refs[open.o.ID] {
		t.Fatalf("pay after the hold: %+v %v", start, err)
	}

	// The sweep a node runs ends holds by itself.
	short := NewOrders(f.orders.db, f.carts, prov, 50*time.Millisecond, nil)
	so := stripeOrder{s: guest(43), p: f.product("casa-cucina", false)}
	f.carts.AddItem(ctx, so.s, "casa-cucina", so.p.SKU, 1, nil)
	so.before = f.stock(so.p.ID)
	so.o, _ = short.Checkout(ctx, so.s)
	if _, _, err := short.Pay(ctx, so.s, so.o.ID); err != nil {
		t.Fatal(err)
	}
	sweepCtx, stop := context.WithCancel(ctx)
	defer stop()
	go short.SweepHolds(sweepCtx, 10*time.Millisecond)
	waitUntil(t, 10*time.Second, "the sweep to release the stock", func() bool { return f.stock(so.p.ID) == so.before })
}

// openID returns the id of the order's open attempt.
func (f *shopFixture) openID(orderID string) string {
	f.t.Helper()
	att, err := f.orders.openAttempt(context.Background(), orderID)
	if err != nil || att == nil {
		f.t.Fatalf("no open attempt: %v", err)
	}
	return att.ID
}

func TestAbandonCancelsTheOpenIntent(t *testing.T) {
	prov := newFaultyStripe(t)
	f := newShopFixture(t, prov)
	ctx := context.Background()
	pay := func(so stripeOrder) string {
		t.Helper()
		_, start, err := f.orders.Pay(ctx, so.s, so.o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return start.Ref
	}

	// An unconfirmed intent, and a declined one: canceled, stock back, abandoned.
	for i, declined := range []bool{false, true} {
		so := f.stripeOrder(50+i, "north-peak-outfitters")
		ref := pay(so)
		prov.set(ref, stripe.PaymentIntentStatusRequiresPaymentMethod, declined)
		o, err := f.orders.Abandon(ctx, so.s, so.o.ID)
		if err != nil || o.State != OrderAbandoned {
			t.Fatalf("abandon (declined %v): %+v %v", declined, o, err)
		}
		if prov.canceled(ref) != 1 || f.stock(so.p.ID) != so.before {
			t.Fatalf("abandon (declined %v): intent canceled %d times, stock %d; want once, %d", declined, prov.canceled(ref), f.stock(so.p.ID), so.before)
		}
		if got := f.attempts(so.o.ID); len(got) != 1 || got[0] != PaymentFailed {
			t.Fatalf("attempts %v, want one failed", got)
		}
	}

	// Stripe does not answer the cancel: nothing changes.
	silent := f.stripeOrder(52, "north-peak-outfitters")
	ref := pay(silent)
	prov.inject("cancel", timeoutBefore)
	if _, err := f.orders.Abandon(ctx, silent.s, silent.o.ID); apperr.Code(err) != apperr.Unavailable {
		t.Fatalf("abandon while Stripe is silent: %v", err)
	}
	if st, p, _ := f.state(silent); st != OrderDraft || p != PaymentPending || f.stock(silent.p.ID) != silent.before-1 {
		t.Fatalf("after a failed cancel: %s %s stock %d", st, p, f.stock(silent.p.ID))
	}
	// It was paid meanwhile: the order is paid, not abandoned.
	prov.set(ref, stripe.PaymentIntentStatusSucceeded, false)
	if _, err := f.orders.Abandon(ctx, silent.s, silent.o.ID); apperr.Code(err) != apperr.Conflict || !strings.Contains(err.Error(), "paid meanwhile") {
		t.Fatalf("abandon a paid order: %v", err)
	}
	if st, _, _ := f.state(silent); st != OrderConfirmed || f.stock(silent.p.ID) != silent.before-1 {
		t.Fatalf("after abandoning a paid order: %s, stock %d", st, f.stock(silent.p.ID))
	}
	// An unknown attempt is looked up, then its intent canceled.
	unknown := f.stripeOrder(53, "north-peak-outfitters")
	prov.inject("start", timeoutAfter)
	f.orders.Pay(ctx, unknown.s, unknown.o.ID)
	if o, err := f.orders.Abandon(ctx, unknown.s, unknown.o.ID); err != nil || o.State != OrderAbandoned || f.stock(unknown.p.ID) != unknown.before {
		t.Fatalf("abandon after a provider error: %+v %v, stock %d", o, err, f.stock(unknown.p.ID))
	}
}
