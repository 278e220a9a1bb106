package hub

import (
	"context"
	"fmt"
	"reflect"

	"github.com/gorilla/websocket"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// push is the hub's decision for one event type: the frame it is pushed as
// and how that is built, or why it is not pushed; what it does to open
// connections beside (effects); and what it changes in the frames of
// events before it (for the frame cache). A test fails for a registered
// event type without one, naming it.
type push struct {
	typ       events.Type
	frameType string // "" when it is not pushed (why says why)
	why       string
	payload   reflect.Type // nil for a type whose payload the hub never reads
	decode    func(ev events.Event) (any, error)
	// source names the item the frame shows (a post, comment, message or
	// membership), which show reads from the read models, now and again
	// when a resume replays it.
	source func(payload any) source
	show   func(h *Hub, ctx context.Context, b *built) error
	// build builds any other frame, and the effects, into b.
	build func(h *Hub, ctx context.Context, ev events.Event, payload any, b *built) error
	// changes names the item or user whose earlier frames it changes ("":
	// none of this event's).
	changes func(payload any) string
}

// effect is what an event does to open connections beside its frames;
// deliver carries it out under the hub's lock.
type effect interface{ carryOut(h *Hub) }

// endSession closes every socket of a session that ended.
type endSession string

func (e endSession) carryOut(h *Hub) {
	for c := range h.bySession[string(e)] {
		c.close(websocket.ClosePolicyViolation, "signed out")
	}
}

// closeUser closes every connection of an erased account.
type closeUser string

func (e closeUser) carryOut(h *Hub) {
	for c := range h.byUser[string(e)] {
		c.close(websocket.ClosePolicyViolation, "account erased")
	}
}

// endSessionsBut closes every connection of a user whose password changed,
// but those of the session kept ("" for none): Basic ones too.
type endSessionsBut struct{ user, keep string }

func (e endSessionsBut) carryOut(h *Hub) {
	for c := range h.byUser[e.user] {
		if c.session == "" || c.session != e.keep {
			c.close(websocket.ClosePolicyViolation, "password changed")
		}
	}
}

// blockSet adds other to (or takes other from) the users whose frames the
// connections of user are not sent.
type blockSet struct {
	user, other string
	blocked     bool
}

func (e blockSet) carryOut(h *Hub) {
	for c := range h.byUser[e.user] {
		if e.blocked {
			c.blocked[e.other] = struct{}{}
		} else {
			delete(c.blocked, e.other)
		}
	}
}

// pushOption is a decision beside the frame: what the type changes.
type pushOption func(*push)

// shows registers event type t, of payload T, as pushed as a frameType
// frame showing the item src names, read by show from the read models. The
// notifications its apply function made (projections.Notifies) go with it.
func shows[T any](t events.Type, frameType string, src func(T) source, show func(*Hub, context.Context, *built) error, opts ...pushOption) push {
	p := pushOf[T](t, opts)
	p.frameType, p.show = frameType, show
	p.source = func(payload any) source {
		s := src(*payload.(*T))
		s.typ = t
		return s
	}
	return p
}

// frame registers event type t, of payload T, as pushed as a frameType
// frame that build makes.
func frame[T any](t events.Type, frameType string, build func(*Hub, context.Context, events.Event, T, *built) error, opts ...pushOption) push {
	p := pushOf[T](t, opts)
	p.frameType = frameType
	p.build = func(h *Hub, ctx context.Context, ev events.Event, payload any, b *built) error {
		return build(h, ctx, ev, *payload.(*T), b)
	}
	return p
}

// acts registers event type t, of payload T, as not pushed (why), but
// having the effect act returns on open connections.
func acts[T any](t events.Type, why string, act func(T) effect, opts ...pushOption) push {
	p := pushOf[T](t, opts)
	p.why = why
	p.build = func(_ *Hub, _ context.Context, _ events.Event, payload any, b *built) error {
		b.effects = append(b.effects, act(*payload.(*T)))
		return nil
	}
	return p
}

// notPushed registers event type t as not pushed, and why.
func notPushed(t events.Type, why string) push { return push{typ: t, why: why} }

// changing says the type changes, in the frames of events before it, what
// key names in its payload (T: the type's payload).
func changing[T any](key func(T) string) pushOption {
	return func(p *push) {
		if reflect.TypeFor[T]() != p.payload {
			panic(fmt.Sprintf("hub: %s: what it changes is read from a %v, its payload is a %v", p.typ, reflect.TypeFor[T](), p.payload))
		}
		p.changes = func(payload any) string { return key(*payload.(*T)) }
	}
}

func pushOf[T any](t events.Type, opts []pushOption) push {
	p := push{typ: t, payload: reflect.TypeFor[T]()}
	p.decode = func(ev events.Event) (any, error) {
		if d, ok := ev.Decoded.(*T); ok {
			return d, nil // as the projector applied it
		}
		d := new(T)
		return d, ev.Payload(d)
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// pushes is the hub's registration of every event type: one line each,
// from which build, shown and changesOf dispatch.
var pushes = registerPushes(
	shows(events.PostCreated, framePostCreated, func(d events.PostCreatedData) source { return source{id: d.PostID} }, (*Hub).buildPost),
	shows(events.PostEdited, framePostEdited, func(d events.PostEditedData) source { return source{id: d.PostID} }, (*Hub).buildPost,
		changing(func(d events.PostEditedData) string { return itemKey(events.KindPost, d.PostID) })),
	shows(events.PostDeleted, framePostDeleted, func(d events.PostDeletedData) source { return source{id: d.PostID} }, (*Hub).buildDeletedPost,
		changing(func(d events.PostDeletedData) string { return itemKey(events.KindPost, d.PostID) })),
	// A pin or an unpin shows the post with its pinned field, so open
	// lists and pages move it.
	shows(events.PostPinned, framePinned, func(d events.PostPinnedData) source { return source{id: string(d.PostID)} }, (*Hub).buildPost),
	shows(events.PostUnpinned, framePinned, func(d events.PostUnpinnedData) source { return source{id: string(d.PostID)} }, (*Hub).buildPost),
	// A lock or an unlock shows the post with its locked field, so open
	// pages close or open their comment box.
	shows(events.PostLocked, frameLocked, func(d events.PostLockData) source { return source{id: string(d.PostID)} }, (*Hub).buildPost),
	shows(events.PostUnlocked, frameLocked, func(d events.PostLockData) source { return source{id: string(d.PostID)} }, (*Hub).buildPost),
	frame(events.PostVoted, framePostVoted, (*Hub).buildPostVotes),
	shows(events.CommentCreated, frameCommentCreated, func(d events.CommentCreatedData) source { return source{id: d.CommentID} }, (*Hub).buildComment),
	shows(events.CommentEdited, frameCommentEdited, func(d events.CommentEditedData) source { return source{id: d.CommentID} }, (*Hub).buildComment,
		changing(func(d events.CommentEditedData) string { return itemKey(events.KindComment, d.CommentID) })),
	shows(events.CommentDeleted, frameCommentDeleted, func(d events.CommentDeletedData) source { return source{id: d.CommentID} }, (*Hub).buildDeletedComment,
		changing(func(d events.CommentDeletedData) string { return itemKey(events.KindComment, d.CommentID) })),
	frame(events.CommentVoted, frameCommentVoted, (*Hub).buildCommentVotes),
	frame(events.ReactionAdded, frameReaction, (*Hub).buildReactionAdded),
	frame(events.ReactionRemoved, frameReaction, (*Hub).buildReactionRemoved),
	shows(events.DMSent, frameDM, messageSource[events.DMSentData], (*Hub).buildMessage),
	frame(events.DMRead, frameRead, (*Hub).buildDMRead),
	shows(events.RoomMessageSent, frameRoomMessage, messageSource[events.RoomMessageData], (*Hub).buildMessage),
	shows(events.RoomJoined, frameRoomSystem, membershipSource, (*Hub).buildJoin),
	shows(events.RoomLeft, frameRoomSystem, membershipSource, (*Hub).buildLeave),
	frame(events.RoomRead, frameRoomRead, (*Hub).buildRoomRead),
	// The notifications themselves are frames of the posts, comments and
	// messages that make them (built.notes).
	frame(events.NotificationsRead, frameNotificationsRead, (*Hub).buildNotificationsRead),
	notPushed(events.CategoryCreated, "categories are read once per page"),
	notPushed(events.RoomCreated, "rooms are read once per page"),
	notPushed(events.ClaimMade, "claims are private"),
	notPushed(events.ClaimReleased, "claims are private"),
	notPushed(events.PostRead, "a reader's position is theirs alone, read with the posts; a view count moves too often to push"),
	notPushed(events.UserRegistered, "users are shown only through other objects"),
	notPushed(events.SessionStarted, "sessions are private"),
	notPushed(events.VerificationRequested, "a link sent by mail is its owner's alone"),
	notPushed(events.EmailVerified, "an address is its owner's alone, read with GET /api/me"),
	notPushed(events.ResetRequested, "a link sent by mail is its owner's alone"),
	acts(events.PasswordReset, "a password is private", func(d events.PasswordResetData) effect { return endSessionsBut{user: d.UserID} }),
	notPushed(events.MailSent, "what the outbox sent is its own record"),
	notPushed(events.SessionUsed, "sessions are private"),
	acts(events.SessionEnded, "sessions are private", func(d events.SessionEndedData) effect { return endSession(d.SessionID) }),
	// Moderation: a hidden item leaves every page at once ("hidden"), a
	// restored one says so ("restored": pages showing it read it again), a
	// purge hides everything of one user since a time ("purged").
	frame(events.ContentHidden, frameHidden, (*Hub).buildHidden, changing(targetKey)),
	frame(events.ContentRestored, frameRestored, (*Hub).buildHidden, changing(targetKey)),
	frame(events.UserPurged, framePurged, (*Hub).buildPurged, changing(func(d events.UserPurgedData) string { return userKey(d.UserID) })),
	notPushed(events.FlagRaised, "flags are read by the moderators who need them"),
	notPushed(events.UploadCreated, "an upload is its uploader's alone until a body or an avatar shows it"),
	notPushed(events.UploadDeleted, "an upload goes unused, or with its owner's account"),
	notPushed(events.AvatarSet, "an avatar reaches others with the next answer or frame that carries its user"),
	notPushed(events.TOTPStarted, "a second factor is its user's secret"),
	notPushed(events.TOTPEnabled, "a second factor is its user's secret"),
	notPushed(events.TOTPUsed, "a second factor is its user's secret"),
	notPushed(events.TOTPDisabled, "a second factor is its user's secret"),
	notPushed(events.FlagResolved, "flags are read by the moderators who need them"),
	notPushed(events.UserRoleSet, "roles are read by who needs them"),
	notPushed(events.UserSuspended, "suspensions are read by who needs them"),
	notPushed(events.UserUnsuspended, "suspensions are read by who needs them"),
	acts(events.UserBlocked, "a block is private", func(d events.BlockData) effect { return blockSet{user: d.UserID, other: d.BlockedID, blocked: true} }),
	acts(events.UserUnblocked, "a block is private", func(d events.BlockData) effect { return blockSet{user: d.UserID, other: d.BlockedID} }),
	notPushed(events.BookmarkAdded, "bookmarks are their reader's own, read once per page"),
	notPushed(events.BookmarkRemoved, "bookmarks are their reader's own, read once per page"),
	notPushed(events.WatchSet, "watch levels are their reader's own, read once per page"),
	notPushed(events.PasskeyAdded, "passkeys are their owner's own, listed on request"),
	notPushed(events.PasskeyRenamed, "passkeys are their owner's own, listed on request"),
	notPushed(events.PasskeyUsed, "a sign-in answers its own request"),
	notPushed(events.PasskeyRemoved, "passkeys are their owner's own, listed on request"),
	acts(events.PasswordChanged, "credentials are private", func(d events.PasswordChangedData) effect {
		return endSessionsBut{user: d.UserID, keep: d.KeepSessionID}
	}),
	notPushed(events.ProfileUpdated, "a profile is read on its page; the fields it changes are in no frame"),
	notPushed(events.PreferencesSet, "preferences are their owner's own, read with their account"),
	acts(events.UserErased, "everything of the account changes with it", func(d events.UserModData) effect { return closeUser(d.UserID) },
		changing(func(d events.UserModData) string { return userKey(d.UserID) })),
)

func registerPushes(ps ...push) map[events.Type]push {
	m := make(map[events.Type]push, len(ps))
	for _, p := range ps {
		if _, dup := m[p.typ]; dup {
			panic("hub: event type registered twice: " + string(p.typ))
		}
		m[p.typ] = p
	}
	return m
}

// messageSource: a message is read by the sequence of its event.
func messageSource[T events.DMSentData | events.RoomMessageData](T) source { return source{} }

func membershipSource(d events.RoomMembershipData) source {
	return source{id: d.UserID, room: d.Room}
}

func targetKey(d events.ContentModData) string { return itemKey(d.Target.Kind, d.Target.ID) }

// build turns a committed event into its frame and effects, as its type's
// registration says, reading the objects it shows from the read models. An
// event that is not pushed, or whose object the read models do not show (a
// skipped event, or one whose object is gone), yields no frame.
func (h *Hub) build(ctx context.Context, ev events.Event) built {
	b := built{seq: ev.Seq}
	p, ok := pushes[ev.Type]
	if !ok || p.decode == nil {
		return b
	}
	payload, err := p.decode(ev)
	switch {
	case err != nil:
		payload = nil
	case p.source != nil:
		b, err = h.shown(ctx, ev.Seq, p.source(payload))
	case p.build != nil:
		b.ftype = p.frameType
		err = p.build(h, ctx, ev, payload, &b)
	}
	if err != nil && fault.Code(err) != fault.ENOTFOUND && ctx.Err() == nil {
		h.log.Warn("websocket frame", "seq", ev.Seq, "type", ev.Type, "err", err)
	}
	b.changes = p.changedKeys(payload)
	return b
}

// changesOf names what ev changes in the frames of events before it: the
// item an edit, deletion, hide or restore changes, or everything of the
// user a purge or an erasure changes (nil for other events).
func changesOf(ev events.Event) []string {
	p := pushes[ev.Type]
	if p.changes == nil {
		return nil
	}
	payload, err := p.decode(ev)
	if err != nil {
		return nil
	}
	return p.changedKeys(payload)
}

// changedKeys names what payload, of p's type, changes in the frames of
// events before it (nil for none, or no payload).
func (p push) changedKeys(payload any) []string {
	if payload == nil || p.changes == nil {
		return nil
	}
	if key := p.changes(payload); key != "" {
		return []string{key}
	}
	return nil
}

// shown builds the frames of the event at seq that shows src, and the
// notifications it made, from the read models as they are now: a hidden
// item without its text, an erased user's as "[deleted]".
func (h *Hub) shown(ctx context.Context, seq uint64, src source) (built, error) {
	p := pushes[src.typ]
	b := built{seq: seq, src: src, ftype: p.frameType}
	if p.show == nil {
		return b, nil
	}
	err := p.show(h, ctx, &b)
	if err == nil && projections.Notifies(src.typ) {
		b.notes, err = h.notes(ctx, seq)
		for _, n := range b.notes {
			b.addKey(userKey(n.frame.author))
		}
	}
	return b, err
}
