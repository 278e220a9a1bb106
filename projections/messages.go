package projections

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"forum/events"
	"forum/fault"
)

// Message is a direct message (To set) or a room message (Room set).
type Message struct {
	ID        string  `json:"id"`
	Seq       uint64  `json:"seq"`
	From      User    `json:"from"`
	To        *User   `json:"to"`
	Room      *string `json:"room"`
	Body      string  `json:"body"`
	BodyHTML  string  `json:"body_html"`
	Hidden    bool    `json:"hidden"`
	CreatedAt string  `json:"created_at"`
	// Reactions are the counts by reaction; MyReactions the reader's own
	// (absent where no reader is known, as in frames).
	Reactions   ReactionCounts `json:"reactions"`
	MyReactions []string       `json:"my_reactions,omitzero"`
}

// Contact is another user as listed in someone's contacts.
type Contact struct {
	User          User    `json:"user"`
	Online        bool    `json:"online"`
	LastMessageAt *string `json:"last_message_at"`
	Unread        int     `json:"unread"`
}

// Room is a chat room; Online is filled by the gateway, which knows presence.
type Room struct {
	Name          string  `json:"name"`
	Online        int     `json:"online"`
	LastMessageAt *string `json:"last_message_at"`
	// Member and Unread are set in the lists of one's own rooms.
	Member bool `json:"member,omitempty"`
	Unread *int `json:"unread,omitempty"`
}

// dmConv and roomConv are the conversation keys of the messages table.
func dmConv(a, b string) string   { return "dm:" + events.PairKey(a, b) }
func roomConv(room string) string { return "room:" + room }

func (a *applier) dmSent(ev events.Event, d events.DMSentData) error {
	at := FormatTime(ev.Time)
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, to_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, dmConv(d.From, d.To), d.From, d.To, d.Body, html, at)
	if err != nil || !inserted {
		return err
	}
	if err := a.indexMessage(ev.Seq, d.Body); err != nil {
		return err
	}
	// The sender has read everything up to their own message.
	if _, err := a.exec(`INSERT INTO conversations(user_id, peer_id, last_seq, last_message_at, read_seq, unread) VALUES (?, ?, ?, ?, ?, 0)
		ON CONFLICT(user_id, peer_id) DO UPDATE SET last_seq = excluded.last_seq, last_message_at = excluded.last_message_at, read_seq = excluded.read_seq, unread = 0`,
		d.From, d.To, ev.Seq, at, ev.Seq); err != nil {
		return err
	}
	_, err = a.exec(`INSERT INTO conversations(user_id, peer_id, last_seq, last_message_at, read_seq, unread) VALUES (?, ?, ?, ?, 0, 1)
		ON CONFLICT(user_id, peer_id) DO UPDATE SET last_seq = excluded.last_seq, last_message_at = excluded.last_message_at, unread = unread + 1`,
		d.To, d.From, ev.Seq, at)
	return err
}

func (a *applier) dmRead(_ events.Event, d events.DMReadData) error {
	_, err := a.exec(`UPDATE conversations SET read_seq = ?1,
		unread = (SELECT count(*) FROM messages INDEXED BY messages_conv_seq WHERE conv = ?2 AND from_id = ?3 AND seq > ?1)
		WHERE user_id = ?4 AND peer_id = ?3 AND read_seq < ?1`,
		d.UpToSeq, dmConv(d.UserID, d.PeerID), d.PeerID, d.UserID)
	return err
}

func (a *applier) roomCreated(ev events.Event, d events.RoomCreatedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, FormatTime(ev.Time))
	return err
}

func (a *applier) roomMessage(ev events.Event, d events.RoomMessageData) error {
	at := FormatTime(ev.Time)
	if _, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, at); err != nil {
		return err
	}
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, room, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, roomConv(d.Room), d.From, d.Room, d.Body, html, at)
	if err != nil || !inserted {
		return err
	}
	if err := a.indexMessage(ev.Seq, d.Body); err != nil {
		return err
	}
	if _, err = a.exec(`UPDATE rooms SET last_message_at = ?, message_count = message_count + 1 WHERE name = ?`, at, d.Room); err != nil {
		return err
	}
	// The sender has read the room up to their own message.
	if _, err := a.exec(`UPDATE room_members SET read_seq = ? WHERE room = ? AND user_id = ?`, ev.Seq, d.Room, d.From); err != nil {
		return err
	}
	return a.notify(ev, notice{actor: d.From, room: d.Room, msgID: d.MessageID, body: d.Body}, "")
}

