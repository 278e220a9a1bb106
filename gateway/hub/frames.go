package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/prometheus/client_golang/prometheus"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// outFrame is one server → client frame, encoded once and shared by every
// connection it goes to.
type outFrame struct {
	typ    string
	seq    uint64 // stream sequence of the event it shows; 0 for frames from no event
	author string // who wrote or did what it shows (a post, comment, room message, notification or typing), for blocks
	data   []byte
	sent   prometheus.Counter

	prepare sync.Once
	pm      *websocket.PreparedMessage
}

// compressMin is the smallest frame worth compressing for a connection
// that negotiated permessage-deflate.
const compressMin = 256

// prepared returns the frame as a WebSocket message framed once for every
// connection it goes to (and compressed once for those that compress).
func (f *outFrame) prepared() *websocket.PreparedMessage {
	f.prepare.Do(func() {
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, f.data)
		if err != nil { // it frames bytes in memory: this does not happen
			panic(fmt.Sprintf("prepare a %s frame: %v", f.typ, err))
		}
		f.pm = pm
	})
	return f.pm
}

// newFrame encodes v (one of the frame structs below) as a frame of type typ.
func (h *Hub) newFrame(typ string, seq uint64, v any) *outFrame {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// The frame structs hold strings, numbers and slices only: this does not happen.
		h.log.Error("encode frame", "type", typ, "err", err)
		buf.Reset()
		buf.WriteString(`{"type":"error","code":"internal","message":"a frame could not be encoded"}`)
	}
	return &outFrame{typ: typ, seq: seq, data: bytes.TrimSuffix(buf.Bytes(), []byte("\n")), sent: h.metrics.frames.WithLabelValues(typ)}
}

