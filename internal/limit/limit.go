// Package limit holds the rate limits shared by the gateway and the
// commands: token buckets per key, bounded in number whoever sends what.
package limit

import (
	"crypto/sha256"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed hands out one token bucket per key, forgetting keys idle for a
// while so the map stays bounded by the number of recent clients. Keys are
// kept as their SHA-256, so a long one costs no more than a short one.
type Keyed struct {
	limit rate.Limit
	burst int
	max   int

	mu    sync.Mutex
	m     map[[32]byte]*entry
	swept time.Time
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns buckets per key that refill at limit, with room for burst.
func New(limit rate.Limit, burst int) *Keyed {
	return &Keyed{limit: limit, burst: burst, max: 100000, m: map[[32]byte]*entry{}}
}

func (l *Keyed) get(key string, now time.Time) *rate.Limiter {
	k := sha256.Sum256([]byte(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute || len(l.m) >= l.max {
		for k, e := range l.m {
			if now.Sub(e.seen) > 10*time.Minute || len(l.m) >= l.max {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	e, ok := l.m[k]
	if !ok {
		e = &entry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[k] = e
	}
	e.seen = now
	return e.lim
}

// Allow takes one token for key; when none is left it returns false and
// the whole seconds until one is.
func (l *Keyed) Allow(key string, now time.Time) (bool, int) {
	lim := l.get(key, now)
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, 60
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, int(math.Ceil(d.Seconds()))
	}
	return true, 0
}

// Blocked reports, without taking a token, whether key has none left, and
// the seconds until it has.
func (l *Keyed) Blocked(key string, now time.Time) (bool, int) {
	lim := l.get(key, now)
	if t := lim.TokensAt(now); t < 1 {
		return true, int(math.Ceil((1 - t) / float64(l.limit)))
	}
	return false, 0
}
