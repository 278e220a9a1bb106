package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Moderation: roles, suspensions, flags, hiding, purges and blocks. Who may
// do what is decided here, from the actor's standing in the read models.

// maxReason bounds a flag's or a moderator's reason, in characters.
const maxReason = 500

func checkReason(reason string, required bool) error {
	if reason == "" && !required {
		return nil
	}
	return checkText("reason", reason, 1, maxReason)
}

// standing returns the actor's standing; an actor that is not a user (the
// command line) is an admin.
func (s *Service) standing(ctx context.Context, user string) (projections.Standing, error) {
	if user == "" {
		return projections.Standing{Role: events.RoleAdmin}, nil
	}
	return s.DB.StandingOf(ctx, events.UserID(user))
}

// requireModerator refuses (EFORBIDDEN) an actor who is not a moderator or
// an admin.
func (s *Service) requireModerator(ctx context.Context, actor string) error {
	st, err := s.standing(ctx, actor)
	if err != nil {
		return err
	}
	if !projections.Moderator(st.Role) {
		return fault.Errorf(fault.EFORBIDDEN, "only moderators may do that")
	}
	return nil
}

// CheckActive refuses (ESUSPENDED, with the end) a write by a suspended user.
func (s *Service) CheckActive(ctx context.Context, user events.UserID) error {
	st, err := s.DB.StandingOf(ctx, user)
	if err != nil {
		return err
	}
	if st.SuspendedUntil != nil && st.SuspendedUntil.After(s.Now()) {
		until := *st.SuspendedUntil
		msg := "your account is suspended until " + until.UTC().Format(time.RFC3339)
		if st.Reason != "" {
			msg += ": " + st.Reason
		}
		return &fault.Error{Code: fault.ESUSPENDED, Message: msg, Until: &until}
	}
	return nil
}

func rank(role events.Role) int {
	switch role {
	case events.RoleAdmin:
		return 2
	case events.RoleModerator:
		return 1
	}
	return 0
}

// SetRole makes target a member, moderator or admin (by an admin).
func (s *Service) SetRole(ctx context.Context, actorID, targetID events.UserID, role events.Role) error {
	actor, target := string(actorID), string(targetID)
	if !role.Valid() {
		return fault.FieldError(fault.EINVALID, "role", `role must be "member", "moderator" or "admin"`)
	}
	st, err := s.standing(ctx, actor)
	if err != nil {
		return err
	}
	if st.Role != events.RoleAdmin {
		return fault.Errorf(fault.EFORBIDDEN, "only admins may change roles")
	}
	t, err := s.DB.StandingOf(ctx, targetID)
	if err != nil {
		return err
	}
	var opts []events.AppendOption
	if t.Role == events.RoleAdmin && role != events.RoleAdmin {
		keep, err := s.keepAnAdmin(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, keep)
	}
	_, err = s.emit(ctx, events.UserRoleSet, target, actor, events.UserRoleSetData{UserID: target, Role: role}, opts...)
	if errors.Is(err, events.ErrConflict) {
		return fault.Errorf(fault.ECONFLICT, "roles changed meanwhile; try again")
	}
	return err
}

// keepAnAdmin refuses (ECONFLICT) taking the role of the last admin. Else
// it returns the condition the change is appended under: no role changed
// since the admins were counted, so two admins demoting each other at
// once cannot leave the forum without one.
func (s *Service) keepAnAdmin(ctx context.Context) (events.AppendOption, error) {
	roles := events.UserRoleSet.Subject("*")
	var seq uint64
	last, err := s.Store.Last(ctx, roles)
	switch {
	case errors.Is(err, events.ErrNoEvent):
	case err != nil:
		return nil, err
	default:
		seq = last.Seq
	}
	if err := s.wait(ctx, seq); err != nil {
		return nil, err
	}
	n, err := s.DB.AdminCount(ctx)
	if err != nil {
		return nil, err
	}
	if n <= 1 {
		return nil, fault.Errorf(fault.ECONFLICT, "the forum's last admin cannot give up the role; make another admin first")
	}
	return events.ExpectLastSeqOn(roles, seq), nil
}

