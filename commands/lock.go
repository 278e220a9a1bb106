package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// LockPost locks a post (by a moderator), or unlocks it (locked false): a
// locked post takes no new comments but from moderators. It returns
// EFORBIDDEN for an actor who is not a moderator, ENOTFOUND for a post
// that does not exist or is deleted and ECONFLICT for locking a post hidden by
// a moderator (unlocking one is fine). A post locked (or unlocked) already
// stays as it is: no event.
func (s *Service) LockPost(ctx context.Context, actor events.UserID, post events.PostID, locked bool) error {
	if err := s.requireModerator(ctx, string(actor)); err != nil {
		return err
	}
	id := string(post)
	if !events.ValidID(id) {
		return fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	p, err := s.DB.Post(ctx, post, "")
	if err != nil {
		return err
	}
	if p.Deleted {
		return fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	if p.Hidden && locked {
		return fault.Errorf(fault.ECONFLICT, "the post is hidden by a moderator: restore it before locking it")
	}
	if p.Locked == locked {
		return nil
	}
	typ := events.PostUnlocked
	if locked {
		typ = events.PostLocked
	}
	return s.emitUnlessDeleted(ctx, "post", events.PostDeleted.Subject(id), typ, id, string(actor), events.PostLockData{PostID: post})
}
