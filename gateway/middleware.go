package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"forum/fault"
)

// contentSecurityPolicy allows scripts, styles and connections from the
// forum itself only; no inline script runs.
func contentSecurityPolicy() string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'; " +
		// Trusted Types: no HTML reaches the page but through web/assets/richtext.js.
		"require-trusted-types-for 'script'; trusted-types forum-body"
}

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	// The values are the same on every answer: one slice each, shared
	// (net/http copies them when it writes the header; Set replaces them).
	csp := []string{s.csp}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = headerNosniff
		h["Content-Security-Policy"] = csp
		h["X-Frame-Options"] = headerDeny
		h["Referrer-Policy"] = headerSameOrigin
		h["Cross-Origin-Opener-Policy"] = headerSameOrigin
		h["Cross-Origin-Resource-Policy"] = headerSameOrigin
		if s.secure(r) {
			h["Strict-Transport-Security"] = headerHSTS
		}
		next.ServeHTTP(w, r)
	})
}

// Header values every answer carries, shared by all of them; never
// appended to in place (each has no room to spare).
var (
	headerNosniff    = []string{"nosniff"}
	headerDeny       = []string{"DENY"}
	headerSameOrigin = []string{"same-origin"}
	headerHSTS       = []string{"max-age=31536000"}
	headerVaryAE     = []string{"Accept-Encoding"}
	headerJSON       = []string{"application/json; charset=utf-8"}
	headerGzip       = []string{"gzip"}
	headerNoCache    = []string{"no-cache"}
	headerPrivate    = []string{"private, no-cache"}
)

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
					s.writeError(sw, r, fault.Errorf(fault.EINTERNAL, "internal error"))
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
			s.writeError(w, r, fault.Errorf(fault.EFORBIDDEN, "cross-site request refused"))
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
	// The scheme counts: a page served over https is not the forum a
	// request came to over plain http (a proxy that ends TLS says so
	// with X-Forwarded-Proto, or the forum has a public URL).
	if strings.EqualFold(origin, s.ownOrigin(r)) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
