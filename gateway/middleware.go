package gateway

import (
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"forum/events"
)

// csp allows scripts, styles and connections from the forum itself only.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status a handler wrote, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (WebSocket upgrades).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request and counts it, and turns a panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					s.writeError(sw, r, events.Errorf(events.EINTERNAL, "internal error"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "other"
			}
			s.metrics.observeRequest(route, sw.status, time.Since(start))
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// sameOrigin refuses cross-site requests: an unsafe method or a WebSocket
// upgrade whose Origin is neither the forum's own nor allowed answers 403. A
// request without Origin (a script, a bot) is not a browser's and is served.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		if (unsafe || r.URL.Path == "/ws") && !s.originAllowed(r) {
			s.writeError(w, r, events.Errorf(events.EFORBIDDEN, "cross-site request refused"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	// Under TLS the page must be https too; behind a proxy that terminates
	// TLS the scheme is not known here, so either is accepted.
	if strings.EqualFold(u.Host, r.Host) && (r.TLS == nil || u.Scheme == "https") {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

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
