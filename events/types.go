package events

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Event types: the wire contract. Each is registered with its version,
// payload and subject in registry.go.
const (
	CategoryCreated Type = "category.created"
	ClaimMade       Type = "claim.made"
	ClaimReleased   Type = "claim.released"
	UserRegistered  Type = "user.registered"
	SessionStarted  Type = "session.started"
	SessionEnded    Type = "session.ended"
	SessionUsed     Type = "session.used"
	PostCreated     Type = "post.created"
	PostEdited      Type = "post.edited"
	PostDeleted     Type = "post.deleted"
	PostVoted       Type = "post.voted"
	PostPinned      Type = "post.pinned"
	PostUnpinned    Type = "post.unpinned"
	// PostRead: a reader opened a post and read its comments up to one.
	PostRead        Type = "post.read"
	PostLocked      Type = "post.locked"
	PostUnlocked    Type = "post.unlocked"
	CommentCreated  Type = "comment.created"
	CommentEdited   Type = "comment.edited"
	CommentDeleted  Type = "comment.deleted"
	CommentVoted    Type = "comment.voted"
	DMSent          Type = "dm.sent"
	DMRead          Type = "dm.read"
	RoomCreated     Type = "room.created"
	RoomMessageSent Type = "room.message"
	RoomJoined      Type = "room.joined"
	RoomLeft        Type = "room.left"
	RoomRead        Type = "room.read"
	// NotificationsRead: a user has read their notifications up to one.
	NotificationsRead Type = "notifications.read"

	// Moderation and privacy.
	UserRoleSet     Type = "role.set"
	UserSuspended   Type = "user.suspended"
	UserUnsuspended Type = "user.unsuspended"
	UserPurged      Type = "user.purged"
	UserBlocked     Type = "user.blocked"
	UserUnblocked   Type = "user.unblocked"
	UserErased      Type = "user.erased"
	FlagRaised      Type = "flag.raised"
	FlagResolved    Type = "flag.resolved"
	ContentHidden   Type = "content.hidden"
	ContentRestored Type = "content.restored"

	// Reactions: a user put an emoji on a post, comment or message, or took it off.
	ReactionAdded   Type = "reaction.added"
	ReactionRemoved Type = "reaction.removed"

	// Reading: a reader's bookmarks and watch levels.
	BookmarkAdded   Type = "bookmark.added"
	BookmarkRemoved Type = "bookmark.removed"
	WatchSet        Type = "watch.set"

	// Pictures.
	UploadCreated Type = "upload.created"
	UploadDeleted Type = "upload.deleted"
	AvatarSet     Type = "avatar.set"

	// Two factors: a user's one-time codes (TOTP), each of their events on
	// one subject, forum.totp.<user>, so each is decided against the last.
	TOTPStarted  Type = "totp.started"
	TOTPEnabled  Type = "totp.enabled"
	TOTPUsed     Type = "totp.used"
	TOTPDisabled Type = "totp.disabled"
)

// Claim kinds: values that must be unique across the whole forum.
const (
	ClaimNickname = "nickname"
	ClaimEmail    = "email"
)

// CategoryCreatedData is the payload of category.created.
type CategoryCreatedData struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

// ClaimData is the payload of claim.made and claim.released: Key is the
// normalised (lowercased) value, UserID the claimant.
type ClaimData struct {
	Kind string `json:"kind"`
	// Key is the claimed value, lowercased, in events written before
	// erasure was possible; new claims leave it out (the subject holds a
	// hash of it): a nickname or an email must not stay in the log in clear.
	Key    string `json:"key,omitempty"`
	UserID string `json:"user_id"`
}

