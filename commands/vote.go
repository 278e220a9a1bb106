package commands

import (
	"context"

	"forum/events"
)

// Vote sets user's vote on a post or comment (kind "post" or "comment") to
// value: 1 like, -1 dislike, 0 none. Setting, not toggling, makes it
// idempotent. ENOTFOUND for a missing target, ECONFLICT for a deleted one.
func (s *Service) Vote(ctx context.Context, user, kind, id string, value int) error {
	if value < -1 || value > 1 {
		return events.FieldError(events.EINVALID, "value", "value must be 1, -1 or 0")
	}
	if err := checkID(kind, id); err != nil {
		return err
	}
	typ, subject := events.PostVoted, events.PostSubject(id, "voted")
	deleted := false
	if kind == "comment" {
		typ, subject = events.CommentVoted, events.CommentSubject(id, "voted")
		c, err := s.DB.Comment(ctx, id, "")
		if err != nil {
			return err
		}
		deleted = c.Deleted
	} else {
		p, err := s.DB.Post(ctx, id, "")
		if err != nil {
			return err
		}
		deleted = p.Deleted
	}
	if deleted {
		return events.Errorf(events.ECONFLICT, "the %s was deleted", kind)
	}
	env, err := s.event(typ, user, events.VotedData{TargetID: id, UserID: user, Value: value})
	if err != nil {
		return err
	}
	_, err = s.append(ctx, subject, env)
	return err
}
