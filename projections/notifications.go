package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"forum/events"

	"github.com/microcosm-cc/bluemonday"
)

// Notification tells a user of a mention of them (in a post, comment or
// room message), of a comment on their post (a reply) or on a post they
// watch (a comment), or of a new post in a category they watch (a topic).
// Its id is the stream sequence of the event that made it.
type Notification struct {
	ID        string  `json:"id"`
	Seq       uint64  `json:"seq"`
	Kind      string  `json:"kind"` // mention, reply, comment or topic
	Actor     User    `json:"actor"`
	PostID    *string `json:"post_id,omitempty"`
	CommentID *string `json:"comment_id,omitempty"`
	Room      *string `json:"room,omitempty"`
	MessageID *string `json:"message_id,omitempty"`
	Excerpt   string  `json:"excerpt"`
	CreatedAt string  `json:"created_at"`
	Read      bool    `json:"read"`
}

// Notification kinds.
const (
	KindMention = "mention"
	KindReply   = "reply"
)

// mentionRE finds @nickname: an @ at the start or after a character that
// cannot be in a nickname, then a nickname's characters.
var mentionRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,24})`)

// maxMentions bounds the users one body can notify.
const maxMentions = 20

// Mentions returns the distinct nicknames body mentions, lowercased, in
// order of first mention, at most maxMentions. A nickname followed by
// sentence punctuation ("@ada.") is also tried without it.
func Mentions(body string) []string {
	if !strings.Contains(body, "@") {
		return nil
	}
	var out []string
	for _, m := range mentionRE.FindAllStringSubmatch(body, -1) {
		nick := strings.ToLower(m[1])
		if !slices.Contains(out, nick) {
			out = append(out, nick)
		}
		if len(out) == maxMentions {
			break
		}
	}
	return out
}

// excerptSource is how much of a body its excerpt is read from: enough for
// 140 characters of text under a good deal of Markdown, and a bound on the
// rendering each notifying event pays.
const excerptSource = 2000

// plainText is the text of rendered HTML: its tags gone, its entities read.
var plainText = bluemonday.StrictPolicy()

// excerpt is the first words of body as it reads, on one line: what a
// notification shows. Its Markdown is rendered and only the text is kept, so
// a quote's link or a list's marks do not show as typed.
func excerpt(body string) string {
	if len(body) > excerptSource {
		cut := excerptSource
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	text := html.UnescapeString(plainText.Sanitize(RenderMarkdown(body)))
	line := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(line) <= 140 {
		return line
	}
	r := []rune(line)
	return string(r[:139]) + "…"
}

// notice is one notification an event makes, before it is written.
type notice struct {
	kind                           string
	actor                          string
	postID, commentID, room, msgID string
	body                           string
}

// notify writes the notifications of the event at seq: a reply to the
// first of replyTo (the author of the comment answered), then one per
// mentioned user, then a reply to each other of replyTo (the post's
// author), never to the actor and one per user and event.
// Nobody is told of what a user they block did. Only a type registered as
// one that notifies (handlers.go) may: the hub pushes the notifications of
// those types alone.
func (a *applier) notify(ev events.Event, n notice, replyTo ...string) error {
	if !a.notifying {
		return fmt.Errorf("notify: %s is registered as notifying nobody", ev.Type)
	}
	told := []string{n.actor}
	if len(replyTo) > 0 && replyTo[0] != "" && !slices.Contains(told, replyTo[0]) {
		told = append(told, replyTo[0])
		if err := a.addNotification(ev, replyTo[0], KindReply, n); err != nil {
			return err
		}
	}
	for _, nick := range Mentions(n.body) {
		id, err := a.userByNickname(nick)
		if err == nil && id == "" && strings.TrimRight(nick, ".-") != nick {
			id, err = a.userByNickname(strings.TrimRight(nick, ".-"))
		}
		if err != nil {
			return err
		}
		if id == "" || slices.Contains(told, id) {
			continue
		}
		told = append(told, id)
		if err := a.addNotification(ev, id, KindMention, n); err != nil {
			return err
		}
	}
	for _, user := range replyTo {
		if user == "" || slices.Contains(told, user) {
			continue
		}
		told = append(told, user)
		if err := a.addNotification(ev, user, KindReply, n); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) userByNickname(key string) (string, error) {
	var id string
	err := a.scanRow(`SELECT id FROM users WHERE nickname_key = ? ORDER BY seq LIMIT 1`, []any{key}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// addNotification tells user of the event, unless user blocks its actor or
// mutes the post it is about (muted means told of nothing, mentions and
// replies too). Watchers (kinds comment and topic) are chosen unmuted.
func (a *applier) addNotification(ev events.Event, user, kind string, n notice) error {
	if blocked, err := a.blocks(user, n.actor); err != nil || blocked {
		return err
	}
	if n.postID != "" && kind != KindComment && kind != KindTopic {
		if muted, err := a.mutes(user, n.postID); err != nil || muted {
			return err
		}
	}
	_, err := a.exec(`INSERT OR IGNORE INTO notifications(seq, user_id, kind, actor_id, post_id, comment_id, room, message_id, excerpt, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, user, kind, n.actor, nullable(n.postID), nullable(n.commentID), nullable(n.room), nullable(n.msgID), a.excerpt(n.body), FormatTime(ev.Time))
	return err
}