func (a *applier) roomJoined(ev events.Event, d events.RoomMembershipData) error {
	at := FormatTime(ev.Time)
	if _, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, at); err != nil {
		return err
	}
	// A new member starts with the room read: its history is there to
	// scroll, not to count.
	_, err := a.exec(`INSERT OR IGNORE INTO room_members(room, user_id, joined_at, read_seq) VALUES (?, ?, ?, ?)`, d.Room, d.UserID, at, ev.Seq)
	return err
}

func (a *applier) roomLeft(_ events.Event, d events.RoomMembershipData) error {
	_, err := a.exec(`DELETE FROM room_members WHERE room = ? AND user_id = ?`, d.Room, d.UserID)
	return err
}

func (a *applier) roomRead(_ events.Event, d events.RoomReadData) error {
	_, err := a.exec(`UPDATE room_members SET read_seq = ?1 WHERE room = ?2 AND user_id = ?3 AND read_seq < ?1`, d.UpToSeq, d.Room, d.UserID)
	return err
}

// messageCols' argument is the reader, for my_reactions ("" for none).
var messageCols = `m.id, m.seq, m.room, m.body, m.body_html, m.created_at, m.hidden, f.id, f.nickname, f.created_at, f.role, f.avatar, t.id, t.nickname, t.created_at, t.role, t.avatar,
	m.reactions, ` + myReactionsCol(events.KindMessage, "m.id")

const messageJoins = ` JOIN users f ON f.id = m.from_id LEFT JOIN users t ON t.id = m.to_id`

func messageMine(m *Message) *[]string { return &m.MyReactions }

func scanMessage(row scanner) (Message, error) {
	m, err := scanMessageRaw(row)
	m.conceal()
	return m, err
}

// scanMessageRaw is scanMessage for moderators: hidden text too.
func scanMessageRaw(row scanner) (Message, error) {
	var m Message
	var toID, toNick, toAt, toRole, toAvatar sql.NullString
	var mine myReactions
	err := row.Scan(&m.ID, &m.Seq, &m.Room, &m.Body, &m.BodyHTML, &m.CreatedAt, &m.Hidden, &m.From.ID, &m.From.Nickname, &m.From.CreatedAt, &m.From.Role, avatarDest{&m.From.AvatarURL}, &toID, &toNick, &toAt, &toRole, &toAvatar,
		&m.Reactions, &mine)
	m.MyReactions = mine
	if toID.Valid {
		m.To = &User{ID: toID.String, Nickname: toNick.String, CreatedAt: toAt.String, Role: events.Role(toRole.String), AvatarURL: avatarURL(toAvatar.String)}
	}
	return m, err
}

// MessageBySeq returns the message stored by the event at seq, ENOTFOUND if none.
func (db *DB) MessageBySeq(ctx context.Context, seq uint64) (Message, error) {
	return one(ctx, db, "message", `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.seq = ?`, anonymous("", scanMessage, messageMine), "", seq)
}

// MessageByID returns a message, ENOTFOUND if none.
func (db *DB) MessageByID(ctx context.Context, messageID events.MessageID) (Message, error) {
	id := string(messageID)
	return one(ctx, db, "message", `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.id = ?`, anonymous("", scanMessage, messageMine), "", id)
}

// DirectMessages returns a page of the conversation between two users,
// newest first, paging back in time (10 a page by default), as userA reads it.
func (db *DB) DirectMessages(ctx context.Context, userA, userB events.UserID, pr PageRequest) (Page[Message], error) {
	a, b := string(userA), string(userB)
	return db.messages(ctx, a, dmConv(a, b), ClampLimit(pr.Limit, 10), pr.Cursor)
}

