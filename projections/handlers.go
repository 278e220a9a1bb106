package projections

import (
	"fmt"
	"reflect"

	"forum/events"
)

// handler is everything the read models decide about one event type: the
// function that applies it (or why nothing does), the memos it makes stale
// (memo.go), and whom it notifies. Each is a decision of its own: a type
// registered without one of them fails a test that names it
// (TestEveryEventTypeIsRegistered and those beside it).
type handler struct {
	typ     events.Type
	payload reflect.Type
	// decode returns a new pointer to the payload: a copy of the one the
	// event was decoded into ahead, or decoded from its bytes.
	decode func(ev events.Event) (any, error)
	// apply folds the event, with its payload decoded and opened, into the
	// read models; nil for a type that changes none (noApply says why).
	apply   func(a *applier, ev events.Event, payload any) error
	noApply string

	// forgets are the memos every event of the type makes stale, voter
	// (when set) names the reader whose own votes it changes, and marker
	// the reader whose own marks (marks.go) it changes, but for read
	// positions, which postRead moves in place; memoDecided is false until
	// the registration says one of them, or that it keeps all.
	forgets     []memoID
	voter       func(payload any) string
	voterOf     reflect.Type
	marker      func(payload any) string
	markerOf    reflect.Type
	memoDecided bool

	// notifies says whom its apply function notifies ("" for nobody);
	// notifyDecided is false until the registration says it.
	notifies      string
	notifyDecided bool
}

// memoID names one of the read models' memos (memos in memo.go).
type memoID int

// The memos an event can make stale.
const (
	memoSessions memoID = iota
	memoCategories
	memoUsers
	memoStandings
	memoCount
)

// decision is one of a handler's decisions, given at its registration.
type decision func(*handler)

// on registers fn as the apply function of event type t, whose payload is
// T, with the decisions that go with it.
func on[T any](t events.Type, fn func(*applier, events.Event, T) error, ds ...decision) handler {
	h := handlerOf[T](t, ds)
	h.apply = func(a *applier, ev events.Event, payload any) error { return fn(a, ev, *payload.(*T)) }
	return h
}

// ignored registers event type t as one that no read model shows, and why.
func ignored[T any](t events.Type, why string, ds ...decision) handler {
	h := handlerOf[T](t, ds)
	h.noApply = why
	return h
}

func handlerOf[T any](t events.Type, ds []decision) handler {
	h := handler{typ: t, payload: reflect.TypeFor[T]()}
	h.decode = func(ev events.Event) (any, error) {
		d := new(T)
		if ahead, ok := ev.Decoded.(*T); ok {
			*d = *ahead
			return d, nil
		}
		return d, ev.Payload(d)
	}
	for _, d := range ds {
		d(&h)
	}
	if h.voterOf != nil && h.voterOf != h.payload {
		panic(fmt.Sprintf("projections: %s: its voter reads a %v, its payload is a %v", t, h.voterOf, h.payload))
	}
	if h.markerOf != nil && h.markerOf != h.payload {
		panic(fmt.Sprintf("projections: %s: its marker reads a %v, its payload is a %v", t, h.markerOf, h.payload))
	}
	return h
}

// invalidates says which memos every event of the type makes stale.
func invalidates(ms ...memoID) decision {
	return func(h *handler) { h.forgets, h.memoDecided = append(h.forgets, ms...), true }
}

// invalidatesNothing says the type changes nothing any memo keeps.
func invalidatesNothing() decision { return func(h *handler) { h.memoDecided = true } }

// invalidatesVotesOf says the type changes the own votes of the reader
// voter names in its payload.
func invalidatesVotesOf[T any](voter func(T) string) decision {
	return func(h *handler) {
		h.voter = func(payload any) string { return voter(*payload.(*T)) }
		h.voterOf, h.memoDecided = reflect.TypeFor[T](), true
	}
}

// invalidatesMarksOf says the type changes the own marks on posts (watch
// levels, bookmarks, reactions: marks.go) of the reader marker names in
// its payload.
func invalidatesMarksOf[T any](marker func(T) string) decision {
	return func(h *handler) {
		h.marker = func(payload any) string { return marker(*payload.(*T)) }
		h.markerOf, h.memoDecided = reflect.TypeFor[T](), true
	}
}

