package mall

import (
	"context"
	"time"
)

// OrderLineView is an order line as shown.
type OrderLineView struct {
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
	Quantity       int    `json:"quantity"`
	LineTotalMinor int64  `json:"lineTotalMinor"`
	AgeLimit       int    `json:"ageLimit"`
}

// OrderView is an order as its shopper and its store's staff see it.
type OrderView struct {
	ID                string          `json:"id"`
	Store             StoreRef        `json:"store"`
	State             OrderState      `json:"state"`
	Lines             []OrderLineView `json:"lines"`
	SubtotalMinor     int64           `json:"subtotalMinor"`
	TaxMinor          int64           `json:"taxMinor"`
	TotalMinor        int64           `json:"totalMinor"`
	Currency          string          `json:"currency"`
	NeedsVerification bool            `json:"needsVerification"`
	NeedsSignature    bool            `json:"needsSignature"`
	TestPayment       bool            `json:"testPayment"`
	PaymentProvider   string          `json:"paymentProvider"`
	CreatedAt         time.Time       `json:"createdAt"`
	Events            []OrderEvent    `json:"events"`
	// Payment is the payment under way, when there is one.
	Payment *PaymentView `json:"payment,omitempty"`
	// HelpedBy names the agents who served the call the order came from,
	// in the order they served it (a transfer names both); absent when
	// it came from no call.
	HelpedBy []string `json:"helpedBy,omitempty"`
}

// PaymentView is an order's payment under way as its shopper sees it.
type PaymentView struct {
	// Status is pending, declined or unknown.
	Status PaymentStatus `json:"status"`
	// Message says what it means for the shopper.
	Message string `json:"message"`
	// HoldUntil is when the order's stock stops being held for it.
	HoldUntil *time.Time `json:"holdUntil,omitempty"`
}

// paymentMessages say what an open payment's status means for the shopper.
var paymentMessages = map[PaymentStatus]string{
	PaymentPending:  "waiting for your card to be confirmed",
	PaymentDeclined: "declined — try another card",
	PaymentUnknown:  "checking with the payment provider",
}

// View returns the order with its lines, store and history.
func (os *Orders) View(ctx context.Context, o *Order) (*OrderView, error) {
	var st Store
	if err := os.db.WithContext(ctx).Where("id = ?", o.StoreID).Take(&st).Error; err != nil {
		return nil, err
	}
	lines, err := os.linesOf(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	events, err := os.eventsOf(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	v := &OrderView{ID: o.ID, Store: StoreRef{Slug: st.Slug, Name: st.Name}, State: o.State, SubtotalMinor: o.SubtotalMinor, TaxMinor: o.TaxMinor,
		TotalMinor: o.TotalMinor, Currency: o.Currency, NeedsVerification: o.NeedsVerification, NeedsSignature: o.NeedsSignature, TestPayment: o.TestPayment,
		PaymentProvider: os.provider.Name(), CreatedAt: o.CreatedAt, Events: events, Lines: []OrderLineView{}}
	if o.PaymentProvider != nil {
		v.PaymentProvider = *o.PaymentProvider
	}
	open, err := os.openAttempt(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if open != nil {
		v.Payment = &PaymentView{Status: open.Status, Message: paymentMessages[open.Status], HoldUntil: open.ExpiresAt}
	}
	if h, ok := os.agents.(HelpedBy); ok {
		v.HelpedBy = h.HelpedBy(ctx, o)
	}
	for _, l := range lines {
		v.Lines = append(v.Lines, OrderLineView{SKU: l.SKU, Name: l.Name, UnitPriceMinor: l.UnitPriceMinor, Quantity: l.Quantity, LineTotalMinor: l.UnitPriceMinor * int64(l.Quantity), AgeLimit: l.AgeLimit})
	}
	return v, nil
}
