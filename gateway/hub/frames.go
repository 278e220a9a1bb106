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
	"forum/projections"
)

// outFrame is one server → client frame, encoded once and shared by every
// connection it goes to.
type outFrame struct {
	typ    string
	seq    uint64 // stream sequence of the event it shows; 0 for frames from no event
	author string // who wrote or did what it shows (a post, comment, room message, notification or typing), for blocks
	// blind, when set, takes the frame's place for a reader who blocks
	// about: a reply's frame without the author of the comment it answers.
	about string
	blind *outFrame
	data  []byte
	sent  prometheus.Counter

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
	// postFrame is post.created, post.edited, post.deleted (ID is set on
	// the last only), pinned and locked. MyVote in Post is always 0: it is
	// the viewer's own; participants and last_commenter are null.
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
	// reactionFrame (reaction.added and reaction.removed) tells who is
	// shown an item its counts of reactions now, and who put Name on it
	// (Added) or took it off. PostID is a comment's post.
	reactionFrame struct {
		Type      string                     `json:"type"` // reaction
		Seq       uint64                     `json:"seq"`
		Target    events.Target              `json:"target"`
		PostID    string                     `json:"post_id,omitempty"`
		Name      events.ReactionName        `json:"name"`
		Added     bool                       `json:"added"`
		User      projections.User           `json:"user"`
		Reactions projections.ReactionCounts `json:"reactions"`
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

// built is what one committed event means to WebSocket clients: a frame and
// its audience (frame nil: nothing to show), the notifications it made, and
// what it does to open connections (effects: end sessions, close an
// account's connections, change whom a user's connections are not sent).
type built struct {
	seq     uint64
	ftype   string // the frame type its registration names (pushes.go)
	frame   *outFrame
	to      audience
	notes   []note
	effects []effect

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
		if b.frame.blind != nil {
			n += len(b.frame.blind.data)
		}
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
func itemKey(kind events.Kind, id string) string { return string(kind) + ":" + id }

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

// buildPost builds the frame of a new or edited post, buildDeletedPost
// that of a deleted one (which names its id).
func (h *Hub) buildPost(ctx context.Context, b *built) error { return h.postFrame(ctx, b, false) }

func (h *Hub) buildDeletedPost(ctx context.Context, b *built) error { return h.postFrame(ctx, b, true) }

func (h *Hub) postFrame(ctx context.Context, b *built, deleted bool) error {
	typ := b.ftype
	p, err := h.read.Post(ctx, events.PostID(b.src.id), "")
	if err != nil {
		return err
	}
	// Who commented depends on whom the reader blocks, and a frame is one
	// for every reader: lists and pages read it over HTTP.
	p.Participants, p.LastCommenter = nil, nil
	f := postFrame{Type: typ, Seq: b.seq, Post: p}
	if deleted {
		f.ID = p.ID
	}
	b.frame, b.to = h.newFrame(typ, b.seq, f), audience{all: true}
	b.frame.author = p.Author.ID
	b.keys = []string{itemKey(events.KindPost, p.ID), userKey(p.Author.ID)}
	return nil
}

// buildComment builds the frame of a new or edited comment,
// buildDeletedComment that of a deleted one (which names its id).
func (h *Hub) buildComment(ctx context.Context, b *built) error { return h.commentFrame(ctx, b, false) }

func (h *Hub) buildDeletedComment(ctx context.Context, b *built) error {
	return h.commentFrame(ctx, b, true)
}

func (h *Hub) commentFrame(ctx context.Context, b *built, deleted bool) error {
	typ := b.ftype
	c, err := h.read.Comment(ctx, events.CommentID(b.src.id), "")
	if err != nil {
		return err
	}
	b.keys = []string{itemKey(events.KindComment, c.ID), itemKey(events.KindPost, c.PostID), userKey(c.Author.ID)}
	// A hidden post hides its thread: its comments show nothing to anyone
	// (the API answers 404 but to moderators, who read them over HTTP);
	// the keys stay, so a restore of the post builds the frame again.
	p, err := h.read.Post(ctx, events.PostID(c.PostID), "")
	if err != nil || p.Hidden {
		return err
	}
	f := commentFrame{Type: typ, Seq: b.seq, Comment: c}
	if deleted {
		f.ID = c.ID
	}
	b.frame, b.to = h.newFrame(typ, b.seq, f), audience{all: true}
	b.frame.author = c.Author.ID
	if r := c.ReplyTo; r != nil && r.Author != nil {
		// Whom the reply answers is left out for a reader who blocks them,
		// as the API leaves it out: such a reader gets the blind frame.
		about := r.Author.ID
		f.Comment = c.Blind(func(id string) bool { return id == about })
		b.frame.about, b.frame.blind = about, h.newFrame(typ, b.seq, f)
		b.frame.blind.author = c.Author.ID
		b.keys = append(b.keys, userKey(about))
	}
	return nil
}

func (h *Hub) buildMessage(ctx context.Context, b *built) error {
	typ := b.ftype
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

// buildJoin builds the room.system frame of a user who joined a room,
// buildLeave that of one who left (who sees it too).
func (h *Hub) buildJoin(ctx context.Context, b *built) error { return h.membershipFrame(ctx, b, false) }

func (h *Hub) buildLeave(ctx context.Context, b *built) error { return h.membershipFrame(ctx, b, true) }

func (h *Hub) membershipFrame(ctx context.Context, b *built, left bool) error {
	typ := b.ftype
	u, err := h.read.User(ctx, events.UserID(b.src.id))
	if err != nil {
		return err
	}
	kind, text := "join", u.Nickname+" joined the room"
	if left {
		kind, text = "leave", u.Nickname+" left the room"
	}
	if b.to, err = h.roomAudience(ctx, b.src.room); err != nil {
		return err
	}
	if left {
		b.to.users = append(b.to.users, u.ID) // who left sees it too
	}
	f := roomSystemFrame{Type: typ, Seq: b.seq, Room: b.src.room, User: u, Kind: kind, Text: text}
	b.frame = h.newFrame(typ, b.seq, f)
	b.keys = []string{userKey(u.ID)}
	return nil
}

// buildPostVotes builds the frame of a vote on a post, buildCommentVotes
// on a comment: the item's counts now.
func (h *Hub) buildPostVotes(ctx context.Context, ev events.Event, d events.VotedData, b *built) error {
	return h.votesFrame(ctx, ev, events.KindPost, d, b)
}

func (h *Hub) buildCommentVotes(ctx context.Context, ev events.Event, d events.VotedData, b *built) error {
	return h.votesFrame(ctx, ev, events.KindComment, d, b)
}

func (h *Hub) votesFrame(ctx context.Context, ev events.Event, kind events.Kind, d events.VotedData, b *built) error {
	v, err := h.read.Votes(ctx, events.Target{Kind: kind, ID: d.TargetID}, "")
	if err != nil {
		return err
	}
	f := voteFrame{Type: b.ftype, Seq: ev.Seq, ID: d.TargetID, Likes: v.Likes, Dislikes: v.Dislikes}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), audience{all: true}
	return nil
}

// buildReactionAdded builds the frame of a reaction put on an item,
// buildReactionRemoved of one taken off.
func (h *Hub) buildReactionAdded(ctx context.Context, ev events.Event, d events.ReactionData, b *built) error {
	return h.reactionFrame(ctx, ev, d, true, b)
}

func (h *Hub) buildReactionRemoved(ctx context.Context, ev events.Event, d events.ReactionData, b *built) error {
	return h.reactionFrame(ctx, ev, d, false, b)
}

// reactionFrame builds a reaction frame for who is shown its item: a post
// or comment to everyone while its thread is not hidden, a message to its
// conversation or its room; never to a user who blocks the reactor. A
// hidden item's reactions are pushed to nobody.
func (h *Hub) reactionFrame(ctx context.Context, ev events.Event, d events.ReactionData, added bool, b *built) error {
	to, postID, err := h.reactionAudience(ctx, d.Target)
	if err != nil || to == nil {
		return err
	}
	u, err := h.read.User(ctx, events.UserID(d.UserID))
	if err != nil {
		return err
	}
	r, err := h.read.Reactions(ctx, d.Target, "")
	if err != nil {
		return err
	}
	f := reactionFrame{Type: b.ftype, Seq: ev.Seq, Target: d.Target, PostID: postID, Name: d.Name, Added: added, User: u, Reactions: r.Counts}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), *to
	b.frame.author = d.UserID
	b.keys = []string{itemKey(d.Target.Kind, d.Target.ID), userKey(d.UserID)}
	if postID != "" {
		b.keys = append(b.keys, itemKey(events.KindPost, postID))
	}
	return nil
}

// reactionAudience is who is shown the reactions on target, nil for
// nobody (a hidden item, or one in a hidden thread), and a comment's post.
func (h *Hub) reactionAudience(ctx context.Context, target events.Target) (to *audience, postID string, err error) {
	everyone := &audience{all: true}
	switch target.Kind {
	case events.KindPost:
		p, err := h.read.Post(ctx, events.PostID(target.ID), "")
		if err != nil || p.Hidden {
			return nil, "", err
		}
		return everyone, "", nil
	case events.KindComment:
		c, err := h.read.Comment(ctx, events.CommentID(target.ID), "")
		if err != nil || c.Hidden {
			return nil, "", err
		}
		p, err := h.read.Post(ctx, events.PostID(c.PostID), "")
		if err != nil || p.Hidden {
			return nil, "", err
		}
		return everyone, c.PostID, nil
	case events.KindMessage:
		m, err := h.read.MessageByID(ctx, events.MessageID(target.ID))
		if err != nil || m.Hidden {
			return nil, "", err
		}
		a, err := h.messageAudience(ctx, m)
		return &a, "", err
	}
	return nil, "", nil
}

// buildRoomRead tells the reader's own connections how far they read a room.
func (h *Hub) buildRoomRead(_ context.Context, ev events.Event, d events.RoomReadData, b *built) error {
	f := roomReadFrame{Type: b.ftype, Seq: ev.Seq, Room: d.Room, UpToSeq: d.UpToSeq}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), audience{users: []string{d.UserID}}
	return nil
}

// buildNotificationsRead tells the reader's own connections how far they
// read their notifications.
func (h *Hub) buildNotificationsRead(_ context.Context, ev events.Event, d events.NotificationsReadData, b *built) error {
	f := notificationsReadFrame{Type: b.ftype, Seq: ev.Seq, UpTo: strconv.FormatUint(d.UpToSeq, 10)}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), audience{users: []string{d.UserID}}
	return nil
}

