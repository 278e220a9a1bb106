package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"forum/events"
)

// timeFormat is how times are stored: fixed width, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// applier applies events inside one transaction. Each statement is prepared
// once per transaction (a batch of up to maxBatch events) and reused.
type applier struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// stmt returns the transaction's prepared statement for query, preparing it
// on first use.
func (a *applier) stmt(query string) (*sql.Stmt, error) {
	st, ok := a.stmts[query]
	if !ok {
		var err error
		if st, err = a.tx.PrepareContext(a.ctx, query); err != nil {
			return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
		}
		a.stmts[query] = st
	}
	return st, nil
}

func (a *applier) exec(query string, args ...any) (sql.Result, error) {
	st, err := a.stmt(query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(a.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("exec %q: %w", firstLine(query), err)
	}
	return res, nil
}

// scanRow runs a one-row query and scans it into dest; sql.ErrNoRows when
// there is no row.
func (a *applier) scanRow(query string, args []any, dest ...any) error {
	st, err := a.stmt(query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(a.ctx, args...).Scan(dest...)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// apply folds one event into the read models. Apply functions are pure: all
// they use is the event. A payload that does not decode is skipped (it would
// fail the same way on every replay); a database error is returned.
func (a *applier) apply(ev events.Event) error {
	var err error
	switch ev.Type {
	case events.CategoryCreated:
		err = decodeThen(ev, func(d events.CategoryCreatedData) error {
			_, err := a.exec(`INSERT OR IGNORE INTO categories(slug, name, position) VALUES (?, ?, ?)`, d.Slug, d.Name, d.Position)
			return err
		})
	case events.UserRegistered:
		err = decodeThen(ev, func(d events.UserRegisteredData) error {
			_, err := a.exec(`INSERT OR IGNORE INTO users(id, seq, nickname, nickname_key, email, email_key, password_hash, first_name, last_name, age, gender, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.UserID, ev.Seq, d.Nickname, strings.ToLower(d.Nickname), d.Email, strings.ToLower(d.Email), d.PasswordHash,
				d.FirstName, d.LastName, d.Age, d.Gender, fmtTime(ev.Time))
			return err
		})
	case events.SessionStarted:
		err = decodeThen(ev, func(d events.SessionStartedData) error {
			_, err := a.exec(`INSERT OR IGNORE INTO sessions(id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
				d.SessionID, d.UserID, d.TokenHash, fmtTime(ev.Time), fmtTime(d.ExpiresAt))
			return err
		})
	case events.SessionEnded:
		err = decodeThen(ev, func(d events.SessionEndedData) error {
			_, err := a.exec(`UPDATE sessions SET ended = 1 WHERE id = ?`, d.SessionID)
			return err
		})
	case events.PostCreated:
		err = decodeThen(ev, func(d events.PostCreatedData) error { return a.postCreated(ev, d) })
	case events.PostEdited:
		err = decodeThen(ev, func(d events.PostEditedData) error { return a.postEdited(ev, d) })
	case events.PostDeleted:
		err = decodeThen(ev, func(d events.PostDeletedData) error { return a.postDeleted(d) })
	case events.CommentCreated:
		err = decodeThen(ev, func(d events.CommentCreatedData) error { return a.commentCreated(ev, d) })
	case events.CommentEdited:
		err = decodeThen(ev, func(d events.CommentEditedData) error {
			_, err := a.exec(`UPDATE comments SET body = ?, edited_at = ? WHERE id = ? AND deleted = 0`, d.Body, fmtTime(ev.Time), d.CommentID)
			return err
		})
	case events.CommentDeleted:
		err = decodeThen(ev, func(d events.CommentDeletedData) error { return a.commentDeleted(d) })
	case events.PostVoted:
		err = decodeThen(ev, func(d events.VotedData) error { return a.voted("post", "posts", d) })
	case events.CommentVoted:
		err = decodeThen(ev, func(d events.VotedData) error { return a.voted("comment", "comments", d) })
	case events.DMSent:
		err = decodeThen(ev, func(d events.DMSentData) error { return a.dmSent(ev, d) })
	case events.DMRead:
		err = decodeThen(ev, func(d events.DMReadData) error { return a.dmRead(d) })
	case events.RoomCreated:
		err = decodeThen(ev, func(d events.RoomCreatedData) error {
			_, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, fmtTime(ev.Time))
			return err
		})
	case events.RoomMessageSent:
		err = decodeThen(ev, func(d events.RoomMessageData) error { return a.roomMessage(ev, d) })
	}
	return err
}

// errSkip marks an event whose payload does not decode.
type errSkip struct{ err error }

func (e errSkip) Error() string { return "skip: " + e.err.Error() }

func decodeThen[T any](ev events.Event, fn func(T) error) error {
	var d T
	if err := ev.Payload(&d); err != nil {
		return errSkip{err}
	}
	return fn(d)
}

func (a *applier) postCreated(ev events.Event, d events.PostCreatedData) error {
	cats, _ := json.Marshal(d.Categories)
	res, err := a.exec(`INSERT OR IGNORE INTO posts(id, seq, author_id, title, body, categories, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.PostID, ev.Seq, d.AuthorID, d.Title, d.Body, string(cats), fmtTime(ev.Time))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := a.linkCategories(d.PostID, ev.Seq, d.Categories, 1); err != nil {
		return err
	}
	_, err = a.exec(`UPDATE users SET post_count = post_count + 1 WHERE id = ?`, d.AuthorID)
	return err
}

// linkCategories adds (delta 1) or removes (delta -1) a post's category rows
// and moves the categories' post counts with them.
func (a *applier) linkCategories(postID string, postSeq uint64, slugs []string, delta int) error {
	for _, slug := range slugs {
		var res sql.Result
		var err error
		if delta > 0 {
			res, err = a.exec(`INSERT OR IGNORE INTO post_categories(slug, post_seq, post_id) VALUES (?, ?, ?)`, slug, postSeq, postID)
		} else {
			res, err = a.exec(`DELETE FROM post_categories WHERE slug = ? AND post_seq = ?`, slug, postSeq)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if _, err := a.exec(`UPDATE categories SET post_count = post_count + ? WHERE slug = ?`, delta, slug); err != nil {
				return err
			}
		}
	}
	return nil
}

// livePost returns the sequence and categories of a post that exists and is
// not deleted; ok is false otherwise.
func (a *applier) livePost(id string) (seq uint64, cats []string, ok bool, err error) {
	var raw string
	err = a.scanRow(`SELECT seq, categories FROM posts WHERE id = ? AND deleted = 0`, []any{id}, &seq, &raw)
	if err == sql.ErrNoRows {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	json.Unmarshal([]byte(raw), &cats)
	return seq, cats, true, nil
}

func (a *applier) postEdited(ev events.Event, d events.PostEditedData) error {
	seq, old, ok, err := a.livePost(d.PostID)
	if err != nil || !ok {
		return err
	}
	cats, _ := json.Marshal(d.Categories)
	if _, err := a.exec(`UPDATE posts SET title = ?, body = ?, categories = ?, edited_at = ? WHERE id = ?`,
		d.Title, d.Body, string(cats), fmtTime(ev.Time), d.PostID); err != nil {
		return err
	}
	if err := a.linkCategories(d.PostID, seq, old, -1); err != nil {
		return err
	}
	return a.linkCategories(d.PostID, seq, d.Categories, 1)
}

func (a *applier) postDeleted(d events.PostDeletedData) error {
	seq, cats, ok, err := a.livePost(d.PostID)
	if err != nil || !ok {
		return err
	}
	if _, err := a.exec(`UPDATE posts SET deleted = 1, title = '', body = '' WHERE id = ?`, d.PostID); err != nil {
		return err
	}
	if _, err := a.exec(`UPDATE users SET post_count = post_count - 1 WHERE id = (SELECT author_id FROM posts WHERE id = ?)`, d.PostID); err != nil {
		return err
	}
	return a.linkCategories(d.PostID, seq, cats, -1)
}

func (a *applier) commentCreated(ev events.Event, d events.CommentCreatedData) error {
	res, err := a.exec(`INSERT OR IGNORE INTO comments(id, seq, post_id, author_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.CommentID, ev.Seq, d.PostID, d.AuthorID, d.Body, fmtTime(ev.Time))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := a.exec(`UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?`, d.PostID); err != nil {
		return err
	}
	_, err = a.exec(`UPDATE users SET comment_count = comment_count + 1 WHERE id = ?`, d.AuthorID)
	return err
}

func (a *applier) commentDeleted(d events.CommentDeletedData) error {
	res, err := a.exec(`UPDATE comments SET deleted = 1, body = '' WHERE id = ? AND deleted = 0`, d.CommentID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := a.exec(`UPDATE posts SET comment_count = comment_count - 1 WHERE id = (SELECT post_id FROM comments WHERE id = ?)`, d.CommentID); err != nil {
		return err
	}
	_, err = a.exec(`UPDATE users SET comment_count = comment_count - 1 WHERE id = (SELECT author_id FROM comments WHERE id = ?)`, d.CommentID)
	return err
}

// voted sets one voter's vote on a post or comment and moves its counts.
func (a *applier) voted(kind, table string, d events.VotedData) error {
	var targetSeq uint64
	err := a.scanRow(`SELECT seq FROM `+table+` WHERE id = ?`, []any{d.TargetID}, &targetSeq)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	old := 0
	err = a.scanRow(`SELECT value FROM votes WHERE kind = ? AND target_id = ? AND user_id = ?`, []any{kind, d.TargetID, d.UserID}, &old)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if old == d.Value {
		return nil
	}
	likes, dislikes := b2i(d.Value == 1)-b2i(old == 1), b2i(d.Value == -1)-b2i(old == -1)
	if _, err := a.exec(`UPDATE `+table+` SET likes = likes + ?, dislikes = dislikes + ? WHERE id = ?`, likes, dislikes, d.TargetID); err != nil {
		return err
	}
	if d.Value == 0 {
		_, err = a.exec(`DELETE FROM votes WHERE kind = ? AND target_id = ? AND user_id = ?`, kind, d.TargetID, d.UserID)
	} else {
		_, err = a.exec(`INSERT INTO votes(kind, target_id, user_id, value, target_seq) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(kind, target_id, user_id) DO UPDATE SET value = excluded.value`, kind, d.TargetID, d.UserID, d.Value, targetSeq)
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *applier) dmSent(ev events.Event, d events.DMSentData) error {
	at := fmtTime(ev.Time)
	res, err := a.exec(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, to_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, "dm:"+events.PairKey(d.From, d.To), d.From, d.To, d.Body, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
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

func (a *applier) dmRead(d events.DMReadData) error {
	_, err := a.exec(`UPDATE conversations SET read_seq = ?1,
		unread = (SELECT count(*) FROM messages WHERE conv = ?2 AND from_id = ?3 AND seq > ?1)
		WHERE user_id = ?4 AND peer_id = ?3 AND read_seq < ?1`,
		d.UpToSeq, "dm:"+events.PairKey(d.UserID, d.PeerID), d.PeerID, d.UserID)
	return err
}

func (a *applier) roomMessage(ev events.Event, d events.RoomMessageData) error {
	at := fmtTime(ev.Time)
	if _, err := a.exec(`INSERT OR IGNORE INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, at); err != nil {
		return err
	}
	res, err := a.exec(`INSERT OR IGNORE INTO messages(seq, id, conv, from_id, room, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, d.MessageID, "room:"+d.Room, d.From, d.Room, d.Body, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = a.exec(`UPDATE rooms SET last_message_at = ?, message_count = message_count + 1 WHERE name = ?`, at, d.Room)
	return err
}
