package app

import (
	"context"
	"fmt"

	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/push"
)

// pushRings is push as the calls ring with it: a ring of a call becomes a
// notification with Answer (the phone opened into the call) and Decline.
type pushRings struct{ *push.Service }

// Ring pushes the ring of r's call to the account's subscribed devices.
func (p pushRings) Ring(ctx context.Context, accountID string, r directory.PushRing) (int, error) {
	kind := "voice call"
	if r.Video {
		kind = "video call"
	}
	body := kind
	if r.CallerNumber != "" {
		body = r.CallerNumber + " · " + kind
	}
	d, err := p.Send(ctx, accountID, push.Message{Kind: "ring", Title: fmt.Sprintf("%s is calling", r.CallerName), Body: body,
		URL: "/phone/?answer=" + r.CallID, CallID: r.CallID, Urgent: true, TTL: r.Expires})
	return d.Sent, err
}
