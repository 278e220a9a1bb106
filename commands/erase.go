package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// Erase erases user's account after checking their password: its sessions
// end, its nickname and email are free again, and its personal data in the
// log becomes unreadable (its key is destroyed).
func (s *Service) Erase(ctx context.Context, user, password string) error {
	acct, err := s.DB.Account(ctx, user)
	if err != nil {
		return err
	}
	if password == "" {
		return fault.FieldError(fault.EINVALID, "password", "enter your password to delete your account")
	}
	id, err := s.Authenticate(ctx, acct.Nickname, password)
	if err != nil || id != user {
		return fault.FieldError(fault.EUNAUTHENTICATED, "password", "wrong password")
	}
	if _, err := s.emit(ctx, events.UserErased, user, user, events.UserModData{UserID: user}); err != nil {
		return err
	}
	s.release(ctx, events.ClaimNickname, acct.Nickname, user)
	s.release(ctx, events.ClaimEmail, acct.Email, user)
	return s.destroyKey(ctx, user)
}

// destroyKey destroys user's data key, so that their personal data in the
// log can no longer be read.
func (s *Service) destroyKey(ctx context.Context, user string) error {
	if s.Keys == nil {
		return nil
	}
	return s.Keys.Destroy(ctx, user)
}
