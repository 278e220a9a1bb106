package events

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Type names an event type. The names are the wire contract: a type is never
// repurposed, and a changed shape is a new version with an upcaster (codec.go).
type Type string

// Spec is everything the program knows about one event type: the version it
// writes, the Go type of that version's payload, and the subject it goes to.
type Spec struct {
	Type    Type
	Version int
	// Payload is the Go type of the current version's payload.
	Payload reflect.Type
	// aggregate and verb split Type at its first dot: events of type
	// "post.created" about post P go to forum.post.P.created.
	aggregate, verb string
	// shared: the aggregate's types marked so append to one subject per
	// key (forum.claim.KEY), so an expected last sequence orders them: a
	// post's lock and unlock share forum.post.P, which a comment on P
	// expects unchanged from when it was decided; one user's reactions on
	// one target share forum.reaction.TARGET.USER.
	shared bool
	// clear names, by JSON name, the payload's fields of text that the log
	// keeps in clear, each with why; the rest of its text is personal and
	// sealed (its Personal method). Ids (id, *_id) and fields of named
	// string types (roles, actions) are not text.
	clear map[string]string
}

// NewPayload returns a pointer to a new zero value of the payload type, to
// decode into.
func (s Spec) NewPayload() any { return reflect.New(s.Payload).Interface() }

// NewPayloadValue returns a zero value of the payload type, as New takes it.
func (s Spec) NewPayloadValue() any { return reflect.Zero(s.Payload).Interface() }

// Why fields of text are kept in clear.
const (
	isName    = "a name of the forum's own, shown to everyone"
	isUserRef = "names a user by id"
	isHash    = "a hash, not the secret"
	isModNote = "a moderator's note on the record, not the user's own words"
	isMark    = "a position in a list, not text"
	isRoom    = "a room's name: public, and part of its subjects"
	isMailRef = "made of an event's id and the forum's host, nothing of the user's"
)

// registry holds every event type this program reads and writes: one
// registration each, with the payload's fields of text kept in clear (the
// rest of its text is sealed by its Personal method). Adding a type here is
// the first step; tests then ask for its golden example in schemas/events,
// its registration in projections (handlers.go) and in the hub (pushes.go),
// and a decision for each field of text.
var registry = register(
	spec[CategoryCreatedData](CategoryCreated, 1).inClear(isName, "slug", "name"),
	spec[ClaimData](ClaimMade, 1).sharedSubject().inClear(isHash, "kind", "key"),
	spec[ClaimData](ClaimReleased, 1).sharedSubject().inClear(isHash, "kind", "key"),
	spec[UserRegisteredData](UserRegistered, 1),
	spec[SessionStartedData](SessionStarted, 2).inClear(isHash, "token_hash"),
	spec[SessionEndedData](SessionEnded, 1),
	spec[SessionUsedData](SessionUsed, 1),
	spec[PostCreatedData](PostCreated, 2).inClear(isName, "categories"),
	spec[PostEditedData](PostEdited, 1).inClear(isName, "categories"),
	spec[PostDeletedData](PostDeleted, 1),
	spec[PostPinnedData](PostPinned, 1),
	spec[PostUnpinnedData](PostUnpinned, 1),
	spec[PostReadData](PostRead, 1),
	spec[PostLockData](PostLocked, 1).sharedSubject(),
	spec[PostLockData](PostUnlocked, 1).sharedSubject(),
	spec[VotedData](PostVoted, 1),
	spec[CommentCreatedData](CommentCreated, 1),
	spec[CommentEditedData](CommentEdited, 1),
	spec[CommentDeletedData](CommentDeleted, 1),
	spec[VotedData](CommentVoted, 1),
	spec[DMSentData](DMSent, 1).inClear(isUserRef, "from", "to"),
	spec[DMReadData](DMRead, 1).inClear(isMark, "up_to"),
	spec[RoomCreatedData](RoomCreated, 1).inClear(isRoom, "room"),
	spec[RoomMessageData](RoomMessageSent, 1).inClear(isRoom, "room").inClear(isUserRef, "from"),
	spec[RoomMembershipData](RoomJoined, 1).inClear(isRoom, "room"),
	spec[RoomMembershipData](RoomLeft, 1).inClear(isRoom, "room"),
	spec[RoomReadData](RoomRead, 1).inClear(isRoom, "room"),
	spec[NotificationsReadData](NotificationsRead, 1),
	spec[UserRoleSetData](UserRoleSet, 1),
	spec[UserSuspendedData](UserSuspended, 1).inClear(isModNote, "reason"),
	spec[UserModData](UserUnsuspended, 1).inClear(isModNote, "reason"),
	spec[UserPurgedData](UserPurged, 1).inClear(isModNote, "reason"),
	spec[BlockData](UserBlocked, 1),
	spec[BlockData](UserUnblocked, 1),
	spec[UserModData](UserErased, 1).inClear(isModNote, "reason"),
	spec[FlagRaisedData](FlagRaised, 1).inClear(isName, "target.kind"),
	spec[FlagResolvedData](FlagResolved, 1).inClear(isName, "target.kind"),
	spec[ContentModData](ContentHidden, 1).inClear(isName, "target.kind").inClear(isModNote, "reason"),
	spec[ContentModData](ContentRestored, 1).inClear(isName, "target.kind").inClear(isModNote, "reason"),
	spec[ReactionData](ReactionAdded, 1).sharedSubject().inClear(isName, "target.kind"),
	spec[ReactionData](ReactionRemoved, 1).sharedSubject().inClear(isName, "target.kind"),
	spec[BookmarkData](BookmarkAdded, 1).sharedSubject(),
	spec[BookmarkData](BookmarkRemoved, 1).sharedSubject(),
	spec[WatchSetData](WatchSet, 1).sharedSubject().inClear(isName, "category"),
	spec[UploadCreatedData](UploadCreated, 2),
	spec[UploadDeletedData](UploadDeleted, 1),
	spec[AvatarSetData](AvatarSet, 1),
	spec[PasskeyAddedData](PasskeyAdded, 1).sharedSubject(),
	spec[PasskeyRenamedData](PasskeyRenamed, 1).sharedSubject(),
	spec[PasskeyUsedData](PasskeyUsed, 1).sharedSubject(),
	spec[PasskeyRemovedData](PasskeyRemoved, 1).sharedSubject(),
	spec[TOTPStartedData](TOTPStarted, 1).sharedSubject(),
	spec[TOTPEnabledData](TOTPEnabled, 1).sharedSubject(),
	spec[TOTPUsedData](TOTPUsed, 1).sharedSubject(),
	spec[TOTPDisabledData](TOTPDisabled, 1).sharedSubject(),
	spec[PasswordChangedData](PasswordChanged, 1),
	spec[ProfileUpdatedData](ProfileUpdated, 1),
	spec[PreferencesSetData](PreferencesSet, 1),
	spec[VerificationRequestedData](VerificationRequested, 1).inClear(isHash, "token_hash"),
	spec[EmailVerifiedData](EmailVerified, 1).inClear(isHash, "token_hash"),
	spec[ResetRequestedData](ResetRequested, 1).inClear(isHash, "token_hash"),
	spec[PasswordResetData](PasswordReset, 1).inClear(isHash, "token_hash"),
	spec[MailSentData](MailSent, 1).inClear(isMailRef, "message_id"),
)