// notifies says whom the type's apply function notifies.
func notifies(whom string) decision {
	return func(h *handler) { h.notifies, h.notifyDecided = whom, true }
}

// notifiesNobody says the type makes no notification.
func notifiesNobody() decision { return func(h *handler) { h.notifyDecided = true } }

// Notifies reports whether applying an event of type t may notify users:
// then the notifications it made are read at its sequence and pushed.
func Notifies(t events.Type) bool { return handlers[t].notifies != "" }

func voterOf(d events.VotedData) string { return d.UserID }

func erasedOf(d events.UserModData) string      { return d.UserID }
func reactorOf(d events.ReactionData) string    { return d.UserID }
func bookmarkerOf(d events.BookmarkData) string { return d.UserID }
func watcherOf(d events.WatchSetData) string    { return d.UserID }

// handlers is the read models' registration of every event type: one line
// each, dispatched by apply.
var handlers = registerHandlers(
	on(events.CategoryCreated, (*applier).categoryCreated, invalidates(memoCategories), notifiesNobody()),
	ignored[events.ClaimData](events.ClaimMade, "uniqueness is decided in the log; no read model shows claims", invalidatesNothing(), notifiesNobody()),
	ignored[events.ClaimData](events.ClaimReleased, "uniqueness is decided in the log; no read model shows claims", invalidatesNothing(), notifiesNobody()),
	on(events.VerificationRequested, (*applier).verificationRequested, invalidatesNothing(), notifiesNobody()),
	on(events.EmailVerified, (*applier).emailVerified, invalidatesNothing(), notifiesNobody()),
	on(events.ResetRequested, (*applier).resetRequested, invalidatesNothing(), notifiesNobody()),
	on(events.PasswordReset, (*applier).passwordReset, invalidates(memoSessions), notifiesNobody()),
	ignored[events.MailSentData](events.MailSent, "what the outbox sent is its own record; no read model shows it", invalidatesNothing(), notifiesNobody()),
	on(events.UserRegistered, (*applier).userRegistered, invalidatesNothing(), notifiesNobody()),
	on(events.SessionStarted, (*applier).sessionStarted, invalidates(memoSessions), notifiesNobody()),
	on(events.SessionEnded, (*applier).sessionEnded, invalidates(memoSessions), notifiesNobody()),
	on(events.SessionUsed, (*applier).sessionUsed, invalidates(memoSessions), notifiesNobody()),
	on(events.PostCreated, (*applier).postCreated, invalidatesNothing(), notifies("the users its body mentions, and those who watch one of its categories")),
	on(events.PostEdited, (*applier).postEdited, invalidatesNothing(), notifiesNobody()),
	on(events.PostDeleted, (*applier).postDeleted, invalidatesNothing(), notifiesNobody()),
	on(events.PostPinned, (*applier).postPinned, invalidatesNothing(), notifiesNobody()),
	on(events.PostUnpinned, (*applier).postUnpinned, invalidatesNothing(), notifiesNobody()),
	on(events.PostRead, (*applier).postRead, invalidatesNothing(), notifiesNobody()),
	on(events.PostLocked, (*applier).postLocked, invalidatesNothing(), notifiesNobody()),
	on(events.PostUnlocked, (*applier).postUnlocked, invalidatesNothing(), notifiesNobody()),
	on(events.CommentCreated, (*applier).commentCreated, invalidatesNothing(), notifies("the users its body mentions, the post's author, and those who watch the post")),
	on(events.CommentEdited, (*applier).commentEdited, invalidatesNothing(), notifiesNobody()),
	on(events.CommentDeleted, (*applier).commentDeleted, invalidatesNothing(), notifiesNobody()),
	on(events.PostVoted, (*applier).postVoted, invalidatesVotesOf(voterOf), notifiesNobody()),
	on(events.CommentVoted, (*applier).commentVoted, invalidatesNothing(), notifiesNobody()),
	on(events.DMSent, (*applier).dmSent, invalidatesNothing(), notifiesNobody()),
	on(events.DMRead, (*applier).dmRead, invalidatesNothing(), notifiesNobody()),
	on(events.RoomCreated, (*applier).roomCreated, invalidatesNothing(), notifiesNobody()),
	on(events.RoomMessageSent, (*applier).roomMessage, invalidatesNothing(), notifies("the users its body mentions")),
	on(events.RoomJoined, (*applier).roomJoined, invalidatesNothing(), notifiesNobody()),
	on(events.RoomLeft, (*applier).roomLeft, invalidatesNothing(), notifiesNobody()),
	on(events.RoomRead, (*applier).roomRead, invalidatesNothing(), notifiesNobody()),
	on(events.NotificationsRead, (*applier).notificationsRead, invalidatesNothing(), notifiesNobody()),
	on(events.UserRoleSet, (*applier).roleSet, invalidates(memoUsers, memoStandings), notifiesNobody()),
	on(events.UserSuspended, (*applier).userSuspended, invalidates(memoStandings), notifiesNobody()),
	on(events.UserUnsuspended, (*applier).userUnsuspended, invalidates(memoStandings), notifiesNobody()),
	on(events.UserPurged, (*applier).userPurged, invalidatesNothing(), notifiesNobody()),
	on(events.UserBlocked, (*applier).userBlocked, invalidates(memoStandings), notifiesNobody()),
	on(events.UserUnblocked, (*applier).userUnblocked, invalidates(memoStandings), notifiesNobody()),
	on(events.UserErased, (*applier).userErased, invalidates(memoSessions, memoUsers, memoStandings), invalidatesMarksOf(erasedOf), notifiesNobody()),
	on(events.FlagRaised, (*applier).flagRaised, invalidatesNothing(), notifiesNobody()),
	on(events.FlagResolved, (*applier).flagResolved, invalidatesNothing(), notifiesNobody()),
	on(events.ContentHidden, (*applier).contentHidden, invalidatesNothing(), notifiesNobody()),
	on(events.ContentRestored, (*applier).contentRestored, invalidatesNothing(), notifiesNobody()),
	on(events.ReactionAdded, (*applier).reactionAdded, invalidatesMarksOf(reactorOf), notifiesNobody()),
	on(events.ReactionRemoved, (*applier).reactionRemoved, invalidatesMarksOf(reactorOf), notifiesNobody()),
	on(events.BookmarkAdded, (*applier).bookmarkAdded, invalidatesMarksOf(bookmarkerOf), notifiesNobody()),
	on(events.BookmarkRemoved, (*applier).bookmarkRemoved, invalidatesMarksOf(bookmarkerOf), notifiesNobody()),
	on(events.WatchSet, (*applier).watchSet, invalidates(memoStandings), invalidatesMarksOf(watcherOf), notifiesNobody()),
	on(events.UploadCreated, (*applier).uploadCreated, invalidatesNothing(), notifiesNobody()),
	on(events.UploadDeleted, (*applier).uploadDeleted, invalidates(memoUsers), notifiesNobody()),
	on(events.AvatarSet, (*applier).avatarSet, invalidates(memoUsers), notifiesNobody()),
	on(events.PasskeyAdded, (*applier).passkeyAdded, invalidatesNothing(), notifiesNobody()),
	on(events.PasskeyRenamed, (*applier).passkeyRenamed, invalidatesNothing(), notifiesNobody()),
	on(events.PasskeyUsed, (*applier).passkeyUsed, invalidatesNothing(), notifiesNobody()),
	on(events.PasskeyRemoved, (*applier).passkeyRemoved, invalidatesNothing(), notifiesNobody()),
	on(events.TOTPStarted, (*applier).totpStarted, invalidatesNothing(), notifiesNobody()),
	on(events.TOTPEnabled, (*applier).totpEnabled, invalidatesNothing(), notifiesNobody()),
	on(events.TOTPUsed, (*applier).totpUsed, invalidatesNothing(), notifiesNobody()),
	on(events.TOTPDisabled, (*applier).totpDisabled, invalidatesNothing(), notifiesNobody()),
	on(events.PasswordChanged, (*applier).passwordChanged, invalidates(memoSessions), notifiesNobody()),
	on(events.ProfileUpdated, (*applier).profileUpdated, invalidatesNothing(), notifiesNobody()),
	on(events.PreferencesSet, (*applier).preferencesSet, invalidatesNothing(), notifiesNobody()),
)

func registerHandlers(hs ...handler) map[events.Type]handler {
	m := make(map[events.Type]handler, len(hs))
	for _, h := range hs {
		if _, dup := m[h.typ]; dup {
			panic("projections: event type registered twice: " + string(h.typ))
		}
		m[h.typ] = h
	}
	return m
}