// Server → client frames. Every frame derived from an event carries its
// stream seq; user, author and from fields are public user objects.
type (
	helloFrame struct {
		Type     string             `json:"type"` // hello
		User     projections.User   `json:"user"`
		Seq      uint64             `json:"seq"`
		Online   []projections.User `json:"online"`
		ReadOnly bool               `json:"read_only"`
	}
	// statusFrame tells every connection when the forum becomes read-only
	// (its log cannot be reached: writes answer 503) and when it is not.
	statusFrame struct {
		Type     string `json:"type"` // status
		ReadOnly bool   `json:"read_only"`
	}
	presenceFrame struct {
		Type   string           `json:"type"` // presence
		User   projections.User `json:"user"`
		Online bool             `json:"online"`
	}
	// postFrame is post.created, post.edited and post.deleted (ID is set on
	// the last only). MyVote in Post is always 0: it is the viewer's own.
	postFrame struct {
		Type string           `json:"type"`
		Seq  uint64           `json:"seq"`
		ID   string           `json:"id,omitempty"`
		Post projections.Post `json:"post"`
	}
	// commentFrame is comment.created, comment.edited and comment.deleted.
	commentFrame struct {
		Type    string              `json:"type"`
		Seq     uint64              `json:"seq"`
		ID      string              `json:"id,omitempty"`
		Comment projections.Comment `json:"comment"`
	}
	// voteFrame is post.voted and comment.voted.
	voteFrame struct {
		Type     string `json:"type"`
		Seq      uint64 `json:"seq"`
		ID       string `json:"id"`
		Likes    int    `json:"likes"`
		Dislikes int    `json:"dislikes"`
	}
	// messageFrame is dm and room.message.
	messageFrame struct {
		Type    string              `json:"type"`
		Seq     uint64              `json:"seq"`
		Message projections.Message `json:"message"`
	}
	ackFrame struct {
		Type     string              `json:"type"` // ack
		ClientID string              `json:"client_id"`
		Message  projections.Message `json:"message"`
	}
	// readFrame (dm.read) tells the reader's own connections how far they read.
	readFrame struct {
		Type string `json:"type"` // read
		Seq  uint64 `json:"seq"`
		Peer string `json:"peer"`
		UpTo string `json:"up_to"`
	}
	typingFrame struct {
		Type   string           `json:"type"` // typing
		From   projections.User `json:"from"`
		Active bool             `json:"active"`
	}
	roomTypingFrame struct {
		Type   string           `json:"type"` // room.typing
		Room   string           `json:"room"`
		From   projections.User `json:"from"`
		Active bool             `json:"active"`
	}
	// roomSystemFrame (room.joined and room.left events) tells a room's
	// watchers and members that someone became a member or stopped being one.
	roomSystemFrame struct {
		Type string           `json:"type"` // room.system
		Seq  uint64           `json:"seq"`
		Room string           `json:"room"`
		User projections.User `json:"user"`
		Kind string           `json:"kind"` // join or leave
		Text string           `json:"text"`
	}
	// roomJoinedFrame answers room.join to the joining connection: who is in
	// the room now, on every instance (the joiner included).
	roomJoinedFrame struct {
		Type    string             `json:"type"` // room.joined
		Room    string             `json:"room"`
		Members []projections.User `json:"members"`
	}
	// roomReadFrame (room.read) tells the reader's own connections how far
	// they read a room.
	roomReadFrame struct {
		Type    string `json:"type"` // room.read
		Seq     uint64 `json:"seq"`
		Room    string `json:"room"`
		UpToSeq uint64 `json:"up_to_seq"`
	}
	// notificationFrame goes to every connection of the notified user.
	notificationFrame struct {
		Type         string                   `json:"type"` // notification
		Seq          uint64                   `json:"seq"`
		Notification projections.Notification `json:"notification"`
	}
	// notificationsReadFrame (notifications.read) tells the reader's own
	// connections how far they read their notifications.
	notificationsReadFrame struct {
		Type string `json:"type"` // notifications.read
		Seq  uint64 `json:"seq"`
		UpTo string `json:"up_to"`
	}
	// hiddenFrame (content.hidden and content.restored, typed "hidden" or
	// "restored"): the item leaves every list and page but a moderator's, or
	// comes back.
	hiddenFrame struct {
		Type   string        `json:"type"` // hidden
		Seq    uint64        `json:"seq"`
		Target events.Target `json:"target"`
	}
	purgedFrame struct {
		Type   string `json:"type"` // purged
		Seq    uint64 `json:"seq"`
		UserID string `json:"user_id"`
		Since  string `json:"since"`
	}
	errorFrame struct {
		Type     string `json:"type"` // error
		Code     string `json:"code"`
		Message  string `json:"message"`
		Field    string `json:"field,omitempty"`
		ClientID string `json:"client_id,omitempty"`
	}
	resyncFrame struct {
		Type string `json:"type"` // resync
	}
)

// audience says which connections a frame goes to: all of them, those of
// some users, or those that joined a room (watchers) and those of the
// room's members (users).
type audience struct {
	all   bool
	users []string
	room  string
}

// sees reports whether a connection of user that has joined no room is in
// the audience: what a resuming connection may be replayed.
func (a audience) sees(user string) bool {
	if a.all {
		return true
	}
	for _, u := range a.users {
		if u == user {
			return true
		}
	}
	return false
}

