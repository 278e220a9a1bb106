package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
)

// CookieName is the session cookie; SecureCookieName its name when the
// public URL is https (the __Host- prefix: Secure, this host only, path /).
const (
	CookieName       = "forum_session"
	SecureCookieName = "__Host-forum_session"
)

// cookieName is the session cookie's name on this forum.
func (s *Server) cookieName() string {
	if u := s.cfg.PublicURL; u != nil && u.Scheme == "https" {
		return SecureCookieName
	}
	return CookieName
}

// principal is who made a request: a user, and the session they used (empty
// for HTTP Basic, which has none).
type principal struct {
	UserID     events.UserID
	SessionID  events.SessionID
	SessionEnd time.Time // when the session ends unless used again (zero for Basic)
}

type principalKey struct{}

// principalOf returns the principal of a request, if it is signed in.
func principalOf(r *http.Request) (principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(principal)
	return p, ok
}

// viewerOf returns the id of the signed-in user a request reads for, or ""
// when it is anonymous.
func viewerOf(r *http.Request) string {
	p, _ := principalOf(r)
	return string(p.UserID)
}

// authenticate resolves the request's credentials: a Bearer token, HTTP
// Basic, or the session cookie, in that order. ok is false when none are
// given or they are not valid; err is set when HTTP Basic credentials were
// given and must be answered (401 when wrong, 429 while throttled, 503 when
// password checks are saturated), whatever the endpoint.
func (s *Server) authenticate(r *http.Request) (p principal, ok bool, err error) {
	h := r.Header.Get("Authorization")
	switch {
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		p, ok = s.sessionPrincipal(r.Context(), strings.TrimSpace(h[7:]))
		return p, ok, nil
	case len(h) > 6 && strings.EqualFold(h[:6], "basic "):
		login, password, ok := r.BasicAuth()
		if !ok {
			return principal{}, false, errBadBasic
		}
		return s.basicPrincipal(r, login, password)
	}
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		p, ok = s.sessionPrincipal(r.Context(), c.Value)
		return p, ok, nil
	}
	return principal{}, false, nil
}

var errBadBasic = fault.Errorf(fault.EUNAUTHENTICATED, "wrong login or password")

// throttled is the error of a sign-in that must wait retry seconds.
type throttled struct{ retry int }

func (throttled) Error() string { return "throttled" }

// basicPrincipal checks HTTP Basic credentials: from the cache when they
// verified within its TTL (a demo account's for a local client only), else
// by password hash, throttled like sign-ins.
func (s *Server) basicPrincipal(r *http.Request, login, password string) (principal, bool, error) {
	if commands.CheckCredentialLengths(login, password) != nil {
		return principal{}, false, errBadBasic
	}
	now := s.now()
	k := s.basic.key(login, password)
	if id, hash, ok := s.basic.lookup(k, now, s.clientOnLoopback(r)); ok {
		// They hold while the password they verified against is the
		// account's: a changed password (or an erased account) ends them.
		if cur, err := s.db.PasswordHash(r.Context(), events.UserID(id)); err == nil && cur == hash {
			if err := s.basicAllowed(r.Context(), events.UserID(id)); err != nil {
				return principal{}, false, err
			}
			return principal{UserID: events.UserID(id)}, true, nil
		}
		s.basic.forget(k)
	}
	addr := addrKey(s.clientIP(r))
	if blocked, retry := s.signIns.blocked(login, addr, now); blocked {
		return principal{}, false, throttled{retry}
	}
	id, hash, err := s.cmd.AuthenticateHash(r.Context(), login, password)
	if err != nil {
		if fault.Code(err) == fault.EUNAUTHENTICATED {
			s.signIns.failed(login, addr, now)
			return principal{}, false, errBadBasic
		}
		return principal{}, false, err
	}
	if err := s.basicAllowed(r.Context(), id); err != nil {
		return principal{}, false, err
	}
	s.basic.store(k, string(id), hash, password == commands.DemoPassword, now)
	return principal{UserID: id}, true, nil
}

