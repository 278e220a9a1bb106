package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// VoteInput sets Voter's vote on Target to Value: 1 like, -1 dislike, 0 none.
type VoteInput struct {
	Voter  events.UserID
	Target events.Target
	Value  int
}

// Vote sets a vote. Setting, not toggling, makes it idempotent. ENOTFOUND
// for a missing target (or a kind that cannot be voted on), ECONFLICT for a
// deleted one, a hidden one, or a comment under a hidden post.
func (s *Service) Vote(ctx context.Context, in VoteInput) error {
	if in.Value < -1 || in.Value > 1 {
		return fault.FieldError(fault.EINVALID, "value", "value must be 1, -1 or 0")
	}
	if err := checkID(string(in.Target.Kind), in.Target.ID); err != nil {
		return err
	}
	typ, deletedSubject, what := events.PostVoted, events.PostDeleted.Subject(in.Target.ID), "post"
	var err error
	switch in.Target.Kind {
	case events.KindPost:
		err = s.postTakesVotes(ctx, in.Target.ID)
	case events.KindComment:
		typ, deletedSubject, what = events.CommentVoted, events.CommentDeleted.Subject(in.Target.ID), "comment"
		err = s.commentTakesVotes(ctx, in.Target.ID)
	default:
		return fault.Errorf(fault.ENOTFOUND, "%s not found", in.Target.Kind)
	}
	if err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, what, deletedSubject, typ, in.Target.ID, string(in.Voter), events.VotedData{TargetID: in.Target.ID, UserID: string(in.Voter), Value: in.Value})
}

// postTakesVotes says why post id takes no vote: ENOTFOUND, or ECONFLICT
// when it is deleted or hidden; nil when it takes one.
func (s *Service) postTakesVotes(ctx context.Context, id string) error {
	p, err := s.DB.Post(ctx, events.PostID(id), "")
	if err != nil {
		return err
	}
	return postTakes(p, "votes")
}

// commentTakesVotes says why comment id takes no vote: ENOTFOUND, or
// ECONFLICT when it is deleted or hidden, or its post is hidden.
func (s *Service) commentTakesVotes(ctx context.Context, id string) error {
	c, err := s.DB.Comment(ctx, events.CommentID(id), "")
	switch {
	case err != nil:
		return err
	case c.Deleted:
		return fault.Errorf(fault.ECONFLICT, "the comment was deleted")
	case c.Hidden:
		return fault.Errorf(fault.ECONFLICT, "the comment was hidden by a moderator and takes no votes")
	}
	return s.threadOpen(ctx, c.PostID)
}

// threadOpen returns ECONFLICT when post id is hidden by a moderator: its
// thread is closed with it (no edit, no vote).
func (s *Service) threadOpen(ctx context.Context, id string) error {
	p, err := s.DB.Post(ctx, events.PostID(id), "")
	if err != nil {
		return err
	}
	if p.Hidden {
		return fault.Errorf(fault.ECONFLICT, "the post was hidden by a moderator and its thread takes no changes")
	}
	return nil
}