// pushes is the hub's decision for every event type: the frame type it is
// pushed as, or "" when it is not pushed (and why). A test fails when a
// registered event type is missing here.
var pushes = map[events.Type]string{
	events.PostCreated:     "post.created",
	events.PostEdited:      "post.edited",
	events.PostDeleted:     "post.deleted",
	events.PostVoted:       "post.voted",
	events.CommentCreated:  "comment.created",
	events.CommentEdited:   "comment.edited",
	events.CommentDeleted:  "comment.deleted",
	events.CommentVoted:    "comment.voted",
	events.DMSent:          "dm",
	events.DMRead:          "read",
	events.RoomMessageSent: "room.message",
	events.RoomJoined:      "room.system",
	events.RoomLeft:        "room.system",
	events.RoomRead:        "room.read",
	// notifications.read goes to the reader's connections; the notifications
	// themselves are frames of the posts, comments and messages that make
	// them (built.notes).
	events.NotificationsRead: "notifications.read",
	// Not pushed: categories and rooms are read once per page; claims,
	// users and sessions are private or shown only through other objects.
	events.CategoryCreated: "",
	events.RoomCreated:     "",
	events.ClaimMade:       "",
	events.ClaimReleased:   "",
	events.UserRegistered:  "",
	events.SessionStarted:  "",
	events.SessionUsed:     "",
	// Not pushed, but closes every socket of that session (built.endSession).
	events.SessionEnded: "",
	// Moderation: a hidden item leaves every page at once ("hidden"), a
	// restored one says so ("restored": pages showing it read it again), a
	// purge hides everything of one user since a time ("purged"); flags,
	// roles and suspensions are read by who needs them.
	events.ContentHidden:   "hidden",
	events.ContentRestored: "restored",
	events.UserPurged:      "purged",
	events.FlagRaised:      "",
	events.FlagResolved:    "",
	events.UserRoleSet:     "",
	events.UserSuspended:   "",
	events.UserUnsuspended: "",
	// Not pushed, but change what the blocker's connections are sent.
	events.UserBlocked:   "",
	events.UserUnblocked: "",
	// Not pushed, but closes every connection of the erased account.
	events.UserErased: "",
}

// built is what one committed event means to WebSocket clients: a frame and
// its audience (frame nil: nothing to show), the notifications it made, and
// a session to disconnect.
type built struct {
	seq        uint64
	frame      *outFrame
	to         audience
	notes      []note
	endSession string
	endUser    string            // an erased account: close its connections
	block      *events.BlockData // a block (blocked) or unblock changes what its user is sent
	blocked    bool

	// For the frame cache (cache.go): src builds the frames again from the
	// read models; keys name the items and users they show; fresh is a
	// sequence the read models had reached when they were built; changes
	// names what this event changes in frames built before it.
	src     source
	keys    []string
	fresh   uint64
	changes []string
}

// note is a notification frame for one user.
type note struct {
	user  string
	frame *outFrame
}

// appendFor appends to frames what a connection of user that has joined no
// room is shown of b: what a resuming connection is replayed.
func (b built) appendFor(frames []*outFrame, user string) []*outFrame {
	if b.frame != nil && b.to.sees(user) {
		frames = append(frames, b.frame)
	}
	for _, n := range b.notes {
		if n.user == user {
			frames = append(frames, n.frame)
		}
	}
	return frames
}

// shows reports whether a connection of user that has joined no room is
// shown anything of b.
func (b *built) shows(user string) bool {
	if b.frame != nil && b.to.sees(user) {
		return true
	}
	for _, n := range b.notes {
		if n.user == user {
			return true
		}
	}
	return false
}

// size is what b counts for in the frame cache.
func (b built) size() int {
	n := 64
	if b.frame != nil {
		n += len(b.frame.data)
	}
	for _, nt := range b.notes {
		n += len(nt.frame.data) + 16
	}
	for _, k := range b.keys {
		n += len(k) + 16
	}
	return n
}

// Keys of what frames show: an item ("post:<id>", "comment:<id>",
// "message:<id>") or a user's name and text ("user:<id>").
func itemKey(kind, id string) string { return kind + ":" + id }

func userKey(id string) string { return "user:" + id }

// addKey adds k to b's keys once.
func (b *built) addKey(k string) {
	if !slices.Contains(b.keys, k) {
		b.keys = append(b.keys, k)
	}
}

// source is what the frame of an event that shows a post, a comment, a
// message or a room membership reads, so that it can be built again from
// the read models as they are now.
type source struct {
	typ  events.Type
	id   string // the post, comment or member; "" for a message (read by seq)
	room string // a membership's room
}

