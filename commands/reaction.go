package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// ReactInput puts User's reaction Name on Target (a post, comment or
// message), or takes it off (On false).
type ReactInput struct {
	User   events.UserID
	Target events.Target
	Name   events.ReactionName
	On     bool
}

// errReactionName is the answer to a name that is not a reaction.
var errReactionName = fault.FieldError(fault.EINVALID, "name", "name must be one of "+strings.Join(reactionNames(), ", "))

func reactionNames() []string {
	out := make([]string, len(events.ReactionNames))
	for i, n := range events.ReactionNames {
		out[i] = string(n)
	}
	return out
}

// React puts a reaction on, or takes it off, and returns the target's
// reactions as the user now sees them. Like a vote it sets, not toggles: a
// reaction already on (or already off) appends nothing. Each user's
// reaction is a row of its own in the read models, so users reacting at
// once are all counted. EINVALID (field name) for a name that is not a
// reaction; ENOTFOUND for a missing target, or a message the user is not
// shown; ECONFLICT for a deleted or hidden one (or a comment under a hidden
// post); EFORBIDDEN for a direct message whose other side blocks the user.
func (s *Service) React(ctx context.Context, in ReactInput) (projections.Reactions, error) {
	if !in.Name.Valid() {
		return projections.Reactions{}, errReactionName
	}
	if err := checkID(string(in.Target.Kind), in.Target.ID); err != nil {
		return projections.Reactions{}, err
	}
	if err := s.CheckActive(ctx, in.User); err != nil {
		return projections.Reactions{}, err
	}
	if err := s.setReaction(ctx, in); err != nil {
		return projections.Reactions{}, err
	}
	return s.DB.Reactions(ctx, in.Target, in.User)
}

// setReaction appends the event that sets in, if any. Each user's
// reactions on one target share a subject: the reaction is decided against
// the read models once they include the latest event on it, and appended
// with a message id made of that event's sequence and what it sets, so
// the same reaction set at once by many requests (on any instance) is
// stored once. It never lands after the target's deletion.
func (s *Service) setReaction(ctx context.Context, in ReactInput) error {
	user, key := string(in.User), in.Target.ID+"."+string(in.User)
	var seq uint64
	switch last, err := s.Store.Last(ctx, events.ReactionAdded.Subject(key)); {
	case errors.Is(err, events.ErrNoEvent):
	case err != nil:
		return err
	default:
		seq = last.Seq
	}
	if err := s.wait(ctx, seq); err != nil {
		return err
	}
	deleted, err := s.takesReactions(ctx, in.Target, user)
	if err != nil {
		return err
	}
	on, err := s.DB.HasReaction(ctx, in.Target, in.User, in.Name)
	if err != nil || on == in.On {
		return err
	}
	typ := events.ReactionAdded
	if !in.On {
		typ = events.ReactionRemoved
	}
	opts := []events.AppendOption{events.WithMsgID(fmt.Sprintf("reaction:%s:%d:%s:%t", key, seq, in.Name, in.On))}
	if deleted != "" {
		opts = append(opts, unlessDeleted(deleted))
	}
	_, err = s.emit(ctx, typ, key, user, events.ReactionData{Target: in.Target, UserID: user, Name: in.Name}, opts...)
	if errors.Is(err, events.ErrConflict) {
		return fault.Errorf(fault.ECONFLICT, "the %s was deleted", in.Target.Kind)
	}
	return err
}

// takesReactions says why user may not react to t (see React), and returns
// the subject of its deletion in the log ("" for a message, which has none).
func (s *Service) takesReactions(ctx context.Context, t events.Target, user string) (deleted string, err error) {
	switch t.Kind {
	case events.KindPost:
		p, err := s.DB.Post(ctx, events.PostID(t.ID), "")
		if err != nil {
			return "", err
		}
		return events.PostDeleted.Subject(t.ID), postTakes(p, "reactions")
	case events.KindComment:
		return events.CommentDeleted.Subject(t.ID), s.commentTakesVotes(ctx, t.ID)
	case events.KindMessage:
		return "", s.mayReactToMessage(ctx, events.MessageID(t.ID), events.UserID(user))
	}
	return "", fault.Errorf(fault.ENOTFOUND, "%s not found", t.Kind)
}

// MayReadMessage returns ENOTFOUND unless user is shown message id and who
// reacted to it: one of the two sides of a direct message, or anyone signed
// in for a room's message (a room's history is open to all, as are its
// reaction frames to whoever watches it); a hidden message only to a
// moderator (reveal).
func (s *Service) MayReadMessage(ctx context.Context, id events.MessageID, user events.UserID, reveal bool) error {
	m, _, err := s.messageShown(ctx, id, user)
	if err != nil {
		return err
	}
	if m.Hidden && !reveal {
		return fault.Errorf(fault.ENOTFOUND, "message not found")
	}
	return nil
}

// mayReactToMessage returns ENOTFOUND unless user may react to message id:
// one of the two sides of a direct message, or a member of the message's
// room (as in Discourse's chat, reading a room is open to all but taking
// part in it is for its members). It refuses (ECONFLICT) a hidden message,
// and (EFORBIDDEN) a direct message whose other side blocks user.
func (s *Service) mayReactToMessage(ctx context.Context, id events.MessageID, user events.UserID) error {
	m, other, err := s.messageShown(ctx, id, user)
	if err != nil {
		return err
	}
	if m.Room != nil {
		mem, err := s.DB.RoomMembership(ctx, *m.Room, user)
		if err != nil {
			return err
		}
		if !mem.Member {
			return fault.Errorf(fault.ENOTFOUND, "message not found")
		}
	}
	if m.Hidden {
		return fault.Errorf(fault.ECONFLICT, "the message was hidden by a moderator and takes no reactions")
	}
	if other != "" {
		return s.refuseBlocked(ctx, string(user), other)
	}
	return nil
}

// messageShown returns message id if user is shown it (a room's message,
// or a direct message they are a side of, whose other side is other), else
// ENOTFOUND.
func (s *Service) messageShown(ctx context.Context, id events.MessageID, user events.UserID) (m projections.Message, other string, err error) {
	notFound := fault.Errorf(fault.ENOTFOUND, "message not found")
	if !events.ValidID(string(id)) {
		return m, "", notFound
	}
	if m, err = s.DB.MessageByID(ctx, id); err != nil {
		return m, "", err
	}
	switch {
	case m.Room != nil:
		return m, "", nil
	case m.To != nil && m.From.ID == string(user):
		return m, m.To.ID, nil
	case m.To != nil && m.To.ID == string(user):
		return m, m.From.ID, nil
	}
	return m, "", notFound
}