// errBasicSecondFactor answers HTTP Basic for an account with two factors on.
var errBasicSecondFactor = fault.Errorf(fault.EUNAUTHENTICATED, "this account signs in with a second factor: HTTP Basic cannot give it; sign in at /api/signin and send the token")

// basicAllowed refuses HTTP Basic, a password alone, for a user with two
// factors on (checked on every use, a remembered one too).
func (s *Server) basicAllowed(ctx context.Context, user events.UserID) error {
	on, err := s.db.TOTPOn(ctx, user)
	if err != nil {
		return err
	}
	if on {
		return errBasicSecondFactor
	}
	return nil
}

func (s *Server) sessionPrincipal(ctx context.Context, token string) (principal, bool) {
	if len(token) == 0 || len(token) > 128 {
		return principal{}, false
	}
	sess, err := s.db.SessionByTokenHash(ctx, commands.TokenHash(token))
	if err != nil || s.hub.Ended(events.SessionID(sess.ID)) {
		return principal{}, false
	}
	ends, ok := s.cmd.Ends(sess)
	if !ok || !s.now().Before(ends) {
		return principal{}, false
	}
	if s.cmd.UseDue(sess) {
		s.gate.touch(sess)
	}
	return principal{UserID: events.UserID(sess.UserID), SessionID: events.SessionID(sess.ID), SessionEnd: ends}, true
}

// withAuth puts the request's principal, if any, into its context, and
// answers at once the HTTP Basic credentials that do not hold.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.clientOnLoopback(r) { // a demo account authenticates only then
			r = r.WithContext(commands.FromLoopback(r.Context()))
		}
		p, ok, err := s.authenticate(r)
		if t, isThrottled := err.(throttled); isThrottled {
			rateLimited(w, t.retry)
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ok {
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		}
		// What a signed-in user reads, and any token handed out, is theirs
		// alone: no cache keeps it.
		if strings.HasPrefix(r.URL.Path, "/api/") && (ok || r.URL.Path == "/api/signup" || strings.HasPrefix(r.URL.Path, "/api/signin")) {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// signedIn wraps a handler that needs a signed-in user: 401 otherwise. A
// write (any method but GET and HEAD) also takes from the user's write
// budget, which the WebSocket shares.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalOf(r)
		if !ok {
			s.writeError(w, r, fault.Errorf(fault.EUNAUTHENTICATED, "sign in first"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.gate.AllowWrite(string(p.UserID)) {
				s.writeError(w, r, errTooManyWrites)
				return
			}
			// A suspended user reads, signs out and may leave; nothing else.
			if !leaving(r) {
				if err := s.cmd.CheckActive(r.Context(), p.UserID); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
		}
		h(w, r, p)
	}
}

// errTooManyWrites answers a user past their write budget.
var errTooManyWrites = fault.Errorf(fault.ERATELIMITED, "you are writing too fast; slow down and try again shortly")

// answerSession answers a session just started (sign-up, sign-in, a second
// factor, a passkey): its cookie, and its token with the account.
func (s *Server) answerSession(w http.ResponseWriter, r *http.Request, status int, sess commands.Session) {
	u, err := s.db.Account(r.Context(), sess.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setSessionCookie(w, r, sess)
	writeJSON(w, status, accountAnswer{Token: sess.Token, User: u})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess commands.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(time.Until(sess.ExpiresAt).Seconds()), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// leaving reports whether a write ends the user's presence here (signing
// out, ending sessions, removing a passkey, erasing the account) or keeps
// the account safe and quiet (changing its password, its mail preference):
// a suspended user may do those.
func leaving(r *http.Request) bool {
	p := r.URL.Path
	return p == "/api/signout" || (p == "/api/me" && r.Method == http.MethodDelete) || strings.HasPrefix(p, "/api/sessions") ||
		(r.Method == http.MethodDelete && strings.HasPrefix(p, "/api/me/passkeys/")) || p == "/api/me/password" || p == "/api/me/preferences"
}