// sourceOf returns the source of ev's frame; ok is false for an event that
// shows none of those.
func sourceOf(ev events.Event) (src source, ok bool, err error) {
	src.typ = ev.Type
	switch ev.Type {
	case events.PostCreated, events.PostEdited, events.PostDeleted:
		var d struct {
			PostID string `json:"post_id"`
		}
		err = ev.Payload(&d)
		src.id = d.PostID
	case events.CommentCreated, events.CommentEdited, events.CommentDeleted:
		var d struct {
			CommentID string `json:"comment_id"`
		}
		err = ev.Payload(&d)
		src.id = d.CommentID
	case events.DMSent, events.RoomMessageSent:
	case events.RoomJoined, events.RoomLeft:
		var d events.RoomMembershipData
		err = ev.Payload(&d)
		src.id, src.room = d.UserID, d.Room
	default:
		return source{}, false, nil
	}
	return src, true, err
}

// build turns a committed event into its frame, reading the objects it
// shows from the read models. An event that is not pushed, or whose object
// the read models do not show (a skipped event, or one whose object is
// gone), yields no frame.
func (h *Hub) build(ctx context.Context, ev events.Event) built {
	b := built{seq: ev.Seq}
	src, shows, err := sourceOf(ev)
	switch {
	case err != nil:
	case shows:
		b, err = h.shown(ctx, ev.Seq, src)
	default:
		err = h.buildOther(ctx, ev, &b)
	}
	if err != nil && fault.Code(err) != fault.ENOTFOUND && ctx.Err() == nil {
		h.log.Warn("websocket frame", "seq", ev.Seq, "type", ev.Type, "err", err)
	}
	b.changes = changesOf(ev)
	return b
}

// changesOf names what ev changes in the frames of events before it: the
// item an edit, deletion, hide or restore changes, or everything of the
// user a purge or an erasure changes (nil for other events).
func changesOf(ev events.Event) []string {
	var key string
	switch ev.Type {
	case events.PostEdited, events.PostDeleted:
		var d struct {
			PostID string `json:"post_id"`
		}
		if ev.Payload(&d) == nil {
			key = itemKey(events.KindPost, d.PostID)
		}
	case events.CommentEdited, events.CommentDeleted:
		var d struct {
			CommentID string `json:"comment_id"`
		}
		if ev.Payload(&d) == nil {
			key = itemKey(events.KindComment, d.CommentID)
		}
	case events.ContentHidden, events.ContentRestored:
		var d events.ContentModData
		if ev.Payload(&d) == nil {
			key = itemKey(d.Target.Kind, d.Target.ID)
		}
	case events.UserPurged, events.UserErased:
		var d events.UserModData // the user id of a purge too
		if ev.Payload(&d) == nil {
			key = userKey(d.UserID)
		}
	}
	if key == "" {
		return nil
	}
	return []string{key}
}

// shown builds the frames of the event at seq that shows src, and the
// notifications it made, from the read models as they are now: a hidden
// item without its text, an erased user's as "[deleted]".
func (h *Hub) shown(ctx context.Context, seq uint64, src source) (built, error) {
	b := built{seq: seq, src: src}
	var err error
	switch src.typ {
	case events.PostCreated, events.PostEdited, events.PostDeleted:
		err = h.buildPost(ctx, &b)
	case events.CommentCreated, events.CommentEdited, events.CommentDeleted:
		err = h.buildComment(ctx, &b)
	case events.DMSent, events.RoomMessageSent:
		err = h.buildMessage(ctx, &b)
	case events.RoomJoined, events.RoomLeft:
		err = h.buildMembership(ctx, &b)
	}
	if err == nil && (src.typ == events.PostCreated || src.typ == events.CommentCreated || src.typ == events.RoomMessageSent) {
		b.notes, err = h.notes(ctx, seq)
		for _, n := range b.notes {
			b.addKey(userKey(n.frame.author))
		}
	}
	return b, err
}

func (h *Hub) buildPost(ctx context.Context, b *built) error {
	typ := pushes[b.src.typ]
	p, err := h.read.Post(ctx, b.src.id, "")
	if err != nil {
		return err
	}
	f := postFrame{Type: typ, Seq: b.seq, Post: p}
	if b.src.typ == events.PostDeleted {
		f.ID = p.ID
	}
	b.frame, b.to = h.newFrame(typ, b.seq, f), audience{all: true}
	b.frame.author = p.Author.ID
	b.keys = []string{itemKey(events.KindPost, p.ID), userKey(p.Author.ID)}
	return nil
}

