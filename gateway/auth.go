package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
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

// basicCache remembers HTTP Basic credentials that verified, for a minute, so
// a script sending Basic on every request does not pay a password hash each
// time. Entries are keyed by an HMAC under a per-process random key (never
// the password), bounded in number, and checked against the clock.
type basicCache struct {
	secret []byte
	ttl    time.Duration
	max    int

	mu      sync.Mutex
	entries map[[32]byte]basicEntry
}

type basicEntry struct {
	userID  string
	expires time.Time
}

func newBasicCache() *basicCache {
	secret := make([]byte, 32)
	rand.Read(secret)
	return &basicCache{secret: secret, ttl: time.Minute, max: 10000, entries: map[[32]byte]basicEntry{}}
}

// key is the cache key of a pair of credentials: an HMAC under the
// process's random key, never the password itself.
func (c *basicCache) key(login, password string) [32]byte {
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(strings.ToLower(login)))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var k [32]byte
	copy(k[:], mac.Sum(nil))
	return k
}

// lookup returns the user the credentials with key k verified as, if that
// was less than the TTL ago.
func (c *basicCache) lookup(k [32]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) {
		return "", false
	}
	return e.userID, true
}

// store remembers that the credentials with key k verified as userID,
// dropping expired entries (and, if still full, any) to stay bounded.
func (c *basicCache) store(k [32]byte, userID string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
		}
	}
	c.entries[k] = basicEntry{userID: userID, expires: now.Add(c.ttl)}
}
