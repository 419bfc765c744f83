package apptest

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
)

// Member signs up a client on its own device.
func Member(t *testing.T, a *app.App, name string) *Client {
	t.Helper()
	c := NewClient(t, a)
	c.SignUp(name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", "1990-01-01")
	return c
}

// WaitMedia waits until both phones received audio and video.
func WaitMedia(t *testing.T, phones ...*Phone) {
	t.Helper()
	WaitMediaWithin(t, 20*time.Second, phones...)
}

// WaitMediaWithin waits up to d until the phones received audio and video.
func WaitMediaWithin(t *testing.T, d time.Duration, phones ...*Phone) {
	t.Helper()
	defer func() {
		if t.Failed() {
			for i, p := range phones {
				a, v := p.Received()
				t.Logf("phone %d received %d audio, %d video packets; %s", i, a, v, p.Describe())
			}
		}
	}()
	WaitFor(t, d, "media both ways", func() bool {
		for _, p := range phones {
			a, v := p.Received()
			if a < 25 || v < 25 {
				return false
			}
		}
		return true
	})
}

// CallRecord reads a call's stored record.
func CallRecord(t *testing.T, a *app.App, id string) (state, outcome string) {
	t.Helper()
	var r struct {
		State   string
		Outcome *string
	}
	a.DB.Table("calls").Select("state, outcome").Where("id = ?", id).Take(&r)
	if r.Outcome != nil {
		outcome = *r.Outcome
	}
	return r.State, outcome
}

// Mailbox lists a client's messages.
func (c *Client) Mailbox() (msgs []struct {
	ID, FromName, ContentType, MediaURL string
	DurationMS                          int64
	HasVideo, Heard                     bool
}, unheard int) {
	c.T.Helper()
	var box struct {
		Messages []struct {
			ID, FromName, ContentType, MediaURL string
			DurationMS                          int64
			HasVideo, Heard                     bool
		}
		Unheard int
	}
	c.Must(200, "GET", "/api/v1/mailbox", nil).JSON(c.T, &box)
	return box.Messages, box.Unheard
}