func (h *Hub) buildComment(ctx context.Context, b *built) error {
	typ := pushes[b.src.typ]
	c, err := h.read.Comment(ctx, b.src.id, "")
	if err != nil {
		return err
	}
	f := commentFrame{Type: typ, Seq: b.seq, Comment: c}
	if b.src.typ == events.CommentDeleted {
		f.ID = c.ID
	}
	b.frame, b.to = h.newFrame(typ, b.seq, f), audience{all: true}
	b.frame.author = c.Author.ID
	b.keys = []string{itemKey(events.KindComment, c.ID), userKey(c.Author.ID)}
	return nil
}

func (h *Hub) buildMessage(ctx context.Context, b *built) error {
	typ := pushes[b.src.typ]
	m, err := h.read.MessageBySeq(ctx, b.seq)
	if err != nil {
		return err
	}
	if b.to, err = h.messageAudience(ctx, m); err != nil {
		return err
	}
	b.frame = h.newFrame(typ, b.seq, messageFrame{Type: typ, Seq: b.seq, Message: m})
	if m.Room != nil {
		b.frame.author = m.From.ID // a blocked user's DMs are refused, not hidden
	}
	b.keys = []string{itemKey(events.KindMessage, m.ID), userKey(m.From.ID)}
	if m.To != nil {
		b.keys = append(b.keys, userKey(m.To.ID))
	}
	return nil
}

func (h *Hub) buildMembership(ctx context.Context, b *built) error {
	typ := pushes[b.src.typ]
	u, err := h.read.User(ctx, b.src.id)
	if err != nil {
		return err
	}
	kind, text := "join", u.Nickname+" joined the room"
	if b.src.typ == events.RoomLeft {
		kind, text = "leave", u.Nickname+" left the room"
	}
	if b.to, err = h.roomAudience(ctx, b.src.room); err != nil {
		return err
	}
	if b.src.typ == events.RoomLeft {
		b.to.users = append(b.to.users, u.ID) // who left sees it too
	}
	f := roomSystemFrame{Type: typ, Seq: b.seq, Room: b.src.room, User: u, Kind: kind, Text: text}
	b.frame = h.newFrame(typ, b.seq, f)
	b.keys = []string{userKey(u.ID)}
	return nil
}

// buildOther builds into b what an event that shows no post, comment,
// message or membership means: a read mark, a moderation, a session or
// account to close, a block.
func (h *Hub) buildOther(ctx context.Context, ev events.Event, b *built) error {
	typ := pushes[ev.Type]
	var err error
	switch ev.Type {
	case events.PostVoted, events.CommentVoted:
		err = h.buildVotes(ctx, ev, b)
	case events.RoomRead:
		var d events.RoomReadData
		if err = ev.Payload(&d); err == nil {
			f := roomReadFrame{Type: typ, Seq: ev.Seq, Room: d.Room, UpToSeq: d.UpToSeq}
			b.frame, b.to = h.newFrame(typ, ev.Seq, f), audience{users: []string{d.UserID}}
		}
	case events.NotificationsRead:
		var d events.NotificationsReadData
		if err = ev.Payload(&d); err == nil {
			f := notificationsReadFrame{Type: typ, Seq: ev.Seq, UpTo: strconv.FormatUint(d.UpToSeq, 10)}
			b.frame, b.to = h.newFrame(typ, ev.Seq, f), audience{users: []string{d.UserID}}
		}
	case events.DMRead:
		var d events.DMReadData
		if err = ev.Payload(&d); err == nil {
			f := readFrame{Type: typ, Seq: ev.Seq, Peer: d.PeerID, UpTo: d.UpTo}
			b.frame, b.to = h.newFrame(typ, ev.Seq, f), audience{users: []string{d.UserID}}
		}
	case events.SessionEnded:
		var d events.SessionEndedData
		if err = ev.Payload(&d); err == nil {
			b.endSession = d.SessionID
		}
	case events.UserBlocked, events.UserUnblocked:
		var d events.BlockData
		if err = ev.Payload(&d); err == nil {
			b.block, b.blocked = &d, ev.Type == events.UserBlocked
		}
	case events.ContentHidden, events.ContentRestored, events.UserPurged, events.UserErased:
		err = h.buildModeration(ctx, ev, b)
	}
	return err
}