// UserRegisteredData is the payload of user.registered. PasswordHash is an
// argon2id hash in PHC string form, never the password.
type UserRegisteredData struct {
	UserID       string `json:"user_id"`
	Nickname     string `json:"nickname"`
	Email        string `json:"email"`
	PasswordHash string `json:"password_hash"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Age          int    `json:"age,omitempty"`
	Gender       string `json:"gender,omitempty"`
	// AgeSealed is Age as sealed text (Age is then 0): the age is personal
	// data like the rest.
	AgeSealed string `json:"age_sealed,omitempty"`
}

// Personal seals the account's names, email, password hash, gender and age
// under the user's key.
func (d *UserRegisteredData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.Nickname, &d.Email, &d.PasswordHash, &d.FirstName, &d.LastName, &d.Gender, &d.AgeSealed}
}

// Credentials returns the fields that verify the account: left out of exports.
func (d *UserRegisteredData) Credentials() []*string { return []*string{&d.PasswordHash} }

// SessionStartedData is the payload of session.started (version 2). TokenHash
// is the hex SHA-256 of the bearer token; the token itself never enters the
// log. UserAgent is the client's, cut to 256 bytes (v1 had none).
type SessionStartedData struct {
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	TokenHash string    `json:"token_hash"`
	ExpiresAt time.Time `json:"expires_at"`
	UserAgent string    `json:"user_agent"`
}

// Personal seals the session's user agent under its user's key.
func (d *SessionStartedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.UserAgent}
}

// Credentials returns the fields that verify the session: left out of exports.
func (d *SessionStartedData) Credentials() []*string { return []*string{&d.TokenHash} }

// SessionUsedData is the payload of session.used: the session was used at
// the event's time (recorded at most about once an hour), which keeps it
// from ending for want of use.
type SessionUsedData struct {
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
}

// SessionEndedData is the payload of session.ended.
type SessionEndedData struct {
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
}

// Rendering says how a body is shown: as Markdown (the zero value, which
// events written before the choice carry too) or, when the command found its
// rendering over the budget of time, as escaped text. The command decides
// it, so the projector's rendering never reads a clock.
type Rendering string

// The renderings of a body.
const (
	AsMarkdown Rendering = ""
	AsText     Rendering = "text"
)

// PostCreatedData is the payload of post.created (version 2).
type PostCreatedData struct {
	PostID     string    `json:"post_id"`
	AuthorID   string    `json:"author_id"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Categories []string  `json:"categories"`
	Render     Rendering `json:"render,omitempty"`
}

// Personal seals the post's title and body under its author's key.
func (d *PostCreatedData) Personal(string) (string, []*string) {
	return d.AuthorID, []*string{&d.Title, &d.Body}
}

