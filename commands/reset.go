package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// ForgotFloor is how long ForgotPassword takes at least, whether or not
// the address names an account, so its time tells nothing.
const ForgotFloor = 500 * time.Millisecond

// ForgotPassword mails a link to reset the password of the account whose
// address is email (ignoring case), good for ResetLinkTTL; an address that
// names no account (or an erased one) gets nothing. Either way it answers
// the same, nil, and not before ForgotFloor has passed (unless ctx ends
// first), so neither its answer nor its time tells whether the account
// exists. Only an address that is not one answers EINVALID (field
// "email"), and a log that cannot be reached EUNAVAILABLE.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	if err := checkEmail(email); err != nil {
		return err
	}
	floor := time.NewTimer(ForgotFloor)
	defer floor.Stop()
	err := s.forgot(ctx, email)
	if err != nil && fault.Code(err) != fault.EUNAVAILABLE {
		s.Logger.Error("forgotten password", "err", err)
		err = nil // told the same as success: it says nothing of the account
	}
	select {
	case <-floor.C:
	case <-ctx.Done():
	}
	return err
}

func (s *Service) forgot(ctx context.Context, email string) error {
	cred, err := s.DB.Credentials(ctx, email)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	acct, err := s.DB.Account(ctx, events.UserID(cred.UserID))
	if err != nil {
		return err
	}
	token, hash := newLinkToken()
	_, err = s.record(ctx, events.ResetRequested, cred.UserID, cred.UserID, events.ResetRequestedData{
		UserID: cred.UserID, Email: acct.Email, Token: token, TokenHash: hash, ExpiresAt: s.Now().Add(ResetLinkTTL),
	})
	return err
}

// ResetInput is a password reset through a link.
type ResetInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// ResetPassword follows a reset link: the account's password becomes the
// new one and every session of the account ends. A token unknown, used or
// expired answers EINVALID with field "token"; a password too short, too
// long or too common, EINVALID with field "password".
func (s *Service) ResetPassword(ctx context.Context, in ResetInput) error {
	t, hash, err := s.link(ctx, in.Token, projections.TokenReset)
	if err != nil {
		return err
	}
	if n := utf8.RuneCountInString(in.Password); len(in.Password) > 4*maxPasswordLen || n < minPasswordLen || n > maxPasswordLen {
		return fault.FieldError(fault.EINVALID, "password", fmt.Sprintf("password must be %d to %d characters", minPasswordLen, maxPasswordLen))
	}
	acct, err := s.DB.Account(ctx, events.UserID(t.UserID))
	if err != nil {
		return err
	}
	if err := checkPasswordStrength(in.Password, acct.Nickname, acct.Email); err != nil {
		return err
	}
	pw, err := s.hash(ctx, in.Password)
	if err != nil {
		return err
	}
	// On the token's own subject, expected empty: a link is used once.
	_, err = s.emit(ctx, events.PasswordReset, hash, t.UserID, events.PasswordResetData{UserID: t.UserID, TokenHash: hash, PasswordHash: pw},
		events.ExpectLastSubjectSeq(0))
	if errors.Is(err, events.ErrConflict) {
		return badLink()
	}
	return err
}
