package push

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// Message is what a push carries to the app's service worker, which shows
// it as a notification.
type Message struct {
	// Kind is "ring", "missed_call" or "message".
	Kind string `json:"kind"`
	// Title and Body are the notification's text.
	Title string `json:"title"`
	Body  string `json:"body"`
	// URL is the app page the notification opens.
	URL string `json:"url"`
	// CallID is the ringing call (for Answer and Decline), if any.
	CallID string `json:"callId,omitempty"`
	// Urgent messages (a ring) ask the push service to wake the device now.
	Urgent bool `json:"-"`
	// TTL is how long the push service may hold the message for an offline
	// device; a ring is worthless after its timeout.
	TTL time.Duration `json:"-"`
}

// Delivery says what became of a push to an account's devices.
type Delivery struct {
	// Sent is how many push services took the message.
	Sent int
	// Gone is how many subscriptions the push services said were gone
	// (404, 410); they are forgotten.
	Gone int
	// Failed is how many deliveries failed otherwise.
	Failed int
}

// maxPayload is what a push message may carry (RFC 8291 leaves 3993 bytes
// of a 4096-byte record for it; the notification needs far less).
const maxPayload = 3000

// Send pushes m to every subscribed device of the account. A subscription
// the push service says is gone is forgotten; other failures are counted
// and logged.
func (s *Service) Send(ctx context.Context, accountID string, m Message) (Delivery, error) {
	var d Delivery
	payload, err := json.Marshal(m)
	if err != nil {
		return d, err
	}
	if len(payload) > maxPayload {
		return d, fmt.Errorf("push message of %d bytes is over %d", len(payload), maxPayload)
	}
	rows, err := s.subscriptionsOf(ctx, accountID)
	if err != nil {
		return d, fmt.Errorf("subscriptions of %s: %w", accountID, err)
	}
	ttl := m.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	opts := &webpush.Options{HTTPClient: s.client, Subscriber: s.cfg.Subject, TTL: int(ttl / time.Second),
		VAPIDPublicKey: s.keys.Public, VAPIDPrivateKey: s.keys.Private, Urgency: webpush.UrgencyNormal}
	if m.Urgent {
		opts.Urgency = webpush.UrgencyHigh
	}
	for _, row := range rows {
		sub := &webpush.Subscription{Endpoint: row.Endpoint, Keys: webpush.Keys{P256dh: row.P256dh, Auth: row.Auth}}
		resp, err := webpush.SendNotificationWithContext(ctx, payload, sub, opts)
		if err != nil {
			d.Failed++
			log.Info("push not delivered", "device", row.DeviceID, "err", err)
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			d.Sent++
			s.sent(ctx, row)
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			d.Gone++
			if err := s.forget(ctx, row); err != nil {
				log.Warn("forget a gone push subscription", "device", row.DeviceID, "err", err)
			}
		default:
			d.Failed++
			log.Info("push refused", "device", row.DeviceID, "status", resp.StatusCode)
		}
	}
	return d, nil
}