// PostEditedData is the payload of post.edited: the full new content.
type PostEditedData struct {
	PostID     string    `json:"post_id"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Categories []string  `json:"categories"`
	Render     Rendering `json:"render,omitempty"`
}

// Personal seals the new title and body under the key of who edits (its
// author).
func (d *PostEditedData) Personal(actor string) (string, []*string) {
	return actor, []*string{&d.Title, &d.Body}
}

// PostDeletedData is the payload of post.deleted.
type PostDeletedData struct {
	PostID string `json:"post_id"`
}

// PinScope is where a pinned post comes first: on every list (global) or on
// its categories' lists (category).
type PinScope string

// The scopes of a pin.
const (
	PinGlobal   PinScope = "global"
	PinCategory PinScope = "category"
)

// Valid reports whether s is one of the scopes of a pin.
func (s PinScope) Valid() bool { return s == PinGlobal || s == PinCategory }

// PostPinnedData is the payload of post.pinned: a moderator pinned the post
// with Scope (a post pinned again takes the new scope).
type PostPinnedData struct {
	PostID PostID   `json:"post_id"`
	Scope  PinScope `json:"scope"`
}

// PostUnpinnedData is the payload of post.unpinned.
type PostUnpinnedData struct {
	PostID PostID `json:"post_id"`
}

// PostReadData is the payload of post.read: UserID opened the post and has
// read its comments up to and including CommentID, the comment at stream
// sequence UpToSeq (none: "" and 0). A position never goes back.
type PostReadData struct {
	PostID    PostID    `json:"post_id"`
	UserID    UserID    `json:"user_id"`
	CommentID CommentID `json:"comment_id,omitempty"`
	UpToSeq   uint64    `json:"up_to_seq"`
}

// PostLockData is the payload of post.locked and post.unlocked: a
// moderator closed the post to new comments, or opened it again.
type PostLockData struct {
	PostID PostID `json:"post_id"`
}

// CommentCreatedData is the payload of comment.created.
type CommentCreatedData struct {
	CommentID string    `json:"comment_id"`
	PostID    string    `json:"post_id"`
	AuthorID  string    `json:"author_id"`
	Body      string    `json:"body"`
	Render    Rendering `json:"render,omitempty"`
	// ReplyTo is the comment of the same post this one answers, if any.
	ReplyTo CommentID `json:"reply_to,omitempty"`
}

// Personal seals the comment's body under its author's key.
func (d *CommentCreatedData) Personal(string) (string, []*string) {
	return d.AuthorID, []*string{&d.Body}
}

// CommentEditedData is the payload of comment.edited.
type CommentEditedData struct {
	CommentID string    `json:"comment_id"`
	PostID    string    `json:"post_id"`
	Body      string    `json:"body"`
	Render    Rendering `json:"render,omitempty"`
}

// Personal seals the new body under the key of who edits (its author).
func (d *CommentEditedData) Personal(actor string) (string, []*string) {
	return actor, []*string{&d.Body}
}

// CommentDeletedData is the payload of comment.deleted.
type CommentDeletedData struct {
	CommentID string `json:"comment_id"`
	PostID    string `json:"post_id"`
}

// VotedData is the payload of post.voted and comment.voted: the voter's vote on
// the target is set to Value (1, -1, or 0 for none).
type VotedData struct {
	TargetID string `json:"target_id"`
	UserID   string `json:"user_id"`
	Value    int    `json:"value"`
}

// ReactionName is one of the emoji a user can put on a post, comment or
// message.
type ReactionName string

// ReactionNames are the reactions there are, in the order they are shown.
var ReactionNames = []ReactionName{"+1", "heart", "laugh", "tada", "surprised", "sad", "pray", "eyes"}

// Valid reports whether n is one of ReactionNames.
func (n ReactionName) Valid() bool {
	for _, r := range ReactionNames {
		if r == n {
			return true
		}
	}
	return false
}

// ReactionData is the payload of reaction.added and reaction.removed:
// UserID put the reaction Name on Target (a post, comment or message), or
// took it off.
type ReactionData struct {
	Target Target       `json:"target"`
	UserID string       `json:"user_id"`
	Name   ReactionName `json:"name"`
}

// DMSentData is the payload of dm.sent.
type DMSentData struct {
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Body      string    `json:"body"`
	ClientID  string    `json:"client_id,omitempty"`
	Render    Rendering `json:"render,omitempty"`
}

// Personal seals the message's body under its sender's key.
func (d *DMSentData) Personal(string) (string, []*string) { return d.From, []*string{&d.Body} }

// DMReadData is the payload of dm.read: UserID has read the conversation with
// PeerID up to and including message UpTo (stream sequence UpToSeq).
type DMReadData struct {
	UserID  string `json:"user_id"`
	PeerID  string `json:"peer_id"`
	UpTo    string `json:"up_to"`
	UpToSeq uint64 `json:"up_to_seq"`
}

// RoomCreatedData is the payload of room.created.
type RoomCreatedData struct {
	Room string `json:"room"`
}

// RoomMessageData is the payload of room.message.
type RoomMessageData struct {
	MessageID string    `json:"message_id"`
	Room      string    `json:"room"`
	From      string    `json:"from"`
	Body      string    `json:"body"`
	ClientID  string    `json:"client_id,omitempty"`
	Render    Rendering `json:"render,omitempty"`
}

// Personal seals the message's body under its sender's key.
func (d *RoomMessageData) Personal(string) (string, []*string) {
	return d.From, []*string{&d.Body}
}

// RoomMembershipData is the payload of room.joined and room.left: UserID
// became, or stopped being, a member of Room.
type RoomMembershipData struct {
	Room   string `json:"room"`
	UserID string `json:"user_id"`
}

// RoomReadData is the payload of room.read: UserID has read Room up to and
// including the message at stream sequence UpToSeq.
type RoomReadData struct {
	Room    string `json:"room"`
	UserID  string `json:"user_id"`
	UpToSeq uint64 `json:"up_to_seq"`
}

// NotificationsReadData is the payload of notifications.read: UserID has
// read every notification up to and including the one of the event at
// stream sequence UpToSeq.
type NotificationsReadData struct {
	UserID  string `json:"user_id"`
	UpToSeq uint64 `json:"up_to_seq"`
}

// Role is what a user may do besides reading and writing: a member
// nothing more, a moderator moderate, an admin also give roles.
type Role string

// The roles.
const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleMember || r == RoleModerator || r == RoleAdmin }

// UserRoleSetData is the payload of role.set: UserID's role is now
// Role (member, moderator or admin).
type UserRoleSetData struct {
	UserID string `json:"user_id"`
	Role   Role   `json:"role"`
}

// UserSuspendedData is the payload of user.suspended: UserID may read but
// not write until Until.
type UserSuspendedData struct {
	UserID string    `json:"user_id"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// UserModData is the payload of user.unsuspended and user.erased.
type UserModData struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason,omitempty"`
}

