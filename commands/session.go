package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"forum/events"
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
func (s *Service) Authenticate(ctx context.Context, login, password string) (string, error) {
	if err := CheckCredentialLengths(login, password); err != nil {
		return "", err
	}
	wrong := events.Errorf(events.EUNAUTHENTICATED, "wrong login or password")
	cred, err := s.DB.Credentials(ctx, login)
	hash := cred.PasswordHash
	if events.ErrorCode(err) == events.ENOTFOUND {
		hash = dummyHash // as long as a real check, so timing tells nothing
	} else if err != nil {
		return "", err
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return "", err
	}
	if !ok || cred.UserID == "" || (password == DemoPassword && !s.DemoSignIn) {
		return "", wrong
	}
	return cred.UserID, nil
}

// CheckCredentialLengths refuses (EINVALID), before any other work, a login
// longer than MaxLoginLen bytes or a password longer than 256 characters.
func CheckCredentialLengths(login, password string) error {
	if len(login) > MaxLoginLen {
		return events.FieldError(events.EINVALID, "login", fmt.Sprintf("a login is at most %d bytes", MaxLoginLen))
	}
	if len(password) > 4*maxPasswordLen || utf8.RuneCountInString(password) > maxPasswordLen {
		return events.FieldError(events.EINVALID, "password", fmt.Sprintf("a password is at most %d characters", maxPasswordLen))
	}
	return nil
}

// Session is a started session: the token goes to the client once and is
// never stored; ID names the session in events.
type Session struct {
	ID        string
	UserID    string
	Token     string
	ExpiresAt time.Time
}

// StartSession starts a new session for userID with a fresh 256-bit token.
func (s *Service) StartSession(ctx context.Context, userID string) (Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("token: %w", err)
	}
	sess := Session{ID: s.NewID(), UserID: userID, Token: base64.RawURLEncoding.EncodeToString(raw), ExpiresAt: s.Now().Add(s.SessionTTL).UTC().Truncate(time.Second)}
	if _, err := s.emit(ctx, events.SessionStarted, sess.ID, userID, events.SessionStartedData{
		SessionID: sess.ID, UserID: userID, TokenHash: TokenHash(sess.Token), ExpiresAt: sess.ExpiresAt,
	}); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// SignIn checks the password and starts a new session.
func (s *Service) SignIn(ctx context.Context, login, password string) (Session, error) {
	id, err := s.Authenticate(ctx, login, password)
	if err != nil {
		return Session{}, err
	}
	return s.StartSession(ctx, id)
}

// SignOut ends the session sess.ID of sess.UserID (sess.Token is not
// needed); its token stops working on every instance as soon as each has
// applied the event.
func (s *Service) SignOut(ctx context.Context, sess Session) error {
	_, err := s.emit(ctx, events.SessionEnded, sess.ID, sess.UserID, events.SessionEndedData{SessionID: sess.ID, UserID: sess.UserID})
	return err
}