// blocks reports whether user blocks other.
func (a *applier) blocks(user, other string) (bool, error) {
	var n int
	err := a.scanRow(`SELECT count(*) FROM blocks WHERE user_id = ? AND blocked_id = ?`, []any{user, other}, &n)
	return n > 0, err
}

// forgetNotifications removes the notifications made by the event at seq (what they
// point at is gone).
func (a *applier) forgetNotifications(seq uint64) error {
	_, err := a.exec(`DELETE FROM notifications WHERE seq = ?`, seq)
	return err
}

// forgetNotificationsFrom removes user's notifications of what other did:
// user blocks them now.
func (a *applier) forgetNotificationsFrom(user, other string) error {
	_, err := a.exec(`DELETE FROM notifications WHERE user_id = ? AND actor_id = ?`, user, other)
	return err
}

// renotice rewrites the excerpt of the notifications made by the event at
// seq to the text as it now is: an edit leaves none of the old text there.
func (a *applier) renotice(seq uint64, body string) error {
	_, err := a.exec(`UPDATE notifications SET excerpt = ? WHERE seq = ?`, a.excerpt(body), seq)
	return err
}

// excerpt is excerpt(body), rendered once for the many notifications of one
// event.
func (a *applier) excerpt(body string) string {
	if a.lastExcerpt[0] != body {
		a.lastExcerpt = [2]string{body, excerpt(body)}
	}
	return a.lastExcerpt[1]
}

func (a *applier) notificationsRead(_ events.Event, d events.NotificationsReadData) error {
	_, err := a.exec(`UPDATE users SET notifications_read = ?1 WHERE id = ?2 AND notifications_read < ?1`, d.UpToSeq, d.UserID)
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const notificationCols = `n.seq, n.kind, n.post_id, n.comment_id, n.room, n.message_id, n.excerpt, n.created_at,
	n.seq <= (SELECT notifications_read FROM users WHERE id = n.user_id), u.id, u.nickname, u.created_at, u.role, u.avatar`

func scanNotification(row scanner) (Notification, error) {
	var n Notification
	err := row.Scan(notificationDest(&n)...)
	n.ID = strconv.FormatUint(n.Seq, 10)
	return n, err
}

// Notifications returns a page of user's notifications, newest first.
func (db *DB) Notifications(ctx context.Context, userID events.UserID, req PageRequest) (Page[Notification], error) {
	user := string(userID)
	before, err := decodeBefore(req.Cursor)
	if err != nil {
		return Page[Notification]{}, err
	}
	return readList(ctx, db, list[Notification]{
		query: `SELECT ` + notificationCols + ` FROM notifications n JOIN users u ON u.id = n.actor_id
			WHERE n.user_id = ? AND n.seq < ? ORDER BY n.seq DESC LIMIT ?`,
		args:  []any{user, before},
		limit: ClampLimit(req.Limit, DefaultLimit),
		scan:  scanNotification,
		key:   func(n Notification) uint64 { return n.Seq },
	})
}

// NotificationsAt returns every notification the event at seq made, with
// the user each is for.
func (db *DB) NotificationsAt(ctx context.Context, seq uint64) (users []string, notes []Notification, err error) {
	rows, err := db.query(ctx, `SELECT n.user_id, `+notificationCols+` FROM notifications n JOIN users u ON u.id = n.actor_id WHERE n.seq = ?`, seq)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var n Notification
		if err := rows.Scan(append([]any{&user}, notificationDest(&n)...)...); err != nil {
			return nil, nil, err
		}
		n.ID = strconv.FormatUint(n.Seq, 10)
		users, notes = append(users, user), append(notes, n)
	}
	return users, notes, rows.Err()
}

func notificationDest(n *Notification) []any {
	return []any{&n.Seq, &n.Kind, &n.PostID, &n.CommentID, &n.Room, &n.MessageID, &n.Excerpt, &n.CreatedAt, &n.Read,
		&n.Actor.ID, &n.Actor.Nickname, &n.Actor.CreatedAt, &n.Actor.Role, avatarDest{&n.Actor.AvatarURL}}
}

// LastNotificationSeq returns the sequence of user's newest notification at
// or before upTo (0 if none), what "read up to" can mark, and how far they
// have read.
func (db *DB) LastNotificationSeq(ctx context.Context, userID events.UserID, upTo uint64) (seq, read uint64, err error) {
	user := string(userID)
	err = db.queryRow(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM notifications WHERE user_id = ?1 AND seq <= ?2), 0),
		COALESCE((SELECT notifications_read FROM users WHERE id = ?1), 0)`, user, upTo).Scan(&seq, &read)
	return seq, read, err
}

// Unread counts what user has not read: notifications, and direct messages.
type Unread struct {
	Notifications int `json:"notifications"`
	DMs           int `json:"dms"`
}

// UnreadCounts returns user's unread counts.
func (db *DB) UnreadCounts(ctx context.Context, userID events.UserID) (Unread, error) {
	user := string(userID)
	var u Unread
	err := db.queryRow(ctx, `SELECT
		(SELECT count(*) FROM notifications WHERE user_id = ?1 AND seq > (SELECT notifications_read FROM users WHERE id = ?1)),
		(SELECT COALESCE(SUM(unread), 0) FROM conversations WHERE user_id = ?1)`, user).Scan(&u.Notifications, &u.DMs)
	return u, err
}
