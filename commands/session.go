package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// TokenHash returns the hex SHA-256 of a session token: the only form of it
// that is stored anywhere.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// dummyHash is verified against when a login names nobody, so a failed
// sign-in takes as long whether or not the user exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2uwhW7zYPnXDnPUyEJi0nOvBqxQuTdGEcJVXBibq8Ys"

// MaxLoginLen is the longest login (nickname or email) accepted, in bytes.
const MaxLoginLen = 256

// Authenticate returns the id of the user whose nickname or email is login
// and whose password is password; EUNAUTHENTICATED otherwise (the same
// whether or not the account exists), EINVALID for a login or password too
// long to be one, EUNAVAILABLE when password checks are queued past their
// bound.
func (s *Service) Authenticate(ctx context.Context, login, password string) (events.UserID, error) {
	id, _, err := s.AuthenticateHash(ctx, login, password)
	return id, err
}

// AuthenticateHash is Authenticate, also returning the password hash the
// password held against: a cache of verified credentials keeps it, and
// holds them only while it is still the account's (a changed password ends
// them).
func (s *Service) AuthenticateHash(ctx context.Context, login, password string) (events.UserID, string, error) {
	if err := CheckCredentialLengths(login, password); err != nil {
		return "", "", err
	}
	wrong := fault.Errorf(fault.EUNAUTHENTICATED, "wrong login or password")
	cred, err := s.DB.Credentials(ctx, login)
	hash := cred.PasswordHash
	if fault.Code(err) == fault.ENOTFOUND {
		hash = dummyHash // as long as a real check, so timing tells nothing
	} else if err != nil {
		return "", "", err
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return "", "", err
	}
	if !ok || cred.UserID == "" || (password == DemoPassword && !(s.DemoSignIn && fromLoopback(ctx))) {
		return "", "", wrong
	}
	return events.UserID(cred.UserID), hash, nil
}

// loopbackKey is the context key that marks a request whose client is on
// this machine.
type loopbackKey struct{}

// FromLoopback returns ctx for a request whose client (the one the forum
// believes, after any trusted proxy) is on this machine: only there does a
// demo account authenticate, and only with DemoSignIn.
func FromLoopback(ctx context.Context) context.Context {
	return context.WithValue(ctx, loopbackKey{}, true)
}

// fromLoopback reports whether ctx is marked by FromLoopback.
func fromLoopback(ctx context.Context) bool {
	on, _ := ctx.Value(loopbackKey{}).(bool)
	return on
}

// CheckCredentialLengths refuses (EINVALID), before any other work, a login
// longer than MaxLoginLen bytes or a password longer than 256 characters.
func CheckCredentialLengths(login, password string) error {
	if len(login) > MaxLoginLen {
		return fault.FieldError(fault.EINVALID, "login", fmt.Sprintf("a login is at most %d bytes", MaxLoginLen))
	}
	if len(password) > 4*maxPasswordLen || utf8.RuneCountInString(password) > maxPasswordLen {
		return fault.FieldError(fault.EINVALID, "password", fmt.Sprintf("a password is at most %d characters", maxPasswordLen))
	}
	return nil
}

// Session is a started session: the token goes to the client once and is
// never stored; ID names the session in events.
type Session struct {
	ID        events.SessionID
	UserID    events.UserID
	Token     string
	ExpiresAt time.Time
}

// maxUserAgentLen bounds the user agent a session keeps, in bytes.
const maxUserAgentLen = 256

// StartSession starts a new session for userID with a fresh 256-bit token,
// noting the client's userAgent (cut to 256 bytes) for the session list.
func (s *Service) StartSession(ctx context.Context, userID events.UserID, userAgent string) (Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("token: %w", err)
	}
	sess := Session{ID: events.SessionID(s.NewID()), UserID: userID, Token: base64.RawURLEncoding.EncodeToString(raw), ExpiresAt: s.Now().Add(s.SessionTTL).UTC().Truncate(time.Second)}
	if _, err := s.emit(ctx, events.SessionStarted, string(sess.ID), string(userID), events.SessionStartedData{
		SessionID: string(sess.ID), UserID: string(userID), TokenHash: TokenHash(sess.Token), ExpiresAt: sess.ExpiresAt, UserAgent: cleanUserAgent(userAgent),
	}); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// cleanUserAgent keeps the printable ASCII of ua, at most maxUserAgentLen bytes.
