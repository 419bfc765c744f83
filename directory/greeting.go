package directory

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/media"
)

// defaultGreeting is what callers hear before leaving a message when the
// callee recorded no greeting of their own (spoken text, then a tone).
//
//go:embed greetings/default.ogg
var defaultGreeting []byte

// greetingMax is the longest greeting a member may record.
const greetingMax = 30 * time.Second

// toneLength is how much of the default greeting's end (its tone) plays
// before a member records their own greeting.
const toneLength = 700 * time.Millisecond

// greetingKey is where a member's own greeting is kept in the blob store.
func greetingKey(accountID string) string { return path.Join("greetings", accountID+".ogg") }

// greetingOf returns the Opus packets of the callee's own greeting, or the
// default greeting when they recorded none (or it cannot be read).
func (c *Calls) greetingOf(ctx context.Context, accountID string) [][]byte {
	f, _, err := c.blobs.Open(ctx, greetingKey(accountID))
	if err != nil {
		if !errors.Is(err, blob.ErrNotFound) {
			c.logGreeting(accountID, err)
		}
		return c.greeting
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		c.logGreeting(accountID, err)
		return c.greeting
	}
	pkts, err := media.OpusPackets(data)
	if err != nil || len(pkts) == 0 {
		c.logGreeting(accountID, fmt.Errorf("unreadable greeting: %v", err))
		return c.greeting
	}
	return pkts
}

// saveGreeting keeps a member's recorded greeting, replacing the old one.
func (c *Calls) saveGreeting(accountID string, r *media.Recorder) error {
	res, err := r.Finish()
	if err != nil {
		return err
	}
	defer removeQuietly(res.Path)
	f, err := os.Open(res.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.blobs.Put(ctx, greetingKey(accountID), f, res.ContentType)
	return err
}

// HasOwnGreeting reports whether the member recorded a greeting.
func (c *Calls) HasOwnGreeting(ctx context.Context, accountID string) bool {
	f, _, err := c.blobs.Open(ctx, greetingKey(accountID))
	if err != nil {
		return false
	}
	f.Close()
	return true
}