// RoomMessages returns a page of a room's messages, newest first (50 a page
// by default), as viewer reads it.
func (db *DB) RoomMessages(ctx context.Context, room string, viewer events.UserID, pr PageRequest) (Page[Message], error) {
	return db.messages(ctx, string(viewer), roomConv(room), ClampLimit(pr.Limit, 50), pr.Cursor)
}

var messagesQuery = `SELECT ` + messageCols + ` FROM messages m` + messageJoins + `
			WHERE m.conv = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`

func (db *DB) messages(ctx context.Context, viewer, conv string, limit int, cursor string) (Page[Message], error) {
	before, err := decodeBefore(cursor)
	if err != nil {
		return Page[Message]{}, err
	}
	return readList(ctx, db, list[Message]{
		query: messagesQuery, args: []any{viewer, conv, before}, limit: limit,
		scan: anonymous(viewer, scanMessage, messageMine), key: func(m Message) uint64 { return m.Seq },
	})
}

// ListFilter asks for one page of a list that can be searched by prefix:
// Q is a nickname or room-name prefix (ignoring case), "" for all.
type ListFilter struct {
	Q string
	PageRequest
}

// checkPrefix validates a search prefix.
func checkPrefix(q string) (string, error) {
	if len(q) > 64 {
		return "", fault.FieldError(fault.EINVALID, "q", "q is at most 64 characters")
	}
	return strings.ToLower(q), nil
}

// The contacts list has two parts: the users I have a conversation with,
// newest first (part "c", keyed by the conversation's last sequence), then
// everyone else by nickname (part "u", keyed by nickname and id).
const (
	contactsWithConversation = `SELECT u.id, u.nickname, u.created_at, u.role, u.avatar, c.last_message_at, c.unread, c.last_seq, u.nickname_key
			FROM conversations c JOIN users u ON u.id = c.peer_id
			WHERE c.user_id = ? AND c.last_seq < ? AND u.nickname_key >= ? AND u.nickname_key < ?
			ORDER BY c.last_seq DESC LIMIT ?`
	contactsWithout = `SELECT u.id, u.nickname, u.created_at, u.role, u.avatar, NULL, 0, 0, u.nickname_key
			FROM users u
			WHERE (u.nickname_key, u.id) > (?, ?) AND u.nickname_key >= ? AND u.nickname_key < ? AND u.id != ? AND u.erased = 0
			  AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = ? AND c.peer_id = u.id)
			ORDER BY u.nickname_key, u.id LIMIT ?`
)

// contactRow is a contact with the keys its position is known by.
type contactRow struct {
	Contact
	lastSeq uint64
	key     string
}

func scanContact(row scanner) (c contactRow, err error) {
	err = row.Scan(&c.User.ID, &c.User.Nickname, &c.User.CreatedAt, &c.User.Role, avatarDest{&c.User.AvatarURL}, &c.LastMessageAt, &c.Unread, &c.lastSeq, &c.key)
	return c, err
}

// Contacts returns a page of every user but user whose nickname starts
// with f.Q: those user has messages with first, by last message (newest first),
// then the rest by nickname, erased accounts left out (50 a page by
// default). Online is left false.
func (db *DB) Contacts(ctx context.Context, user events.UserID, f ListFilter) (Page[Contact], error) {
	me := string(user)
	q, err := checkPrefix(f.Q)
	if err != nil {
		return Page[Contact]{}, err
	}
	part, key, err := decodePartCursor(f.Cursor)
	if err != nil {
		return Page[Contact]{}, err
	}
	before, afterKey, afterID := uint64(1<<63-1), "", ""
	switch part {
	case "c":
		if before, err = strconv.ParseUint(key, 10, 63); err != nil {
			return Page[Contact]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
		}
	case "u":
		afterKey, afterID, _ = strings.Cut(key, "\x00")
	case "":
	default:
		return Page[Contact]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
	}
	limit := ClampLimit(f.Limit, 50)
	lo, hi := prefixRange(q)
	var rows []contactRow
	page := Page[Contact]{Items: []Contact{}}
	page.Seq, err = db.read(ctx, func(tx readTx) error {
		var err error
		if part != "u" {
			if rows, err = scanAll(ctx, tx, rows, contactsWithConversation, []any{me, before, lo, hi, limit + 1}, scanContact); err != nil {
				return err
			}
		}
		if len(rows) <= limit {
			rows, err = scanAll(ctx, tx, rows, contactsWithout, []any{afterKey, afterID, lo, hi, me, me, limit + 1 - len(rows)}, scanContact)
		}
		return err
	})
	if err != nil {
		return Page[Contact]{}, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		if last.LastMessageAt != nil {
			page.Next = encodePartCursor("c", strconv.FormatUint(last.lastSeq, 10))
		} else {
			page.Next = encodePartCursor("u", last.key+"\x00"+last.User.ID)
		}
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.Contact)
	}
	return page, nil
}