func (h *Hub) buildVotes(ctx context.Context, ev events.Event, b *built) error {
	typ := pushes[ev.Type]
	kind := events.KindPost
	if ev.Type == events.CommentVoted {
		kind = events.KindComment
	}
	var d events.VotedData
	if err := ev.Payload(&d); err != nil {
		return err
	}
	v, err := h.read.Votes(ctx, events.Target{Kind: kind, ID: d.TargetID}, "")
	if err != nil {
		return err
	}
	f := voteFrame{Type: typ, Seq: ev.Seq, ID: d.TargetID, Likes: v.Likes, Dislikes: v.Dislikes}
	b.frame, b.to = h.newFrame(typ, ev.Seq, f), audience{all: true}
	return nil
}

// buildModeration builds the frame of a hide, restore, purge or erasure,
// and names what it changes in frames built before it: the item, or
// everything of the user.
func (h *Hub) buildModeration(ctx context.Context, ev events.Event, b *built) error {
	typ := pushes[ev.Type]
	switch ev.Type {
	case events.ContentHidden, events.ContentRestored:
		var d events.ContentModData
		if err := ev.Payload(&d); err != nil {
			return err
		}
		b.to = audience{all: true}
		if d.Target.Kind == events.KindMessage {
			m, err := h.read.MessageByID(ctx, d.Target.ID)
			if err == nil {
				b.to, err = h.messageAudience(ctx, m)
			}
			if err != nil {
				return err
			}
		}
		b.frame = h.newFrame(typ, ev.Seq, hiddenFrame{Type: typ, Seq: ev.Seq, Target: d.Target})
	case events.UserPurged:
		var d events.UserPurgedData
		if err := ev.Payload(&d); err != nil {
			return err
		}
		f := purgedFrame{Type: typ, Seq: ev.Seq, UserID: d.UserID, Since: projections.FormatTime(d.Since)}
		b.frame, b.to = h.newFrame(typ, ev.Seq, f), audience{all: true}
	case events.UserErased:
		var d events.UserModData
		if err := ev.Payload(&d); err != nil {
			return err
		}
		b.endUser = d.UserID
	}
	return nil
}

// notes returns the notification frames the event at seq made.
func (h *Hub) notes(ctx context.Context, seq uint64) ([]note, error) {
	users, list, err := h.read.NotificationsAt(ctx, seq)
	if err != nil || len(users) == 0 {
		return nil, err
	}
	out := make([]note, len(users))
	for i, u := range users {
		out[i] = note{user: u, frame: h.newFrame("notification", seq, notificationFrame{Type: "notification", Seq: seq, Notification: list[i]})}
		out[i].frame.author = list[i].Actor.ID // not to a user who blocks them
	}
	return out, nil
}

// roomAudience is who is shown a room's frames: its watchers and its members.
func (h *Hub) roomAudience(ctx context.Context, room string) (audience, error) {
	members, err := h.read.RoomMemberIDs(ctx, room)
	return audience{room: room, users: members}, err
}

// messageAudience is who is shown message m: its room's audience, or the
// two sides of a direct conversation.
func (h *Hub) messageAudience(ctx context.Context, m projections.Message) (audience, error) {
	switch {
	case m.Room != nil:
		return h.roomAudience(ctx, *m.Room)
	case m.To != nil:
		return audience{users: []string{m.From.ID, m.To.ID}}, nil
	}
	return audience{}, nil
}
