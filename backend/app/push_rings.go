package app

import (
	"context"
	"fmt"

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
