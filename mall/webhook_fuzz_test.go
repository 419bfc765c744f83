package mall

import (
	"context"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/livemall/livemall/backend/apperr"
)

func TestStripeWebhookRefusesBadInput(t *testing.T) {
	prov := &scripted{status: map[string]PaymentStatus{}, starts: map[string]int{}}
	f := newShopFixture(t, prov)
	ctx := context.Background()
	wh := &StripeWebhook{Orders: f.orders, Secret: whsec}
	sign := func(body string) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: whsec, Timestamp: time.Now()}).Header
	}
	tests := []struct {
		name, body, sig string // sig "" signs body correctly
		want            string // the error code; "" for acknowledged
	}{
		{"no signature", `{"id":"evt_1","type":"payment_intent.succeeded"}`, "none", apperr.Invalid},
		{"signature of another body", `{"id":"evt_1","type":"payment_intent.succeeded"}`, sign(`{}`), apperr.Invalid},
		{"signature without a scheme", `{}`, "t=1", apperr.Invalid},
		{"not JSON", `not json`, "", apperr.Invalid},
		{"no payment intent", `{"id":"evt_2","object":"event","type":"payment_intent.succeeded","api_version":"2023-10-16","data":{"object":{}}}`, "", apperr.Invalid},
		{"intent without an id", `{"id":"evt_3","object":"event","type":"payment_intent.succeeded","api_version":"2023-10-16","data":{"object":{"object":"payment_intent"}}}`, "", apperr.Invalid},
		{"no data at all", `{"id":"evt_4","object":"event","type":"payment_intent.canceled","api_version":"2023-10-16"}`, "", apperr.Invalid},
		{"another kind of event", `{"id":"evt_5","object":"event","type":"charge.refunded","api_version":"2023-10-16","data":{"object":{"id":"ch_1"}}}`, "", ""},
		{"an intent that is not ours", `{"id":"evt_6","object":"event","type":"payment_intent.succeeded","api_version":"2023-10-16","data":{"object":{"id":"pi_nope","object":"payment_intent","metadata":{"order_id":"ord_nope","attempt":"x"}}}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := tt.sig
			switch sig {
			case "":
				sig = sign(tt.body)
			case "none":
				sig = ""
			}
			err := wh.Handle(ctx, []byte(tt.body), sig)
			if tt.want == "" && err != nil || tt.want != "" && apperr.Code(err) != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzStripeWebhook feeds the webhook handler arbitrary bodies and
// signature headers, and arbitrary bodies correctly signed: it never
// panics, refuses every badly signed body as invalid, and never changes an
// order whose PaymentIntent Stripe does not report paid.
func FuzzStripeWebhook(f *testing.F) {
	prov := &scripted{status: map[string]PaymentStatus{}, starts: map[string]int{}}
	fx := newShopFixture(f, prov)
	ctx := context.Background()
	wh := &StripeWebhook{Orders: fx.orders, Secret: whsec}
	p := fx.product("atelier-nord", false)
	s := guest(90)
	fx.carts.AddItem(ctx, s, "atelier-nord", p.SKU, 1, nil)
	o, err := fx.orders.Checkout(ctx, s)
	if err != nil {
		f.Fatal(err)
	}
	_, start, err := fx.orders.Pay(ctx, s, o.ID)
	if err != nil {
		f.Fatal(err)
	}
	prov.set(start.Ref, PaymentDeclined)

	body, sig := signed("evt_seed", "payment_intent.payment_failed", start.Ref, time.Now(), whsec)
	f.Add(body, sig, false)
	f.Add(body, "", true)
	f.Add([]byte(`{"id":"evt_x","type":"payment_intent.succeeded","data":{"object":{"id":"`+start.Ref+`","metadata":{"order_id":"`+o.ID+`","attempt":"1"}}}}`), "", true)
	f.Add([]byte(`{"type":"payment_intent.created","data":null}`), "", true)
	f.Add([]byte(`{}`), "t=1,v1=00", false)
	f.Add([]byte("\x00\xff"), "t=99999999999999999999,v1=zz,v0=", false)
	f.Fuzz(func(t *testing.T, body []byte, header string, signIt bool) {
		if signIt {
			header = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: whsec, Timestamp: time.Now()}).Header
		}
		err := wh.Handle(ctx, body, header)
		if err == nil {
			if _, verr := webhook.ConstructEventWithOptions(body, header, whsec, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); verr != nil {
				t.Fatalf("accepted a body whose signature %q does not hold: %v", header, verr)
			}
		}
		if err != nil && apperr.Code(err) != apperr.Invalid {
			t.Fatalf("error %v, want invalid or none", err)
		}
		if st, _ := fx.orders.OrderOf(ctx, s, o.ID); st.State != OrderDraft {
			t.Fatalf("the order became %s though its intent is only declined", st.State)
		}
	})
}
