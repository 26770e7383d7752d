package lab

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per learner. A token is taken under the
// limiter's lock before the work it pays for, so however many requests
// arrive at once, no more than the burst (and what refilled since) pass.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[int64]*bucket{}}
}

// allow takes a token for the learner, or says how long until one is free.
func (l *rateLimiter) allow(user int64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[user]
	if !ok {
		if len(l.buckets) > 100000 {
			l.buckets = map[int64]*bucket{}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[user] = b
	}
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
