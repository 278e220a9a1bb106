package commands

import (
	"context"

	"forum/events"
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
		return events.FieldError(events.EINVALID, "value", "value must be 1, -1 or 0")
	}
	if err := checkID(in.Target.Kind, in.Target.ID); err != nil {
		return err
	}
	typ := events.PostVoted
	if in.Target.Kind == events.KindComment {
		typ = events.CommentVoted
	} else if in.Target.Kind != events.KindPost {
		return events.Errorf(events.ENOTFOUND, "%s not found", in.Target.Kind)
	}
	_, err := s.decide(ctx, events.AggregateSubjects(typ, in.Target.ID), func() (events.Type, string, string, any, error) {
		var deleted bool
		if typ == events.PostVoted {
			p, err := s.DB.Post(ctx, in.Target.ID, "")
			if err != nil {
				return "", "", "", nil, err
			}
			deleted = p.Deleted
		} else {
			c, err := s.DB.Comment(ctx, in.Target.ID, "")
			if err != nil {
				return "", "", "", nil, err
			}
			deleted = c.Deleted
		}
		if deleted {
			return "", "", "", nil, events.Errorf(events.ECONFLICT, "the %s was deleted", in.Target.Kind)
		}
		return typ, in.Target.ID, in.Voter, events.VotedData{TargetID: in.Target.ID, UserID: in.Voter, Value: in.Value}, nil
	})
	return err
}
