package commands

import (
	"context"
	"errors"

	"forum/events"
	"forum/fault"
)

// Erase erases user's account after checking their password: its sessions
// end, its nickname and email are free again, and its personal data in the
// log becomes unreadable (its key is destroyed). The forum's last admin
// cannot leave (ECONFLICT); another admin gives up the role first.
func (s *Service) Erase(ctx context.Context, userID events.UserID, password string) error {
	user := string(userID)
	acct, err := s.DB.Account(ctx, userID)
	if err != nil {
		return err
	}
	if password == "" {
		return fault.FieldError(fault.EINVALID, "password", "enter your password to delete your account")
	}
	id, err := s.Authenticate(ctx, acct.Nickname, password)
	if err != nil || id != userID {
		return fault.FieldError(fault.EUNAUTHENTICATED, "password", "wrong password")
	}
	if acct.Role == events.RoleAdmin {
		if err := s.stepDown(ctx, user); err != nil {
			return err
		}
	}
	uploads, err := s.DB.UploadsOf(ctx, userID)
	if err != nil {
		return err
	}
	if _, err := s.emit(ctx, events.UserErased, user, user, events.UserModData{UserID: user}); err != nil {
		return err
	}
	s.release(ctx, events.ClaimNickname, acct.Nickname, user)
	s.release(ctx, events.ClaimEmail, acct.Email, user)
	if err := s.destroyKey(ctx, user); err != nil {
		return err
	}
	// Their pictures are unreadable now; their objects go too, as far as
	// they can.
	if m, err := s.media(ctx); err == nil {
		for _, id := range uploads {
			s.dropObjects(ctx, m, id)
		}
	}
	return nil
}

// destroyKey destroys user's data key, so that their personal data in the
// log can no longer be read.
func (s *Service) destroyKey(ctx context.Context, user string) error {
	if s.Keys == nil {
		return nil
	}
	return s.Keys.Destroy(ctx, user)
}

// stepDown makes an admin who is leaving a member, unless they are the
// forum's last admin (ECONFLICT), under the same condition as any change
// of role: two admins leaving at once cannot leave the forum without one.
func (s *Service) stepDown(ctx context.Context, user string) error {
	keep, err := s.keepAnAdmin(ctx)
	if fault.Code(err) == fault.ECONFLICT {
		return fault.Errorf(fault.ECONFLICT, "the forum's last admin cannot delete their account; make another admin first")
	}
	if err != nil {
		return err
	}
	_, err = s.record(ctx, events.UserRoleSet, user, user, events.UserRoleSetData{UserID: user, Role: events.RoleMember}, keep)
	if errors.Is(err, events.ErrConflict) {
		return fault.Errorf(fault.ECONFLICT, "roles changed meanwhile; try again")
	}
	return err
}
