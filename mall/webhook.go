package mall

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
)

// webhookEvent records an applied provider event; its id is unique, so a
// replayed event changes nothing.
type webhookEvent struct {
	ID         string    `gorm:"column:id;primaryKey"`
	Provider   string    `gorm:"column:provider"`
	Type       string    `gorm:"column:type"`
	ReceivedAt time.Time `gorm:"column:received_at"`
}

// TableName tells GORM where webhook events live.
func (webhookEvent) TableName() string { return "webhook_events" }

// StripeWebhook applies Stripe's payment_intent.succeeded and
// payment_intent.payment_failed events.
type StripeWebhook struct {
	Orders *Orders
	Secret string
	// Tolerance bounds the age of a signature (webhook.DefaultTolerance
	// when 0).
	Tolerance time.Duration
}

// Handle checks the signature (400 when missing, wrong or stale), records
// the event id (a replay is acknowledged and ignored), re-reads the
// PaymentIntent and settles the payment with what Stripe says now, so
// events arriving out of order cannot move an order backwards.
func (w *StripeWebhook) Handle(ctx context.Context, payload []byte, signature string) error {
	if signature == "" {
		return apperr.New(apperr.Invalid, "missing Stripe-Signature header")
	}
	tol := w.Tolerance
	if tol == 0 {
		tol = webhook.DefaultTolerance
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, w.Secret, webhook.ConstructEventOptions{Tolerance: tol, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return apperr.New(apperr.Invalid, "webhook refused: %v", err)
	}
	if ev.Type != "payment_intent.succeeded" && ev.Type != "payment_intent.payment_failed" {
		return nil // not ours to act on; acknowledged
	}
	var pi stripe.PaymentIntent
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil || pi.ID == "" {
		return apperr.New(apperr.Invalid, "webhook %s carries no payment intent", ev.ID)
	}
	var att PaymentAttempt
	err = w.Orders.db.WithContext(ctx).Where("provider_ref = ?", pi.ID).Take(&att).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		slog.Warn("webhook for an unknown payment", "event", ev.ID, "payment_intent", pi.ID)
		return nil
	}
	if err != nil {
		return err
	}
	status, err := w.Orders.provider.Status(ctx, pi.ID)
	if err != nil {
		return apperr.New(apperr.Unavailable, "could not re-read the payment: %v", err)
	}
	if status == PaymentPending && ev.Type == "payment_intent.payment_failed" {
		status = PaymentFailed
	}
	return w.Orders.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&webhookEvent{ID: ev.ID, Provider: "stripe", Type: string(ev.Type), ReceivedAt: time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // seen before
		}
		return settleTx(tx, att.ID, status, "stripe:"+ev.ID, string(ev.Type))
	})
}

// Route registers POST /webhooks/stripe on api. The route is exempt from
// CSRF: its signature is its proof.
func (w *StripeWebhook) Route(api fiber.Router) {
	api.Post("/webhooks/stripe", func(c *fiber.Ctx) error {
		if err := w.Handle(c.UserContext(), c.Body(), c.Get("Stripe-Signature")); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"received": true})
	})
}