func cleanUserAgent(ua string) string {
	b := make([]byte, 0, min(len(ua), maxUserAgentLen))
	for i := 0; i < len(ua) && len(b) < maxUserAgentLen; i++ {
		if c := ua[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}

// SignInInput is what a sign-in gives: a nickname or email, a password, and
// the client's user agent.
type SignInInput struct {
	Login, Password, UserAgent string
}

// SignIn checks the password and starts a new session; for a user with two
// factors on, it answers fault.ESECONDFACTOR with a ticket instead, and
// SecondFactor starts the session.
func (s *Service) SignIn(ctx context.Context, in SignInInput) (Session, error) {
	id, err := s.Authenticate(ctx, in.Login, in.Password)
	if err != nil {
		return Session{}, err
	}
	if err := s.askSecondFactor(ctx, id); err != nil {
		return Session{}, err
	}
	return s.StartSession(ctx, id, in.UserAgent)
}

// Live reports whether sess is still in force at now: before its end, and
// used within the idle time (SessionIdleTTL).
func (s *Service) Live(sess projections.Session, now time.Time) bool {
	ends, ok := s.Ends(sess)
	return ok && now.Before(ends)
}

// Ends returns when sess ends at the latest if it is not used again: its
// end, or the idle time after its last use, whichever comes first. ok is
// false for a session whose times do not read (it is not in force).
func (s *Service) Ends(sess projections.Session) (ends time.Time, ok bool) {
	exp, err1 := time.Parse(time.RFC3339, sess.ExpiresAt)
	used, err2 := time.Parse(time.RFC3339, sess.LastUsedAt)
	return minTime(exp, used.Add(s.SessionIdleTTL)), err1 == nil && err2 == nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// usedEvery is how often the use of a session is recorded at most.
const usedEvery = time.Hour

// TouchSession records that sess was used now, if it was last recorded more
// than an hour ago (instances recording the same hour are deduplicated by
// the log). It does not wait for the read models.
func (s *Service) TouchSession(ctx context.Context, sess projections.Session) error {
	now := s.Now()
	if !s.UseDue(sess) {
		return nil
	}
	_, err := s.record(ctx, events.SessionUsed, sess.ID, sess.UserID, events.SessionUsedData{SessionID: sess.ID, UserID: sess.UserID},
		events.WithMsgID("session-used:"+sess.ID+":"+now.UTC().Truncate(usedEvery).Format(time.RFC3339)))
	return err
}

// UseDue tells whether a use of sess now is to be recorded (TouchSession):
// it was last recorded at least an hour ago.
func (s *Service) UseDue(sess projections.Session) bool {
	used, err := time.Parse(time.RFC3339, sess.LastUsedAt)
	return err != nil || s.Now().Sub(used) >= usedEvery
}

// EndSession ends one of user's sessions: ENOTFOUND unless it is theirs and
// still in force.
func (s *Service) EndSession(ctx context.Context, user events.UserID, sessionID events.SessionID) error {
	if err := checkID("session", string(sessionID)); err != nil {
		return err
	}
	sessions, err := s.DB.Sessions(ctx, user)
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		if sess.ID == string(sessionID) {
			return s.SignOut(ctx, Session{ID: sessionID, UserID: user})
		}
	}
	return fault.Errorf(fault.ENOTFOUND, "session not found")
}

// EndOtherSessions ends every session of user but keep ("" ends them all)
// and returns the ids of those it ended.
func (s *Service) EndOtherSessions(ctx context.Context, user events.UserID, keep events.SessionID) ([]events.SessionID, error) {
	sessions, err := s.DB.Sessions(ctx, user)
	if err != nil {
		return nil, err
	}
	var ended []events.SessionID
	for _, sess := range sessions {
		if id := events.SessionID(sess.ID); id != keep {
			err := s.SignOut(ctx, Session{ID: id, UserID: user})
			var st *Stored
			if err != nil && !errors.As(err, &st) {
				return ended, err
			}
			ended = append(ended, id)
		}
	}
	return ended, nil
}

// SignOut ends the session sess.ID of sess.UserID (sess.Token is not
// needed); its token stops working on every instance as soon as each has
// applied the event.
func (s *Service) SignOut(ctx context.Context, sess Session) error {
	_, err := s.emit(ctx, events.SessionEnded, string(sess.ID), string(sess.UserID), events.SessionEndedData{SessionID: string(sess.ID), UserID: string(sess.UserID)})
	return err
}
