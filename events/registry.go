package events

import (
	"fmt"
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
	// shared: every type of the aggregate appends to one subject per key
	// (forum.claim.KEY), so an expected last sequence orders them.
	shared bool
}

// NewPayload returns a pointer to a new zero value of the payload type, to
// decode into.
func (s Spec) NewPayload() any { return reflect.New(s.Payload).Interface() }

// NewPayloadValue returns a zero value of the payload type, as New takes it.
func (s Spec) NewPayloadValue() any { return reflect.Zero(s.Payload).Interface() }

// registry holds every event type this program reads and writes. Adding a
// type here is the first step; tests then ask for its golden example in
// schemas/events, its apply case in projections and its decision in the hub.
var registry = register(
	spec[CategoryCreatedData](CategoryCreated, 1),
	spec[ClaimData](ClaimMade, 1).sharedSubject(),
	spec[ClaimData](ClaimReleased, 1).sharedSubject(),
	spec[UserRegisteredData](UserRegistered, 1),
	spec[SessionStartedData](SessionStarted, 2),
	spec[SessionEndedData](SessionEnded, 1),
	spec[SessionUsedData](SessionUsed, 1),
	spec[PostCreatedData](PostCreated, 2),
	spec[PostEditedData](PostEdited, 1),
	spec[PostDeletedData](PostDeleted, 1),
	spec[VotedData](PostVoted, 1),
	spec[CommentCreatedData](CommentCreated, 1),
	spec[CommentEditedData](CommentEdited, 1),
	spec[CommentDeletedData](CommentDeleted, 1),
	spec[VotedData](CommentVoted, 1),
	spec[DMSentData](DMSent, 1),
	spec[DMReadData](DMRead, 1),
	spec[RoomCreatedData](RoomCreated, 1),
	spec[RoomMessageData](RoomMessageSent, 1),
	spec[RoomMembershipData](RoomJoined, 1),
	spec[RoomMembershipData](RoomLeft, 1),
	spec[RoomReadData](RoomRead, 1),
	spec[NotificationsReadData](NotificationsRead, 1),
	spec[UserRoleSetData](UserRoleSet, 1),
	spec[UserSuspendedData](UserSuspended, 1),
	spec[UserModData](UserUnsuspended, 1),
	spec[UserPurgedData](UserPurged, 1),
	spec[BlockData](UserBlocked, 1),
	spec[BlockData](UserUnblocked, 1),
	spec[UserModData](UserErased, 1),
	spec[FlagRaisedData](FlagRaised, 1),
	spec[FlagResolvedData](FlagResolved, 1),
	spec[ContentModData](ContentHidden, 1),
	spec[ContentModData](ContentRestored, 1),
)

func spec[P any](t Type, version int) Spec {
	aggregate, verb, ok := strings.Cut(string(t), ".")
	if !ok || aggregate == "" || verb == "" || strings.Contains(verb, ".") {
		panic(fmt.Sprintf("events: type %q is not <aggregate>.<verb>", t))
	}
	return Spec{Type: t, Version: version, Payload: reflect.TypeFor[P](), aggregate: aggregate, verb: verb}
}

func (s Spec) sharedSubject() Spec { s.shared = true; return s }

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
