package agentdesk

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/livemall/livemall/media"
)

// tokenBucket refills at a rate per second up to a burst; each message
// takes one token.
type tokenBucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// errNoToken says a connection sent faster than its bucket allows.
var errNoToken = errors.New("rate limited")

// takeToken takes a token from the bucket the connection keeps under key
// (created full on first use), or returns errNoToken.
func takeToken(c *media.Conn, key string, rate float64, burst int, now time.Time) error {
	b, _ := c.Get(key).(*tokenBucket)
	if b == nil {
		// A connection's messages are handled one at a time, so nobody
		// races this first Set.
		b = &tokenBucket{tokens: float64(burst), last: now}
		c.Set(key, b)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+dt*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return errNoToken
	}
	b.tokens--
	return nil
}

// boardBucketKey is where a connection keeps its whiteboard token bucket.
const boardBucketKey = "board.bucket"