// The rooms list has two parts: rooms with messages, newest message first
// (part "m", keyed by the time and name), then the rest by name ("n").
const (
	roomsWithMessages = `SELECT name, last_message_at FROM rooms INDEXED BY rooms_recent
			WHERE last_message_at <= ? AND (+last_message_at < ? OR +name > ?) AND +name >= ? AND +name < ?
			ORDER BY last_message_at DESC, name LIMIT ?`
	roomsWithout = `SELECT name, last_message_at FROM rooms
			WHERE last_message_at IS NULL AND name > ? AND name >= ? AND name < ?
			ORDER BY name LIMIT ?`
)

func scanRoom(row scanner) (r Room, err error) {
	err = row.Scan(&r.Name, &r.LastMessageAt)
	return r, err
}

// Rooms returns a page of the rooms whose name starts with f.Q: those with
// messages first by the last one, then by name (50 a page by default).
// Online is left 0.
func (db *DB) Rooms(ctx context.Context, f ListFilter) (Page[Room], error) {
	q, err := checkPrefix(f.Q)
	if err != nil {
		return Page[Room]{}, err
	}
	part, key, err := decodePartCursor(f.Cursor)
	if err != nil {
		return Page[Room]{}, err
	}
	beforeAt, afterName := "\x7f", ""
	switch part {
	case "m":
		beforeAt, afterName, _ = strings.Cut(key, "\x00")
	case "n":
		afterName = key
	case "":
	default:
		return Page[Room]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
	}
	limit := ClampLimit(f.Limit, 50)
	lo, hi := prefixRange(q)
	page := Page[Room]{Items: []Room{}}
	page.Seq, err = db.read(ctx, func(tx readTx) error {
		var err error
		if part != "n" {
			if page.Items, err = scanAll(ctx, tx, page.Items, roomsWithMessages, []any{beforeAt, beforeAt, afterName, lo, hi, limit + 1}, scanRoom); err != nil {
				return err
			}
			afterName = ""
		}
		if len(page.Items) <= limit {
			page.Items, err = scanAll(ctx, tx, page.Items, roomsWithout, []any{afterName, lo, hi, limit + 1 - len(page.Items)}, scanRoom)
		}
		return err
	})
	if err != nil {
		return Page[Room]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		if last.LastMessageAt != nil {
			page.Next = encodePartCursor("m", *last.LastMessageAt+"\x00"+last.Name)
		} else {
			page.Next = encodePartCursor("n", last.Name)
		}
	}
	return page, nil
}

// DMSeq returns the stream sequence of a direct message in the conversation
// of userA and userB, ENOTFOUND if it is not one of theirs.
func (db *DB) DMSeq(ctx context.Context, message events.MessageID, userA, userB events.UserID) (uint64, error) {
	messageID, a, b := string(message), string(userA), string(userB)
	return db.messageSeq(ctx, messageID, dmConv(a, b))
}

// messageSeq returns the sequence of message messageID in conversation
// conv, ENOTFOUND if it is not one of its.
func (db *DB) messageSeq(ctx context.Context, messageID, conv string) (uint64, error) {
	return one(ctx, db, "message", `SELECT seq FROM messages WHERE id = ? AND conv = ?`, func(row scanner) (seq uint64, err error) {
		err = row.Scan(&seq)
		return seq, err
	}, messageID, conv)
}