func spec[P any](t Type, version int) Spec {
	aggregate, verb, ok := strings.Cut(string(t), ".")
	if !ok || aggregate == "" || verb == "" || strings.Contains(verb, ".") {
		panic(fmt.Sprintf("events: type %q is not <aggregate>.<verb>", t))
	}
	return Spec{Type: t, Version: version, Payload: reflect.TypeFor[P](), aggregate: aggregate, verb: verb}
}

func (s Spec) sharedSubject() Spec { s.shared = true; return s }

// inClear says the payload's fields of text named (by JSON name, "a.b" for
// a field of a nested struct) are kept in clear in the log, and why.
func (s Spec) inClear(why string, fields ...string) Spec {
	clear := make(map[string]string, len(s.clear)+len(fields))
	maps.Copy(clear, s.clear)
	for _, f := range fields {
		clear[f] = why
	}
	s.clear = clear
	return s
}

func register(specs ...Spec) map[Type]Spec {
	m := make(map[Type]Spec, len(specs))
	for _, s := range specs {
		if _, dup := m[s.Type]; dup {
			panic("events: type registered twice: " + string(s.Type))
		}
		m[s.Type] = s
	}
	return m
}

// Lookup returns the spec of event type t; ok is false for a type this
// program does not know.
func Lookup(t Type) (Spec, bool) {
	s, ok := registry[t]
	return s, ok
}

// Types returns every registered event type, sorted.
func Types() []Type {
	out := make([]Type, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// CurrentVersion returns the version of event type t that this code writes
// (1 for a type it does not know).
func CurrentVersion(t Type) int {
	if s, ok := registry[t]; ok {
		return s.Version
	}
	return 1
}

// Subject returns the subject an event of type t about key is appended to:
// forum.<aggregate>.<key>.<verb>, or forum.<aggregate>.<key> for the types
// that share one subject per key (claims). key is made of validated ids,
// room names or slugs, so it holds no '*', '>' or spaces. Subject panics on
// a type that is not registered: that is a bug no input can cause.
func (t Type) Subject(key string) string {
	s, ok := registry[t]
	if !ok {
		panic("events: subject of unregistered event type " + string(t))
	}
	if s.shared {
		return "forum." + s.aggregate + "." + key
	}
	return "forum." + s.aggregate + "." + key + "." + s.verb
}
