package projections

import (
	"context"
	"database/sql"

	"forum/events"
)

// Message is a direct message (To set) or a room message (Room set).
type Message struct {
	ID        string  `json:"id"`
	Seq       uint64  `json:"seq"`
	From      User    `json:"from"`
	To        *User   `json:"to"`
	Room      *string `json:"room"`
	Body      string  `json:"body"`
	CreatedAt string  `json:"created_at"`
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
}

// dmConv and roomConv are the conversation keys of the messages table.
func dmConv(a, b string) string   { return "dm:" + events.PairKey(a, b) }
func roomConv(room string) string { return "room:" + room }

func (a *applier) dmSent(ev events.Event, d events.DMSentData) error {
	at := fmtTime(ev.Time)
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, to_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, dmConv(d.From, d.To), d.From, d.To, d.Body, at)
	if err != nil || !inserted {
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
		unread = (SELECT count(*) FROM messages WHERE conv = ?2 AND from_id = ?3 AND seq > ?1)
		WHERE user_id = ?4 AND peer_id = ?3 AND read_seq < ?1`,
		d.UpToSeq, dmConv(d.UserID, d.PeerID), d.PeerID, d.UserID)
	return err
}

func (a *applier) roomCreated(ev events.Event, d events.RoomCreatedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, fmtTime(ev.Time))
	return err
}

func (a *applier) roomMessage(ev events.Event, d events.RoomMessageData) error {
	at := fmtTime(ev.Time)
	if _, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, at); err != nil {
		return err
	}
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, room, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, roomConv(d.Room), d.From, d.Room, d.Body, at)
	if err != nil || !inserted {
		return err
	}
	_, err = a.exec(`UPDATE rooms SET last_message_at = ?, message_count = message_count + 1 WHERE name = ?`, at, d.Room)
	return err
}

const messageCols = `m.id, m.seq, m.room, m.body, m.created_at, f.id, f.nickname, f.created_at, t.id, t.nickname, t.created_at`

const messageJoins = ` JOIN users f ON f.id = m.from_id LEFT JOIN users t ON t.id = m.to_id`

func scanMessage(row scanner) (Message, error) {
	var m Message
	var toID, toNick, toAt sql.NullString
	err := row.Scan(&m.ID, &m.Seq, &m.Room, &m.Body, &m.CreatedAt, &m.From.ID, &m.From.Nickname, &m.From.CreatedAt, &toID, &toNick, &toAt)
	if toID.Valid {
		m.To = &User{ID: toID.String, Nickname: toNick.String, CreatedAt: toAt.String}
	}
	return m, err
}

// MessageBySeq returns the message stored by the event at seq, ENOTFOUND if none.
func (db *DB) MessageBySeq(ctx context.Context, seq uint64) (Message, error) {
	return one(ctx, db, "message", `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.seq = ?`, scanMessage, seq)
}

// MessageByID returns a message, ENOTFOUND if none.
func (db *DB) MessageByID(ctx context.Context, id string) (Message, error) {
	return one(ctx, db, "message", `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.id = ?`, scanMessage, id)
}

// DirectMessages returns a page of the conversation between two users,
// newest first, paging back in time (10 a page by default).
func (db *DB) DirectMessages(ctx context.Context, a, b string, pr PageRequest) (Page[Message], error) {
	return db.messages(ctx, dmConv(a, b), ClampLimit(pr.Limit, 10), pr.Cursor)
}

// RoomMessages returns a page of a room's messages, newest first (50 a page
// by default).
func (db *DB) RoomMessages(ctx context.Context, room string, pr PageRequest) (Page[Message], error) {
	return db.messages(ctx, roomConv(room), ClampLimit(pr.Limit, 50), pr.Cursor)
}

const messagesQuery = `SELECT ` + messageCols + ` FROM messages m` + messageJoins + `
			WHERE m.conv = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`

func (db *DB) messages(ctx context.Context, conv string, limit int, cursor string) (Page[Message], error) {
	before, err := decodeBefore(cursor)
	if err != nil {
		return Page[Message]{}, err
	}
	return readList(ctx, db, list[Message]{
		query: messagesQuery, args: []any{conv, before}, limit: limit,
		scan: scanMessage, key: func(m Message) uint64 { return m.Seq },
	})
}

// contactsQuery lists every user, so it scans users by design.
const contactsQuery = `SELECT ` + userCols + `, c.last_message_at, COALESCE(c.unread, 0)
			FROM users u LEFT JOIN conversations c ON c.user_id = ?1 AND c.peer_id = u.id
			WHERE u.id != ?1
			ORDER BY c.last_seq IS NULL, c.last_seq DESC, u.nickname_key, u.id`

// Contacts returns every user but me: those I have messages with first, by
// last message (newest first), then the rest by nickname. Online is left false.
func (db *DB) Contacts(ctx context.Context, me string) (Page[Contact], error) {
	return readList(ctx, db, list[Contact]{
		query: contactsQuery, args: []any{me},
		scan: func(row scanner) (c Contact, err error) {
			err = row.Scan(&c.User.ID, &c.User.Nickname, &c.User.CreatedAt, &c.LastMessageAt, &c.Unread)
			return c, err
		},
	})
}

const roomsQuery = `SELECT name, last_message_at FROM rooms ORDER BY last_message_at IS NULL, last_message_at DESC, name`

// Rooms returns every room: those with messages first by the last one, then
// by name. Online is left 0.
func (db *DB) Rooms(ctx context.Context) (Page[Room], error) {
	return readList(ctx, db, list[Room]{
		query: roomsQuery,
		scan: func(row scanner) (r Room, err error) {
			err = row.Scan(&r.Name, &r.LastMessageAt)
			return r, err
		},
	})
}

// DMSeq returns the stream sequence of a direct message in the conversation
// of a and b, ENOTFOUND if it is not one of theirs.
func (db *DB) DMSeq(ctx context.Context, messageID, a, b string) (uint64, error) {
	return one(ctx, db, "message", `SELECT seq FROM messages WHERE id = ? AND conv = ?`, func(row scanner) (seq uint64, err error) {
		err = row.Scan(&seq)
		return seq, err
	}, messageID, dmConv(a, b))
}