// RoomExists reports whether room has been created (or has a message).
func (db *DB) RoomExists(ctx context.Context, room string) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM rooms WHERE name = ?`, room).Scan(&n)
	return n > 0, err
}

// RoomMemberIDs returns the ids of room's members.
func (db *DB) RoomMemberIDs(ctx context.Context, room string) ([]string, error) {
	return column[string](db.query(ctx, `SELECT user_id FROM room_members WHERE room = ?`, room))
}

// RoomMessageSeq returns the sequence of message in room,
// ENOTFOUND if it is not one of the room's.
func (db *DB) RoomMessageSeq(ctx context.Context, message events.MessageID, room string) (uint64, error) {
	messageID := string(message)
	return db.messageSeq(ctx, messageID, roomConv(room))
}

// Membership is a user's standing in a room: whether they are a member,
// and how far they have read it.
type Membership struct {
	Member  bool
	ReadSeq uint64
}

// RoomMembership returns user's membership of room.
func (db *DB) RoomMembership(ctx context.Context, room string, userID events.UserID) (Membership, error) {
	user := string(userID)
	var m Membership
	err := db.queryRow(ctx, `SELECT read_seq FROM room_members WHERE room = ? AND user_id = ?`, room, user).Scan(&m.ReadSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return Membership{}, nil
	}
	m.Member = err == nil
	return m, err
}

// MyRooms returns a page of the rooms user is a member of, by name, each
// with the number of messages they have not read.
func (db *DB) MyRooms(ctx context.Context, userID events.UserID, req PageRequest) (Page[Room], error) {
	user := string(userID)
	part, after, err := decodePartCursor(req.Cursor)
	if err != nil || (part != "" && part != "r") {
		return Page[Room]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
	}
	limit := ClampLimit(req.Limit, 50)
	page := Page[Room]{Items: []Room{}}
	page.Seq, err = db.read(ctx, func(tx readTx) error {
		var err error
		page.Items, err = scanAll(ctx, tx, page.Items, `SELECT r.name, r.last_message_at,
				(SELECT count(*) FROM messages WHERE conv = 'room:' || m.room AND seq > m.read_seq)
			FROM room_members m JOIN rooms r ON r.name = m.room
			WHERE m.user_id = ? AND m.room > ? ORDER BY m.room LIMIT ?`, []any{user, after, limit + 1},
			func(row scanner) (r Room, err error) {
				var unread int
				err = row.Scan(&r.Name, &r.LastMessageAt, &unread)
				r.Member, r.Unread = true, &unread
				return r, err
			})
		return err
	})
	if err != nil {
		return Page[Room]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodePartCursor("r", page.Items[limit-1].Name)
	}
	return page, nil
}

// Member is one member of a room; Online is the caller's to fill in.
type Member struct {
	User   User `json:"user"`
	Online bool `json:"online"`
}

// RoomMembers returns a page of room's members (in the order they
// registered).
func (db *DB) RoomMembers(ctx context.Context, room string, req PageRequest) (Page[Member], error) {
	part, after, err := decodePartCursor(req.Cursor)
	if err != nil || (part != "" && part != "u") {
		return Page[Member]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
	}
	limit := ClampLimit(req.Limit, 50)
	page := Page[Member]{Items: []Member{}}
	page.Seq, err = db.read(ctx, func(tx readTx) error {
		var err error
		page.Items, err = scanAll(ctx, tx, page.Items, `SELECT `+userCols+` FROM room_members m JOIN users u ON u.id = m.user_id
			WHERE m.room = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?`, []any{room, after, limit + 1},
			func(row scanner) (m Member, err error) {
				err = row.Scan(userDest(&m.User)...)
				return m, err
			})
		return err
	})
	if err != nil {
		return Page[Member]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodePartCursor("u", page.Items[limit-1].User.ID)
	}
	return page, nil
}

// conceal empties a hidden message's text: what everyone but a moderator
// sees in its place.
func (m *Message) conceal() {
	if m.Hidden {
		m.Body, m.BodyHTML = "", ""
	}
}

// MessageRevealed is MessageByID for a moderator: a hidden message's text too.
func (db *DB) MessageRevealed(ctx context.Context, messageID events.MessageID) (Message, error) {
	id := string(messageID)
	return one(ctx, db, "message", `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.id = ?`, anonymous("", scanMessageRaw, messageMine), "", id)
}
