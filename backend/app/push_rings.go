package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/notices"
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

// pushOffers are pushes as the contact center rings an agent whose desk is
// in the background.
type pushOffers struct{ *push.Service }

// PushOffer pushes the offer to the agent's subscribed devices.
func (p pushOffers) PushOffer(ctx context.Context, agentID string, o agentdesk.PushedOffer) {
	title := fmt.Sprintf("%s is calling %s", o.ShopperName, o.StoreName)
	body := "Answer on your desk"
	if o.Product != "" {
		body = "About " + o.Product + " · answer on your desk"
	}
	m := push.Message{Kind: "offer", Title: title, Body: body, URL: "/desk/", Urgent: true, TTL: o.Expires}
	if o.Callback {
		m.Title, m.Body, m.TTL = fmt.Sprintf("%s asked %s for a call back", o.ShopperName, o.StoreName), "Call them back from your desk", 0
	}
	if _, err := p.Send(ctx, agentID, m); err != nil {
		slog.Warn("push an offer", "agent", agentID, "err", err)
	}
}

// noticeMembers is who a member is (auth) and whether their address is
// verified (the directory's email verification), as notices need.
type noticeMembers struct {
	*auth.Accounts
	*directory.EmailVerifier
}

// missedNotices are notices as the calls tell of what a member missed.
type missedNotices struct{ *notices.Service }

// Missed tells the account of a missed call or a new message.
func (m missedNotices) Missed(ctx context.Context, accountID, kind, callerName, callerNumber string, video bool) {
	m.Notify(ctx, notices.Notice{AccountID: accountID, Kind: kind, CallerName: callerName, CallerNumber: callerNumber, Video: video})
}
