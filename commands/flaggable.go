package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// checkFlaggable refuses a flag that would tell the flagger more than
// reading the item does, or that asks for what is done already: a comment
// under a hidden post answers ENOTFOUND to all but moderators (its thread
// is theirs alone) and ECONFLICT to them; a hidden post or comment answers
// ECONFLICT, as it is hidden already. Messages are checked by latest.
func (s *Service) checkFlaggable(ctx context.Context, t events.Target, user string) error {
	switch t.Kind {
	case events.KindPost:
		p, err := s.DB.Post(ctx, events.PostID(t.ID), "")
		if err == nil && p.Hidden && !p.Deleted {
			return fault.Errorf(fault.ECONFLICT, "the post is hidden already")
		}
		return err
	case events.KindComment:
		c, err := s.DB.Comment(ctx, events.CommentID(t.ID), "")
		if err != nil || c.Deleted {
			return err // latest answers for a deleted one
		}
		if err := s.threadOpen(ctx, c.PostID); err != nil {
			if fault.Code(err) == fault.ECONFLICT && s.requireModerator(ctx, user) != nil {
				return fault.Errorf(fault.ENOTFOUND, "comment not found")
			}
			return err
		}
		if c.Hidden {
			return fault.Errorf(fault.ECONFLICT, "the comment is hidden already")
		}
	}
	return nil
}
