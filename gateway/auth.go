package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"forum/commands"
	"forum/events"
)

// CookieName is the session cookie.
const CookieName = "forum_session"

// principal is who made a request: a user, and the session they used (empty
// for HTTP Basic, which has none).
type principal struct {
	UserID    string
	SessionID string
}

type principalKey struct{}

// who returns the signed-in user of a request, if any.
func who(r *http.Request) (principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(principal)
	return p, ok
}

// viewer returns the signed-in user's id, or "" for an anonymous reader.
func viewer(r *http.Request) string {
	p, _ := who(r)
	return p.UserID
}

// authenticate resolves the request's credentials: a Bearer token, HTTP
// Basic, or the session cookie, in that order. ok is false when none are
// given or they are not valid.
func (s *Server) authenticate(r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	switch {
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		return s.sessionPrincipal(r.Context(), strings.TrimSpace(h[7:]))
	case len(h) > 6 && strings.EqualFold(h[:6], "basic "):
		login, password, ok := r.BasicAuth()
		if !ok {
			return principal{}, false
		}
		return s.basicPrincipal(r.Context(), login, password)
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		return s.sessionPrincipal(r.Context(), c.Value)
	}
	return principal{}, false
}

// basicPrincipal checks HTTP Basic credentials: from the cache when they
// verified within its TTL, else by password hash, throttled like sign-ins.
func (s *Server) basicPrincipal(ctx context.Context, login, password string) (principal, bool) {
	now := s.now()
	k := s.basic.key(login, password)
	if id, ok := s.basic.lookup(k, now); ok {
		return principal{UserID: id}, true
	}
	throttle := s.throttleKey(ctx, login)
	if blocked, _ := s.loginFailures.blocked(throttle, now); blocked {
		return principal{}, false
	}
	id, err := s.cmd.Authenticate(ctx, login, password)
	if err != nil {
		if events.ErrorCode(err) == events.EUNAUTHENTICATED {
			s.loginFailures.allow(throttle, now)
		}
		return principal{}, false
	}
	s.basic.store(k, id, now)
	return principal{UserID: id}, true
}

func (s *Server) sessionPrincipal(ctx context.Context, token string) (principal, bool) {
	if len(token) == 0 || len(token) > 128 {
		return principal{}, false
	}
	sess, err := s.db.SessionByTokenHash(ctx, commands.TokenHash(token))
	if err != nil {
		return principal{}, false
	}
	exp, err := time.Parse(time.RFC3339, sess.ExpiresAt)
	if err != nil || !s.now().Before(exp) {
		return principal{}, false
	}
	return principal{UserID: sess.UserID, SessionID: sess.ID}, true
}

// withAuth puts the request's principal, if any, into its context.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := s.authenticate(r); ok {
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		}
		next.ServeHTTP(w, r)
	})
}

// signedIn wraps a handler that needs a signed-in user: 401 otherwise.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := who(r)
		if !ok {
			s.writeError(w, r, events.Errorf(events.EUNAUTHENTICATED, "sign in first"))
			return
		}
		h(w, r, p)
	}
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess commands.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(time.Until(sess.ExpiresAt).Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}
