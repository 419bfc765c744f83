package agentdesk

import (
	"math"
	"sync"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// tokenBucket refills at a rate per second up to a burst; each message
// takes one token.
type tokenBucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// rateDefaults returns rate, burst and now with the zero ones replaced by
// defRate, defBurst and time.Now.
func rateDefaults(rate float64, burst int, now func() time.Time, defRate float64, defBurst int) (float64, int, func() time.Time) {
	if rate <= 0 {
		rate = defRate
	}
	if burst <= 0 {
		burst = defBurst
	}
	if now == nil {
		now = time.Now
	}
	return rate, burst, now
}

// takeToken takes a token from the bucket the connection keeps under key
// (created full on first use), or refuses the message as RateLimited,
// naming what kind of messages come too fast.
func takeToken(c *media.Conn, key, what string, rate float64, burst int, now time.Time) error {
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
		return apperr.New(apperr.RateLimited, "too many %s messages: at most %g a second; this one was dropped", what, rate)
	}
	b.tokens--
	return nil
}

// boardBucketKey is where a connection keeps its whiteboard token bucket.
const boardBucketKey = "board.bucket"
