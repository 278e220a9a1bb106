package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// PinPost pins a post (by a moderator) where scope says: first on every
// list (global) or on its categories' lists (category). It returns
// EFORBIDDEN for an actor who is not a moderator, EINVALID for another
// scope, ENOTFOUND for a post that does not exist or is deleted and
// ECONFLICT for a post hidden by a moderator (unpinning one is fine). A
// post pinned with that scope already stays as it is: no event.
func (s *Service) PinPost(ctx context.Context, actor events.UserID, post events.PostID, scope events.PinScope) error {
	if err := s.requireModerator(ctx, string(actor)); err != nil {
		return err
	}
	if !scope.Valid() {
		return fault.FieldError(fault.EINVALID, "scope", `scope must be "global" or "category"`)
	}
	return s.setPinned(ctx, string(actor), string(post), scope)
}

// UnpinPost unpins a post (by a moderator), with PinPost's errors; a post
// not pinned stays as it is.
func (s *Service) UnpinPost(ctx context.Context, actor events.UserID, post events.PostID) error {
	if err := s.requireModerator(ctx, string(actor)); err != nil {
		return err
	}
	return s.setPinned(ctx, string(actor), string(post), "")
}

// setPinned pins post id with scope, or unpins it (scope ""), unless it is
// so already. The event never lands after the post's deletion.
func (s *Service) setPinned(ctx context.Context, actor, id string, scope events.PinScope) error {
	if !events.ValidID(id) {
		return fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	p, err := s.DB.Post(ctx, events.PostID(id), "")
	if err != nil {
		return err
	}
	if p.Deleted {
		return fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	if p.Hidden && scope != "" {
		return fault.Errorf(fault.ECONFLICT, "the post is hidden by a moderator: restore it before pinning it")
	}
	var now events.PinScope
	if p.Pinned != nil {
		now = *p.Pinned
	}
	if now == scope {
		return nil
	}
	typ, data := events.PostUnpinned, any(events.PostUnpinnedData{PostID: events.PostID(id)})
	if scope != "" {
		typ, data = events.PostPinned, events.PostPinnedData{PostID: events.PostID(id), Scope: scope}
	}
	return s.emitUnlessDeleted(ctx, "post", events.PostDeleted.Subject(id), typ, id, actor, data)
}
