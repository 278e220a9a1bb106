package gateway

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// clientIP is the address the request came from. X-Forwarded-For is not
// trusted: run behind a proxy that sets the remote address, or not at all.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiters hands out one token bucket per key, forgetting keys idle for a
// while so the map stays bounded by the number of recent clients.
type limiters struct {
	limit rate.Limit
	burst int
	max   int

	mu    sync.Mutex
	m     map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, max: 100000, m: map[string]*limiterEntry{}}
}

func (l *limiters) get(key string, now time.Time) *rate.Limiter {
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
	e, ok := l.m[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	return e.lim
}

// allow takes one token for key; when none is left it returns false and
// the whole seconds until one is.
func (l *limiters) allow(key string, now time.Time) (bool, int) {
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

// blocked reports, without taking a token, whether key has none left, and
// the seconds until it has.
func (l *limiters) blocked(key string, now time.Time) (bool, int) {
	lim := l.get(key, now)
	if t := lim.TokensAt(now); t < 1 {
		return true, int(math.Ceil((1 - t) / float64(l.limit)))
	}
	return false, 0
}

// rateLimit limits requests per client address: reads generously, writes
// more strictly. --rate-limits off turns it off.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.RateLimits {
			lims := s.readLimits
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				lims = s.writeLimits
			}
			if ok, retry := lims.allow(clientIP(r), s.now()); !ok {
				rateLimited(w, retry)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