// buildDMRead tells the reader's own connections how far they read a
// conversation.
func (h *Hub) buildDMRead(_ context.Context, ev events.Event, d events.DMReadData, b *built) error {
	f := readFrame{Type: b.ftype, Seq: ev.Seq, Peer: d.PeerID, UpTo: d.UpTo}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), audience{users: []string{d.UserID}}
	return nil
}

// buildHidden builds the frame of a hide or a restore: to everyone, or to
// those who are shown the message it hides.
func (h *Hub) buildHidden(ctx context.Context, ev events.Event, d events.ContentModData, b *built) error {
	b.to = audience{all: true}
	if d.Target.Kind == events.KindMessage {
		m, err := h.read.MessageByID(ctx, events.MessageID(d.Target.ID))
		if err == nil {
			b.to, err = h.messageAudience(ctx, m)
		}
		if err != nil {
			return err
		}
	}
	b.frame = h.newFrame(b.ftype, ev.Seq, hiddenFrame{Type: b.ftype, Seq: ev.Seq, Target: d.Target})
	return nil
}

// buildPurged builds the frame of a purge: everything of one user since a
// time leaves every page.
func (h *Hub) buildPurged(_ context.Context, ev events.Event, d events.UserPurgedData, b *built) error {
	f := purgedFrame{Type: b.ftype, Seq: ev.Seq, UserID: d.UserID, Since: projections.FormatTime(d.Since)}
	b.frame, b.to = h.newFrame(b.ftype, ev.Seq, f), audience{all: true}
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
		out[i] = note{user: u, frame: h.newFrame(frameNotification, seq, notificationFrame{Type: frameNotification, Seq: seq, Notification: list[i]})}
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
