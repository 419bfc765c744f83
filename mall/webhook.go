package mall

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
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

// StripeWebhook applies Stripe's payment_intent.* events.
type StripeWebhook struct {
	Orders *Orders
	Secret string
	// Tolerance bounds the age of a signature (webhook.DefaultTolerance
	// when 0).
	Tolerance time.Duration
}

// Handle checks the signature (400 when missing, wrong or stale), finds the
// attempt of the event's PaymentIntent (by its id, else by the order and
// attempt in its metadata, for an attempt whose creation went unanswered),
// re-reads the PaymentIntent and gives the attempt the state Stripe says
// it has now, so events arriving late, twice or out of order cannot move
// an order backwards: a decline keeps the attempt open, success pays the
// order exactly once, cancellation releases the stock. The event id is
// recorded with the change (a replay changes nothing). While Stripe does not
// answer the re-read the event is refused with 503, so Stripe sends it
// again.
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
	if !strings.HasPrefix(string(ev.Type), "payment_intent.") {
		return nil // not ours to act on; acknowledged
	}
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil || pi.ID == "" {
		return apperr.New(apperr.Invalid, "webhook %s carries no payment intent", ev.ID)
	}
	att, err := w.Orders.attemptOfIntent(ctx, pi.ID, pi.Metadata)
	if err != nil {
		return err
	}
	if att == nil {
		slog.Warn("webhook for an unknown payment", "event", ev.ID, "payment_intent", pi.ID)
		return nil
	}
	now, err := w.Orders.provider.Lookup(ctx, pi.ID)
	if err != nil {
		slog.Error("re-read payment intent", "event", ev.ID, "payment_intent", pi.ID, "err", err)
		return apperr.New(apperr.Unavailable, "could not re-read the payment")
	}
	now.Ref = pi.ID
	return w.Orders.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&webhookEvent{ID: ev.ID, Provider: "stripe", Type: string(ev.Type), ReceivedAt: time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // seen before
		}
		if err := tx.Model(&PaymentAttempt{}).Where("id = ? AND provider_ref IS NULL", att.ID).Update("provider_ref", pi.ID).Error; err != nil {
			return err
		}
		return applyTx(tx, att.ID, now.Status, "stripe:"+ev.ID, string(ev.Type))
	})
}

// attemptOfIntent finds the Stripe attempt of a PaymentIntent: by its id,
// else by the order and attempt number in its metadata when the attempt
// has no reference yet (its creation went unanswered). nil when none.
func (os *Orders) attemptOfIntent(ctx context.Context, intentID string, meta map[string]string) (*PaymentAttempt, error) {
	var att PaymentAttempt
	err := os.db.WithContext(ctx).Where("provider_ref = ?", intentID).Take(&att).Error
	if err == nil {
		return &att, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	n, perr := strconv.Atoi(meta["attempt"])
	if meta["order_id"] == "" || perr != nil || n < 1 {
		return nil, nil
	}
	err = os.db.WithContext(ctx).Where("order_id = ? AND attempt = ? AND provider = ? AND provider_ref IS NULL", meta["order_id"], n, "stripe").Take(&att).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &att, nil
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
