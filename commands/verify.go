package commands

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// How long the links sent by mail are good for.
const (
	VerifyLinkTTL = 7 * 24 * time.Hour
	ResetLinkTTL  = time.Hour
)

// maxTokenLen bounds a token as given back, in bytes: longer is none of ours.
const maxTokenLen = 128

// newLinkToken returns a fresh token of 256 random bits for a link sent by
// mail, and its hash: only the hash is kept in the clear.
func newLinkToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token)
}

// badLink is the answer to a token that is unknown, used, expired or of
// another purpose: the same for all, so it tells nothing.
func badLink() error {
	return fault.FieldError(fault.EINVALID, "token", "this link is unknown, used or expired")
}

// link returns the link of purpose whose token is token, if it is still
// good at now; badLink otherwise.
func (s *Service) link(ctx context.Context, token, purpose string) (projections.MailToken, string, error) {
	if token == "" || len(token) > maxTokenLen {
		return projections.MailToken{}, "", badLink()
	}
	hash := TokenHash(token)
	t, err := s.DB.MailToken(ctx, hash)
	if fault.Code(err) == fault.ENOTFOUND {
		return t, "", badLink()
	}
	if err != nil {
		return t, "", err
	}
	expires, perr := time.Parse(time.RFC3339, t.ExpiresAt)
	if t.Purpose != purpose || t.Used || perr != nil || !s.Now().Before(expires) {
		return t, "", badLink()
	}
	return t, hash, nil
}

// RequestVerification makes a link that verifies email for user, good for
// VerifyLinkTTL; the outbox mails it. With change, the address replaces
// the account's once verified.
func (s *Service) RequestVerification(ctx context.Context, user events.UserID, email string, change bool) error {
	token, hash := newLinkToken()
	_, err := s.emit(ctx, events.VerificationRequested, string(user), string(user), events.VerificationRequestedData{
		UserID: string(user), Email: email, Token: token, TokenHash: hash, ExpiresAt: s.Now().Add(VerifyLinkTTL), Change: change,
	})
	return err
}

// VerifyEmail follows a verification link: the address it was sent to is
// verified and, for a new address, replaces the account's (claimed in the
// log first: ETAKEN with field "email" if someone took it meanwhile; the
// old address is released). A token unknown, used or expired answers
// EINVALID with field "token". It returns the account's id.
func (s *Service) VerifyEmail(ctx context.Context, token string) (events.UserID, error) {
	t, hash, err := s.link(ctx, token, projections.TokenVerify)
	if err != nil {
		return "", err
	}
	acct, err := s.DB.Account(ctx, events.UserID(t.UserID))
	if err != nil {
		return "", err
	}
	change := t.Change && !strings.EqualFold(acct.Email, t.Email)
	if change {
		if err := s.claim(ctx, events.ClaimEmail, t.Email, t.UserID); err != nil {
			return "", err
		}
	}
	// On the token's own subject, expected empty: a link is used once.
	_, err = s.emit(ctx, events.EmailVerified, hash, t.UserID, events.EmailVerifiedData{UserID: t.UserID, Email: t.Email, TokenHash: hash},
		events.ExpectLastSubjectSeq(0))
	var st *Stored
	switch {
	case errors.Is(err, events.ErrConflict):
		if change {
			s.release(ctx, events.ClaimEmail, t.Email, t.UserID)
		}
		return "", badLink()
	case err != nil && !errors.As(err, &st):
		if change && fault.Code(err) != fault.EUNAVAILABLE {
			s.release(ctx, events.ClaimEmail, t.Email, t.UserID)
		}
		return "", err
	}
	if change {
		s.release(ctx, events.ClaimEmail, acct.Email, t.UserID)
	}
	return events.UserID(t.UserID), err
}

// ChangeEmailInput is a request to change one's address.
type ChangeEmailInput struct {
	User     events.UserID
	Email    string
	Password string
}

// ChangeEmail checks the user's password (EINVALID with field "password"
// when wrong) and mails a verification link to the new address, which
// replaces the account's when the link is followed. An address someone
// else holds answers ETAKEN with field "email". The account's own address,
// not yet verified, gets a fresh link.
func (s *Service) ChangeEmail(ctx context.Context, in ChangeEmailInput) error {
	if err := checkEmail(in.Email); err != nil {
		return err
	}
	if err := CheckCredentialLengths(in.Email, in.Password); err != nil {
		return err
	}
	acct, err := s.DB.Account(ctx, in.User)
	if err != nil {
		return err
	}
	cred, err := s.DB.Credentials(ctx, acct.Nickname)
	if err != nil {
		return err
	}
	ok, err := s.verify(ctx, cred.PasswordHash, in.Password)
	if err != nil {
		return err
	}
	if !ok {
		return fault.FieldError(fault.EINVALID, "password", "wrong password")
	}
	same := strings.EqualFold(acct.Email, in.Email)
	if same && acct.EmailVerified == projections.VerifiedYes {
		return fault.FieldError(fault.EINVALID, "email", "that is already your verified address")
	}
	if !same {
		switch holder, err := s.DB.Credentials(ctx, in.Email); {
		case err == nil && holder.UserID != string(in.User):
			return fault.FieldError(fault.ETAKEN, "email", "that email is already taken")
		case err != nil && fault.Code(err) != fault.ENOTFOUND:
			return err
		}
	}
	email := in.Email
	if same {
		email = acct.Email
	}
	return s.RequestVerification(ctx, in.User, email, !same)
}

// verifySignUp mails a new account the link that verifies its address.
// The account stands without it: a failure is logged, and a new link is
// asked with PUT /api/me/email.
func (s *Service) verifySignUp(ctx context.Context, user events.UserID, email string) {
	if err := s.RequestVerification(ctx, user, email, false); err != nil {
		var st *Stored
		if !errors.As(err, &st) {
			s.Logger.Error("verification link at sign-up", "user", user, "err", err)
		}
	}
}