// UserPurgedData is the payload of user.purged: everything UserID wrote
// since Since is hidden.
type UserPurgedData struct {
	UserID string    `json:"user_id"`
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// BlockData is the payload of user.blocked and user.unblocked: UserID
// blocks (or no longer blocks) BlockedID.
type BlockData struct {
	UserID    string `json:"user_id"`
	BlockedID string `json:"blocked_id"`
}

// Kinds of things that can be flagged and hidden: KindPost, KindComment and
// KindMessage.
const KindMessage Kind = "message"

// FlagRaisedData is the payload of flag.raised: UserID flags the post,
// comment or message Target (as it was at stream sequence TargetSeq, its
// latest version then) for Reason.
type FlagRaisedData struct {
	FlagID    string `json:"flag_id"`
	Target    Target `json:"target"`
	TargetSeq uint64 `json:"target_seq"`
	UserID    string `json:"user_id"`
	Reason    string `json:"reason"`
}

// Personal: the reason is the flagger's words, sealed under their key.
func (d *FlagRaisedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.Reason}
}

// FlagResolvedData is the payload of flag.resolved: a moderator hid the
// flagged item or dismissed the flag (Action "hide" or "dismiss").
type FlagResolvedData struct {
	FlagID string     `json:"flag_id"`
	Target Target     `json:"target"`
	Action FlagAction `json:"action"`
}

// FlagAction is how a moderator resolves a flag.
type FlagAction string

// The ways to resolve a flag: hide the flagged item, or dismiss the flag.
const (
	FlagHide    FlagAction = "hide"
	FlagDismiss FlagAction = "dismiss"
)

// Valid reports whether a is one of the ways to resolve a flag.
func (a FlagAction) Valid() bool { return a == FlagHide || a == FlagDismiss }

// ContentModData is the payload of content.hidden and content.restored.
type ContentModData struct {
	Target Target `json:"target"`
	Reason string `json:"reason,omitempty"`
}

// The stream and the subjects it holds. Every event lives under forum.> and
// names its aggregate; Type.Subject builds the names.
const (
	SubjectAll = "forum.>"
	StreamName = "FORUM"
)

// ClaimKey returns the subject key that held the claims on one unique value
// in forums made before claims were hashed with the forum's secret
// (SecretClaimKey): a plain hash, which anyone can compute from a guess. New
// claims are never made on it; it is read, and released by its holder.
func ClaimKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + ":" + strings.ToLower(value)))
	return kind + "." + hex.EncodeToString(sum[:16])
}

// PairKey returns the conversation key of two user ids, the same either way
// round: the key of the subjects of their direct messages.
func PairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "-" + b
}

// Kind is the kind of thing a Target names: a post, a comment or a
// message.
type Kind string

// Kinds of things a user can act on (vote on, for now).
const (
	KindPost    Kind = "post"
	KindComment Kind = "comment"
)

// Target names one post or comment: its kind and id.
type Target struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// BookmarkData is the payload of bookmark.added and bookmark.removed: UserID
// bookmarked (or no longer bookmarks) PostID. A user's bookmarks share one
// subject, so a bookmark is decided against the user's latest one.
type BookmarkData struct {
	UserID string `json:"user_id"`
	PostID PostID `json:"post_id"`
}

// WatchLevel is how closely a reader follows a post or a category: watching
// (told of every new comment, or every new post), normal, or muted (told of
// nothing, and left out of the reader's lists).
type WatchLevel string

// The watch levels.
const (
	WatchWatching WatchLevel = "watching"
	WatchNormal   WatchLevel = "normal"
	WatchMuted    WatchLevel = "muted"
)

// Valid reports whether l is one of the watch levels.
func (l WatchLevel) Valid() bool { return l == WatchWatching || l == WatchNormal || l == WatchMuted }

// WatchSetData is the payload of watch.set: UserID follows PostID, or the
// category Category (exactly one of them is set), at Level. A user's watch
// levels share one subject, so one is decided against the user's latest.
type WatchSetData struct {
	UserID   string     `json:"user_id"`
	PostID   PostID     `json:"post_id,omitempty"`
	Category string     `json:"category,omitempty"`
	Level    WatchLevel `json:"level"`
}

// MediaType is the type of a stored picture: image/png or image/jpeg.
type MediaType string

