package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// VoteInput sets Voter's vote on Target to Value: 1 like, -1 dislike, 0 none.
type VoteInput struct {
	Voter  string
	Target events.Target
	Value  int
}

// Vote sets a vote. Setting, not toggling, makes it idempotent. ENOTFOUND
// for a missing target (or a kind that cannot be voted on), ECONFLICT for a
// deleted one.
func (s *Service) Vote(ctx context.Context, in VoteInput) error {
	if in.Value < -1 || in.Value > 1 {
		return fault.FieldError(fault.EINVALID, "value", "value must be 1, -1 or 0")
	}
	if err := checkID(string(in.Target.Kind), in.Target.ID); err != nil {
		return err
	}
	typ, deletedSubject, what := events.PostVoted, events.PostDeleted.Subject(in.Target.ID), "post"
	var deleted bool
	switch in.Target.Kind {
	case events.KindPost:
		p, err := s.DB.Post(ctx, in.Target.ID, "")
		if err != nil {
			return err
		}
		deleted = p.Deleted
	case events.KindComment:
		typ, deletedSubject, what = events.CommentVoted, events.CommentDeleted.Subject(in.Target.ID), "comment"
		c, err := s.DB.Comment(ctx, in.Target.ID, "")
		if err != nil {
			return err
		}
		deleted = c.Deleted
	default:
		return fault.Errorf(fault.ENOTFOUND, "%s not found", in.Target.Kind)
	}
	if deleted {
		return fault.Errorf(fault.ECONFLICT, "the %s was deleted", what)
	}
	return s.emitUnlessDeleted(ctx, what, deletedSubject, typ, in.Target.ID, in.Voter, events.VotedData{TargetID: in.Target.ID, UserID: in.Voter, Value: in.Value})
}