// EnsureAdmins makes admins of the existing users with these nicknames
// (--admins) who are not admins yet, if each is the first account ever to
// hold the nickname.
func (s *Service) EnsureAdmins(ctx context.Context, nicknames []string) error {
	for _, nick := range nicknames {
		cred, err := s.DB.Credentials(ctx, nick)
		if fault.Code(err) == fault.ENOTFOUND {
			continue // not signed up yet: made admin when they do
		}
		if err != nil {
			return err
		}
		if !s.firstHolder(ctx, nick, cred.UserID) {
			continue // a later holder, after an erasure: a member
		}
		st, err := s.DB.StandingOf(ctx, events.UserID(cred.UserID))
		if err != nil {
			return err
		}
		if st.Role != events.RoleAdmin {
			if _, err := s.emit(ctx, events.UserRoleSet, cred.UserID, "", events.UserRoleSetData{UserID: cred.UserID, Role: events.RoleAdmin}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Suspend stops target writing until the time given (by a moderator, of
// someone below them).
func (s *Service) Suspend(ctx context.Context, actorID, targetID events.UserID, until time.Time, reason string) error {
	actor, target := string(actorID), string(targetID)
	if err := s.requireModerator(ctx, actor); err != nil {
		return err
	}
	if !until.After(s.Now()) || until.After(s.Now().AddDate(100, 0, 0)) {
		return fault.FieldError(fault.EINVALID, "until", "until must be a time in the next 100 years")
	}
	if err := checkReason(reason, true); err != nil {
		return err
	}
	if err := s.outranks(ctx, actor, target); err != nil {
		return err
	}
	_, err := s.emit(ctx, events.UserSuspended, target, actor, events.UserSuspendedData{UserID: target, Until: until.UTC(), Reason: reason})
	return err
}

// Unsuspend lets target write again.
func (s *Service) Unsuspend(ctx context.Context, actorID, targetID events.UserID, reason string) error {
	actor, target := string(actorID), string(targetID)
	if err := s.requireModerator(ctx, actor); err != nil {
		return err
	}
	if err := checkReason(reason, false); err != nil {
		return err
	}
	if _, err := s.DB.User(ctx, targetID); err != nil {
		return err
	}
	_, err := s.emit(ctx, events.UserUnsuspended, target, actor, events.UserModData{UserID: target, Reason: reason})
	return err
}

// outranks refuses acting on a user of the same role or above.
func (s *Service) outranks(ctx context.Context, actor, target string) error {
	a, err := s.standing(ctx, actor)
	if err != nil {
		return err
	}
	t, err := s.DB.StandingOf(ctx, events.UserID(target))
	if err != nil {
		return err
	}
	if actor != "" && rank(t.Role) >= rank(a.Role) {
		return fault.Errorf(fault.EFORBIDDEN, "you cannot do that to a %s", t.Role)
	}
	return nil
}

// Purge hides everything target wrote since the time given.
func (s *Service) Purge(ctx context.Context, actorID, targetID events.UserID, since time.Time, reason string) error {
	actor, target := string(actorID), string(targetID)
	if err := s.requireModerator(ctx, actor); err != nil {
		return err
	}
	if since.IsZero() || since.After(s.Now()) {
		return fault.FieldError(fault.EINVALID, "since", "since must be a time in the past")
	}
	if err := checkReason(reason, false); err != nil {
		return err
	}
	if err := s.outranks(ctx, actor, target); err != nil {
		return err
	}
	_, err := s.emit(ctx, events.UserPurged, target, actor, events.UserPurgedData{UserID: target, Since: since.UTC(), Reason: reason})
	return err
}

// checkTarget validates a flag's or a hide's target kind and id.
func checkTarget(t events.Target) error {
	switch t.Kind {
	case events.KindPost, events.KindComment, events.KindMessage:
	default:
		return fault.FieldError(fault.EINVALID, "kind", "only posts, comments and messages can be flagged or hidden")
	}
	if !events.ValidID(t.ID) {
		return fault.Errorf(fault.ENOTFOUND, "%s not found", t.Kind)
	}
	return nil
}

// latest returns the stream sequence of the item's latest version, and
// checks that user may see it (a message: only its conversation's
// participants, or a room's readers).
func (s *Service) latest(ctx context.Context, t events.Target, user string) (uint64, error) {
	var edited string
	var seq uint64
	switch t.Kind {
	case events.KindPost:
		p, err := s.DB.Post(ctx, events.PostID(t.ID), "")
		if err != nil {
			return 0, err
		}
		if p.Deleted {
			return 0, fault.Errorf(fault.ENOTFOUND, "post not found")
		}
		seq, edited = p.Seq, events.PostEdited.Subject(t.ID)
	case events.KindComment:
		c, err := s.DB.Comment(ctx, events.CommentID(t.ID), "")
		if err != nil {
			return 0, err
		}
		if c.Deleted {
			return 0, fault.Errorf(fault.ENOTFOUND, "comment not found")
		}
		seq, edited = c.Seq, events.CommentEdited.Subject(t.ID)
	case events.KindMessage:
		m, err := s.DB.MessageByID(ctx, events.MessageID(t.ID))
		if err != nil {
			return 0, err
		}
		if m.Room == nil && m.From.ID != user && (m.To == nil || m.To.ID != user) && user != "" {
			return 0, fault.Errorf(fault.ENOTFOUND, "message not found")
		}
		return m.Seq, nil
	}
	last, err := s.Store.Last(ctx, edited)
	switch {
	case errors.Is(err, events.ErrNoEvent):
		return seq, nil
	case err != nil:
		return 0, err
	}
	return max(seq, last.Seq), nil
}

// Flag records user's flag on an item, once per user and item.
func (s *Service) Flag(ctx context.Context, userID events.UserID, t events.Target, reason string) (events.FlagID, error) {
	user := string(userID)
	if err := checkTarget(t); err != nil {
		return "", err
	}
	if err := checkReason(reason, true); err != nil {
		return "", err
	}
	if err := s.checkFlaggable(ctx, t, user); err != nil {
		return "", err
	}
	seq, err := s.latest(ctx, t, user)
	if err != nil {
		return "", err
	}
	id := s.NewID()
	_, err = s.emit(ctx, events.FlagRaised, string(t.Kind)+"."+t.ID+"."+user, user,
		events.FlagRaisedData{FlagID: id, Target: t, TargetSeq: seq, UserID: user, Reason: reason}, events.ExpectLastSubjectSeq(0))
	if errors.Is(err, events.ErrConflict) {
		return "", fault.Errorf(fault.ECONFLICT, "you have flagged this %s already", t.Kind)
	}
	return events.FlagID(id), err
}

// ResolveFlag hides the flagged item or dismisses the flag (with every other
// open flag on the same item).
func (s *Service) ResolveFlag(ctx context.Context, actorID events.UserID, flag events.FlagID, action events.FlagAction, reason string) error {
	actor, flagID := string(actorID), string(flag)
	if err := s.requireModerator(ctx, actor); err != nil {
		return err
	}
	if !action.Valid() {
		return fault.FieldError(fault.EINVALID, "action", `action must be "hide" or "dismiss"`)
	}
	if err := checkReason(reason, false); err != nil {
		return err
	}
	if !events.ValidID(flagID) {
		return fault.Errorf(fault.ENOTFOUND, "flag not found")
	}
	f, err := s.DB.FlagByID(ctx, flag)
	if err != nil {
		return err
	}
	if f.Status != "open" {
		return fault.Errorf(fault.ECONFLICT, "this flag is resolved already (%s)", f.Status)
	}
	if _, err := s.emit(ctx, events.FlagResolved, flagID, actor, events.FlagResolvedData{FlagID: flagID, Target: f.Target, Action: action}); err != nil {
		return err
	}
	if action == events.FlagHide {
		if reason == "" {
			reason = "flagged" // not the flagger's words: those are theirs, sealed
		}
		return s.SetHidden(ctx, actorID, f.Target, true, reason)
	}
	return nil
}

// SetHidden hides an item (or restores it) for everyone but moderators.
func (s *Service) SetHidden(ctx context.Context, actorID events.UserID, t events.Target, hide bool, reason string) error {
	actor := string(actorID)
	if err := s.requireModerator(ctx, actor); err != nil {
		return err
	}
	if err := checkTarget(t); err != nil {
		return err
	}
	if err := checkReason(reason, false); err != nil {
		return err
	}
	if _, err := s.latest(ctx, t, ""); err != nil {
		return err
	}
	typ := events.ContentHidden
	if !hide {
		typ = events.ContentRestored
	}
	_, err := s.emit(ctx, typ, string(t.Kind)+"."+t.ID, actor, events.ContentModData{Target: t, Reason: reason})
	return err
}

// Block makes user's lists and pushes leave out other's posts, comments and
// room messages, and refuses other's direct messages to user (blocked true),
// or undoes that.
func (s *Service) Block(ctx context.Context, userID, otherID events.UserID, blocked bool) error {
	user, other := string(userID), string(otherID)
	if !events.ValidID(other) {
		return fault.Errorf(fault.ENOTFOUND, "user not found")
	}
	if other == user {
		return fault.FieldError(fault.EINVALID, "user", "you cannot block yourself")
	}
	if _, err := s.DB.User(ctx, otherID); err != nil {
		return err
	}
	already, err := s.DB.Blocks(ctx, userID, otherID)
	if err != nil || already == blocked {
		return err
	}
	typ := events.UserBlocked
	if !blocked {
		typ = events.UserUnblocked
	}
	_, err = s.emit(ctx, typ, user, user, events.BlockData{UserID: user, BlockedID: other})
	return err
}

// refuseBlocked answers EFORBIDDEN when to blocks from. Most users block
// nobody: their standing (kept in memory) says so without a query.
func (s *Service) refuseBlocked(ctx context.Context, from, to string) error {
	st, err := s.DB.StandingOf(ctx, events.UserID(to))
	if err != nil || !st.Blocks {
		return err
	}
	blocked, err := s.DB.Blocks(ctx, events.UserID(to), events.UserID(from))
	if err != nil {
		return err
	}
	if blocked {
		return fault.Errorf(fault.EFORBIDDEN, "this user does not take your messages")
	}
	return nil
}

// ParseTime reads an RFC 3339 time of a request; it returns EINVALID naming
// field when v is not one.
func ParseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fault.FieldError(fault.EINVALID, field, fmt.Sprintf("%s must be a time like 2026-12-31T23:59:00Z", field))
	}
	return t, nil
}

// Version is an item's text at one point of its history.
type Version struct {
	Title    string `json:"title,omitempty"`
	Body     string `json:"body"`
	BodyHTML string `json:"body_html"`
}

// FlaggedAs returns the flagged item as it was when flagged (the version
// its event at TargetSeq wrote) without rendering Markdown: a post's
// version is read as the read models keep it rendered; any other text is
// read from the log and shown as escaped text, which costs no more than
// its length.
func (s *Service) FlaggedAs(ctx context.Context, f projections.Flag) (Version, error) {
	if f.Target.Kind == events.KindPost {
		r, ok, err := s.DB.RevisionAt(ctx, f.TargetSeq)
		if err != nil {
			return Version{}, err
		}
		if ok {
			return Version{Title: r.Title, Body: r.Body, BodyHTML: r.BodyHTML}, nil
		}
	}
	ev, err := s.Store.Get(ctx, f.TargetSeq)
	if err != nil {
		return Version{}, err
	}
	spec, ok := events.Lookup(ev.Type)
	if !ok {
		return Version{}, fmt.Errorf("flagged event %d of unknown type %s", ev.Seq, ev.Type)
	}
	payload := spec.NewPayload()
	if err := s.openedPayload(ctx, ev, payload); err != nil {
		return Version{}, err
	}
	var d struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	b, _ := json.Marshal(payload)
	json.Unmarshal(b, &d)
	return Version{Title: d.Title, Body: d.Body, BodyHTML: projections.RenderText(d.Body)}, nil
}

// isConfiguredAdmin reports whether nickname is one of Config.Admins.
func (s *Service) isConfiguredAdmin(nickname string) bool {
	for _, a := range s.Admins {
		if strings.EqualFold(a, nickname) {
			return true
		}
	}
	return false
}
