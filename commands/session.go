package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

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

// Authenticate returns the id of the user whose nickname or email is login
// and whose password is password; EUNAUTHENTICATED otherwise.
func (s *Service) Authenticate(ctx context.Context, login, password string) (string, error) {
	cred, err := s.DB.Credentials(ctx, login)
	if events.ErrorCode(err) == events.ENOTFOUND {
		s.Hasher.Verify(dummyHash, password)
	} else if err != nil {
		return "", err
	}
	if cred.UserID == "" || !s.Hasher.Verify(cred.PasswordHash, password) {
		return "", events.Errorf(events.EUNAUTHENTICATED, "wrong login or password")
	}
	return cred.UserID, nil
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