// UploadID is the id of an uploaded picture.
type UploadID string

// UploadCreatedData is the payload of upload.created: OwnerID uploaded a
// picture, decoded and encoded again as ContentType (Size bytes, Width ×
// Height pixels), with a thumbnail (ThumbType, ThumbSize bytes, ThumbWidth
// × ThumbHeight, at most 400 pixels on its longer side). Both are objects
// of the bucket FORUM_MEDIA, sealed under the owner's key. Hash (version 2)
// is the hex SHA-256 of the picture as stored (encoded again), by which a
// second upload of the same picture by the same owner finds this one; it is
// sealed under the owner's key, so the log does not tell who holds a
// picture known elsewhere. Uploads of version 1 have none.
type UploadCreatedData struct {
	UploadID    UploadID  `json:"upload_id"`
	OwnerID     UserID    `json:"owner_id"`
	ContentType MediaType `json:"content_type"`
	Size        int64     `json:"size"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	ThumbType   MediaType `json:"thumb_type"`
	ThumbSize   int64     `json:"thumb_size"`
	ThumbWidth  int       `json:"thumb_width"`
	ThumbHeight int       `json:"thumb_height"`
	Hash        string    `json:"hash,omitempty"`
}

// Personal seals the picture's hash under its owner's key.
func (d *UploadCreatedData) Personal(string) (string, []*string) {
	return string(d.OwnerID), []*string{&d.Hash}
}

// UploadDeleteReason says why a picture went.
type UploadDeleteReason string

// The reasons a picture goes.
const (
	// UploadUnused: nothing used it within a day of its upload.
	UploadUnused UploadDeleteReason = "unused"
)

// UploadDeletedData is the payload of upload.deleted: the picture and its
// thumbnail are gone from the bucket.
type UploadDeletedData struct {
	UploadID UploadID           `json:"upload_id"`
	OwnerID  UserID             `json:"owner_id"`
	Reason   UploadDeleteReason `json:"reason"`
}

// AvatarSetData is the payload of avatar.set: UserID shows UploadID (one
// of their own uploads) as their avatar; "" removes it.
type AvatarSetData struct {
	UserID   UserID   `json:"user_id"`
	UploadID UploadID `json:"upload_id,omitempty"`
}

// TOTPStartedData is the payload of totp.started: UserID began to enrol an
// authenticator with Secret (base32, RFC 6238), which counts only once a
// code of it confirms it (totp.enabled). A new start replaces the secret
// of one not confirmed.
type TOTPStartedData struct {
	UserID UserID `json:"user_id"`
	Secret string `json:"secret"`
}

// Personal seals the secret under its user's key.
func (d *TOTPStartedData) Personal(string) (string, []*string) {
	return string(d.UserID), []*string{&d.Secret}
}

// Credentials returns the secret: left out of exports.
func (d *TOTPStartedData) Credentials() []*string { return []*string{&d.Secret} }

// TOTPEnabledData is the payload of totp.enabled: a code of the secret
// last started, of time step Step, confirmed it, and sign-ins of UserID
// now ask for a second factor. RecoveryHashes are the hex SHA-256 of the
// ten recovery codes, space-separated, in their order (never the codes).
type TOTPEnabledData struct {
	UserID         UserID `json:"user_id"`
	Step           int64  `json:"step"`
	RecoveryHashes string `json:"recovery_hashes"`
}

// Personal seals the recovery codes' hashes under their user's key.
func (d *TOTPEnabledData) Personal(string) (string, []*string) {
	return string(d.UserID), []*string{&d.RecoveryHashes}
}

// Credentials returns the recovery codes' hashes: left out of exports.
func (d *TOTPEnabledData) Credentials() []*string { return []*string{&d.RecoveryHashes} }

// TOTPUsedData is the payload of totp.used: UserID passed the second
// factor of a sign-in with the code of time step Step, which no sign-in
// takes again, nor any code of an earlier step; or, Step 0, with their
// recovery code number RecoveryCode (1 to 10), which is spent.
type TOTPUsedData struct {
	UserID       UserID `json:"user_id"`
	Step         int64  `json:"step,omitempty"`
	RecoveryCode int    `json:"recovery_code,omitempty"`
}

// TOTPDisabledData is the payload of totp.disabled: UserID's sign-ins ask
// for a password alone again; the secret and recovery codes are dropped.
type TOTPDisabledData struct {
	UserID UserID `json:"user_id"`
}
