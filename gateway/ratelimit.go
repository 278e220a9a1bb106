package gateway

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// addrKey is what per-address limits count under: the address for IPv4, its
// /64 network for IPv6 (one subscriber's share, in which an address costs
// nothing).
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// signInThrottle counts failed sign-ins (HTTP Basic included) per login and
// client address, and per address across logins. It never counts per
// account alone, so failures from elsewhere cannot lock a victim out, and a
// login is counted as typed, so the budget tells nothing about which
// nickname and email belong together or exist at all.
type signInThrottle struct {
	pair *limiters // (login, address): at most 100 failures an hour
	addr *limiters // address, across logins
}

func newSignInThrottle() *signInThrottle {
	return &signInThrottle{
		pair: newLimiters(rate.Every(time.Hour/90), 10),
		addr: newLimiters(rate.Every(12*time.Second), 30),
	}
}

func pairKey(login, addr string) string { return strings.ToLower(login) + "\x00" + addr }

// blocked reports whether a sign-in as login from addr must wait, and for
// how many seconds.
func (t *signInThrottle) blocked(login, addr string, now time.Time) (bool, int) {
	b1, r1 := t.pair.blocked(pairKey(login, addr), now)
	b2, r2 := t.addr.blocked(addr, now)
	return b1 || b2, max(r1, r2)
}

// failed counts one failed sign-in as login from addr.
func (t *signInThrottle) failed(login, addr string, now time.Time) {
	t.pair.allow(pairKey(login, addr), now)
	t.addr.allow(addr, now)
}

// limiters hands out one token bucket per key, forgetting keys idle for a
// while so the map stays bounded by the number of recent clients. Keys are
// kept as their SHA-256, so a long one costs no more than a short one.
type limiters struct {
	limit rate.Limit
	burst int
	max   int

	mu    sync.Mutex
	m     map[[32]byte]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, max: 100000, m: map[[32]byte]*limiterEntry{}}
}

func (l *limiters) get(key string, now time.Time) *rate.Limiter {
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
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[k] = e
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
			if ok, retry := lims.allow(addrKey(clientIP(r)), s.now()); !ok {
				rateLimited(w, retry)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
