package projections

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"forum/events"
)

// User is a user as others see it; the private fields are filled only for
// the user themself.
type User struct {
	ID        string `json:"id"`
	Nickname  string `json:"nickname"`
	CreatedAt string `json:"created_at"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Age       int    `json:"age,omitempty"`
	Gender    string `json:"gender,omitempty"`
}

// Category is a category with its number of (undeleted) posts.
type Category struct {
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	PostCount int    `json:"post_count"`
}

// Post is a post as the reader Viewer sees it (MyVote is theirs).
type Post struct {
	ID           string   `json:"id"`
	Seq          uint64   `json:"seq"`
	Author       User     `json:"author"`
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	Categories   []string `json:"categories"`
	CreatedAt    string   `json:"created_at"`
	EditedAt     *string  `json:"edited_at"`
	Deleted      bool     `json:"deleted"`
	Likes        int      `json:"likes"`
	Dislikes     int      `json:"dislikes"`
	CommentCount int      `json:"comment_count"`
	MyVote       int      `json:"my_vote"`
}

// Comment is a comment as a reader sees it.
type Comment struct {
	ID        string  `json:"id"`
	Seq       uint64  `json:"seq"`
	PostID    string  `json:"post_id"`
	Author    User    `json:"author"`
	Body      string  `json:"body"`
	CreatedAt string  `json:"created_at"`
	EditedAt  *string `json:"edited_at"`
	Deleted   bool    `json:"deleted"`
	Likes     int     `json:"likes"`
	Dislikes  int     `json:"dislikes"`
	MyVote    int     `json:"my_vote"`
}

// Votes are the counts on a post or comment and the reader's own vote.
type Votes struct {
	Likes    int `json:"likes"`
	Dislikes int `json:"dislikes"`
	MyVote   int `json:"my_vote"`
}

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

// Session is a signed-in session found by its token hash.
type Session struct {
	ID        string
	UserID    string
	ExpiresAt string
}

// Page is one page of a list: Next is the cursor of the following page (nil
// on the last), Seq the stream sequence the read models were at when it was read.
type Page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
	Seq   uint64  `json:"seq"`
}

// Limits of list pages.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Cursors are opaque to clients: base64 of the stream sequence of the last
// item returned. Keyset paging on it never repeats or skips an item.
func encodeCursor(seq uint64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(seq, 10)))
	return &s
}

// decodeCursor returns the sequence in cursor c ("" = from the start: 0).
func decodeCursor(c string) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		// ParseInt: SQLite integers are signed 64-bit, so a larger sequence
		// cannot be a bound and must not reach the driver.
		if seq, perr := strconv.ParseInt(string(b), 10, 64); perr == nil && seq > 0 {
			return uint64(seq), nil
		}
	}
	return 0, events.FieldError(events.EINVALID, "cursor", "cursor is not one this server gave out")
}

// ClampLimit returns limit bounded to 1..MaxLimit, def when it is 0.
func ClampLimit(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, MaxLimit)
}

// read runs fn in one read transaction, a consistent snapshot, and returns
// the checkpoint that snapshot was built at.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) (uint64, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	seq, _ := strconv.ParseUint(v, 10, 64)
	if err := fn(tx); err != nil {
		return 0, err
	}
	return seq, nil
}

func notFound(what string) error { return events.Errorf(events.ENOTFOUND, "%s not found", what) }

const userCols = `u.id, u.nickname, u.created_at`

// User returns a user's public fields, ENOTFOUND if there is no such user.
func (db *DB) User(ctx context.Context, id string) (User, error) {
	var u User
	err := db.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = ?`, id).Scan(&u.ID, &u.Nickname, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("user")
	}
	return u, err
}

// Account returns a user with their private fields, for themself.
func (db *DB) Account(ctx context.Context, id string) (User, error) {
	var u User
	err := db.r.QueryRowContext(ctx, `SELECT `+userCols+`, email, first_name, last_name, age, gender FROM users u WHERE u.id = ?`, id).
		Scan(&u.ID, &u.Nickname, &u.CreatedAt, &u.Email, &u.FirstName, &u.LastName, &u.Age, &u.Gender)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("user")
	}
	return u, err
}

// Profile returns a user's public fields and their post and comment counts.
func (db *DB) Profile(ctx context.Context, id string) (u User, posts, comments int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT `+userCols+`, post_count, comment_count FROM users u WHERE u.id = ?`, id).
		Scan(&u.ID, &u.Nickname, &u.CreatedAt, &posts, &comments)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, 0, 0, notFound("user")
	}
	return u, posts, comments, err
}

// Credentials returns the id and password hash of the user whose nickname or
// email is login (ignoring case), ENOTFOUND if none.
func (db *DB) Credentials(ctx context.Context, login string) (id, hash string, err error) {
	key := strings.ToLower(login)
	err = db.r.QueryRowContext(ctx, credentialsQuery(key), key).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound("user")
	}
	return id, hash, err
}

// credentialsQuery is the SQL of Credentials for the lowercased login key.
func credentialsQuery(key string) string {
	col := "nickname_key"
	if strings.Contains(key, "@") {
		col = "email_key"
	}
	return `SELECT id, password_hash FROM users WHERE ` + col + ` = ? ORDER BY seq LIMIT 1`
}

const sessionByTokenHashQuery = `SELECT id, user_id, expires_at FROM sessions WHERE token_hash = ? AND ended = 0`

// SessionByTokenHash returns the live (not ended) session with that token
// hash, ENOTFOUND if none. Expiry is the caller's to check.
func (db *DB) SessionByTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	var s Session
	err := db.r.QueryRowContext(ctx, sessionByTokenHashQuery, tokenHash).
		Scan(&s.ID, &s.UserID, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, notFound("session")
	}
	return s, err
}

const categoriesQuery = `SELECT slug, name, post_count FROM categories ORDER BY position, slug`

// Categories returns every category in its configured order.
func (db *DB) Categories(ctx context.Context) (Page[Category], error) {
	page := Page[Category]{Items: []Category{}}
	seq, err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, categoriesQuery)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Category
			if err := rows.Scan(&c.Slug, &c.Name, &c.PostCount); err != nil {
				return err
			}
			page.Items = append(page.Items, c)
		}
		return rows.Err()
	})
	page.Seq = seq
	return page, err
}

// MissingCategory returns the first of slugs that names no category, "" if all do.
func (db *DB) MissingCategory(ctx context.Context, slugs []string) (string, error) {
	for _, s := range slugs {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM categories WHERE slug = ?`, s).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return s, nil
		}
	}
	return "", nil
}

// PostFilter selects posts for the feed. Viewer is the reader (for my_vote).
type PostFilter struct {
	Category   string
	Author     string
	LikedBy    string
	DislikedBy string
	Viewer     string
	Limit      int
	Cursor     string
}

const postCols = `p.id, p.seq, p.title, p.body, p.categories, p.created_at, p.edited_at, p.deleted, p.likes, p.dislikes, p.comment_count,
	u.id, u.nickname, u.created_at, COALESCE(mv.value, 0)`

const postJoins = ` JOIN users u ON u.id = p.author_id
	LEFT JOIN votes mv ON mv.kind = 'post' AND mv.target_id = p.id AND mv.user_id = ?`

func scanPost(rows interface{ Scan(...any) error }) (Post, error) {
	var p Post
	var cats string
	err := rows.Scan(&p.ID, &p.Seq, &p.Title, &p.Body, &cats, &p.CreatedAt, &p.EditedAt, &p.Deleted, &p.Likes, &p.Dislikes, &p.CommentCount,
		&p.Author.ID, &p.Author.Nickname, &p.Author.CreatedAt, &p.MyVote)
	if err == nil {
		err = json.Unmarshal([]byte(cats), &p.Categories)
	}
	return p, err
}

// postsQuery returns the SQL and arguments of Posts for f, and the page
// size (the query asks for one more row, to know whether a next page exists).
// Every filter is served by an index: the most selective drives the scan.
func postsQuery(f PostFilter) (query string, args []any, limit int, err error) {
	limit = ClampLimit(f.Limit, DefaultLimit)
	before, err := decodeCursor(f.Cursor)
	if err != nil {
		return "", nil, 0, err
	}
	if before == 0 {
		before = 1<<63 - 1
	}
	var from, key string
	var where []string
	args = []any{f.Viewer}
	switch {
	case f.LikedBy != "" || f.DislikedBy != "":
		voter, value := f.LikedBy, 1
		if voter == "" {
			voter, value = f.DislikedBy, -1
		}
		from, key = ` FROM votes v JOIN posts p ON p.id = v.target_id`, "v.target_seq"
		where = append(where, "v.user_id = ?", "v.kind = 'post'", "v.value = ?")
		args = append(args, voter, value)
	case f.Category != "":
		from, key = ` FROM post_categories pc JOIN posts p ON p.id = pc.post_id`, "pc.post_seq"
		where = append(where, "pc.slug = ?")
		args = append(args, f.Category)
	default:
		from, key = ` FROM posts p`, "p.seq"
	}
	if f.LikedBy != "" && f.DislikedBy != "" {
		// Liked by one reader and disliked by another (by the same one: none).
		where = append(where, "EXISTS (SELECT 1 FROM votes v2 WHERE v2.kind = 'post' AND v2.target_id = p.id AND v2.user_id = ? AND v2.value = -1)")
		args = append(args, f.DislikedBy)
	}
	if f.Category != "" && key != "pc.post_seq" {
		where = append(where, "EXISTS (SELECT 1 FROM post_categories c2 WHERE c2.post_id = p.id AND c2.slug = ?)")
		args = append(args, f.Category)
	}
	if f.Author != "" {
		where = append(where, "p.author_id = ?")
		args = append(args, f.Author)
	}
	where = append(where, "p.deleted = 0", key+" < ?")
	args = append(args, before, limit+1)
	query = `SELECT ` + postCols + from + postJoins + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + key + ` DESC LIMIT ?`
	if f.Author != "" && key == "p.seq" {
		query = strings.Replace(query, " FROM posts p", " FROM posts p INDEXED BY posts_author_seq", 1)
	}
	return query, args, limit, nil
}

// Posts returns a page of undeleted posts, newest first, matching f
// (every filter at once), and the stream sequence it was read at.
func (db *DB) Posts(ctx context.Context, f PostFilter) (Page[Post], error) {
	query, args, limit, err := postsQuery(f)
	if err != nil {
		return Page[Post]{}, err
	}
	page := Page[Post]{Items: []Post{}}
	page.Seq, err = db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("posts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPost(rows)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, p)
		}
		return rows.Err()
	})
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(page.Items[limit-1].Seq)
	}
	return page, err
}

const postQuery = `SELECT ` + postCols + ` FROM posts p` + postJoins + ` WHERE p.id = ?`

// Post returns one post (deleted ones too, shown as removed), ENOTFOUND if none.
func (db *DB) Post(ctx context.Context, id, viewer string) (Post, error) {
	p, err := scanPost(db.r.QueryRowContext(ctx, postQuery, viewer, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Post{}, notFound("post")
	}
	return p, err
}

const commentCols = `c.id, c.seq, c.post_id, c.body, c.created_at, c.edited_at, c.deleted, c.likes, c.dislikes,
	u.id, u.nickname, u.created_at, COALESCE(mv.value, 0)`

const commentJoins = ` JOIN users u ON u.id = c.author_id
	LEFT JOIN votes mv ON mv.kind = 'comment' AND mv.target_id = c.id AND mv.user_id = ?`

func scanComment(row interface{ Scan(...any) error }) (Comment, error) {
	var c Comment
	err := row.Scan(&c.ID, &c.Seq, &c.PostID, &c.Body, &c.CreatedAt, &c.EditedAt, &c.Deleted, &c.Likes, &c.Dislikes,
		&c.Author.ID, &c.Author.Nickname, &c.Author.CreatedAt, &c.MyVote)
	return c, err
}

const (
	postExistsQuery = `SELECT count(*) FROM posts WHERE id = ?`
	commentsQuery   = `SELECT ` + commentCols + ` FROM comments c` + commentJoins + `
			WHERE c.post_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`
	commentQuery = `SELECT ` + commentCols + ` FROM comments c` + commentJoins + ` WHERE c.id = ?`
)

// Comments returns a page of a post's comments, oldest first (deleted ones
// stay in place, shown as removed). ENOTFOUND if the post does not exist.
func (db *DB) Comments(ctx context.Context, postID, viewer string, limit int, cursor string) (Page[Comment], error) {
	limit = ClampLimit(limit, DefaultLimit)
	after, err := decodeCursor(cursor)
	if err != nil {
		return Page[Comment]{}, err
	}
	page := Page[Comment]{Items: []Comment{}}
	page.Seq, err = db.read(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, postExistsQuery, postID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("post")
		}
		rows, err := tx.QueryContext(ctx, commentsQuery, viewer, postID, after, limit+1)
		if err != nil {
			return fmt.Errorf("comments: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanComment(rows)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, c)
		}
		return rows.Err()
	})
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(page.Items[limit-1].Seq)
	}
	return page, err
}

// Comment returns one comment, ENOTFOUND if none.
func (db *DB) Comment(ctx context.Context, id, viewer string) (Comment, error) {
	c, err := scanComment(db.r.QueryRowContext(ctx, commentQuery, viewer, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Comment{}, notFound("comment")
	}
	return c, err
}

// votesQuery is the SQL of Votes for kind "post" or "comment".
func votesQuery(kind string) string {
	table := "posts"
	if kind == "comment" {
		table = "comments"
	}
	return `SELECT t.likes, t.dislikes, COALESCE(mv.value, 0) FROM ` + table + ` t
		LEFT JOIN votes mv ON mv.kind = ? AND mv.target_id = t.id AND mv.user_id = ? WHERE t.id = ?`
}

// Votes returns the counts on a post or comment ("post" or "comment") and
// viewer's own vote, ENOTFOUND if there is no such target.
func (db *DB) Votes(ctx context.Context, kind, id, viewer string) (Votes, error) {
	var v Votes
	err := db.r.QueryRowContext(ctx, votesQuery(kind), kind, viewer, id).
		Scan(&v.Likes, &v.Dislikes, &v.MyVote)
	if errors.Is(err, sql.ErrNoRows) {
		return Votes{}, notFound(kind)
	}
	return v, err
}

const messageCols = `m.id, m.seq, m.room, m.body, m.created_at, f.id, f.nickname, f.created_at, t.id, t.nickname, t.created_at`

const messageJoins = ` JOIN users f ON f.id = m.from_id LEFT JOIN users t ON t.id = m.to_id`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
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
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, notFound("message")
	}
	return m, err
}

// MessageByID returns a message, ENOTFOUND if none.
func (db *DB) MessageByID(ctx context.Context, id string) (Message, error) {
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages m`+messageJoins+` WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, notFound("message")
	}
	return m, err
}

// DirectMessages returns a page of the conversation between two users,
// newest first, paging back in time.
func (db *DB) DirectMessages(ctx context.Context, a, b string, limit int, cursor string) (Page[Message], error) {
	return db.messages(ctx, "dm:"+events.PairKey(a, b), ClampLimit(limit, 10), cursor)
}

// RoomMessages returns a page of a room's messages, newest first.
func (db *DB) RoomMessages(ctx context.Context, room string, limit int, cursor string) (Page[Message], error) {
	return db.messages(ctx, "room:"+room, ClampLimit(limit, 50), cursor)
}

const messagesQuery = `SELECT ` + messageCols + ` FROM messages m` + messageJoins + `
			WHERE m.conv = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`

func (db *DB) messages(ctx context.Context, conv string, limit int, cursor string) (Page[Message], error) {
	before, err := decodeCursor(cursor)
	if err != nil {
		return Page[Message]{}, err
	}
	if before == 0 {
		before = 1<<63 - 1
	}
	page := Page[Message]{Items: []Message{}}
	page.Seq, err = db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, messagesQuery, conv, before, limit+1)
		if err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, m)
		}
		return rows.Err()
	})
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(page.Items[limit-1].Seq)
	}
	return page, err
}

// contactsQuery lists every user, so it scans users by design.
const contactsQuery = `SELECT ` + userCols + `, c.last_message_at, COALESCE(c.unread, 0)
			FROM users u LEFT JOIN conversations c ON c.user_id = ?1 AND c.peer_id = u.id
			WHERE u.id != ?1
			ORDER BY c.last_seq IS NULL, c.last_seq DESC, u.nickname_key, u.id`

// Contacts returns every user but me: those I have messages with first, by
// last message (newest first), then the rest by nickname. Online is left false.
func (db *DB) Contacts(ctx context.Context, me string) (Page[Contact], error) {
	page := Page[Contact]{Items: []Contact{}}
	seq, err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, contactsQuery, me)
		if err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c Contact
			if err := rows.Scan(&c.User.ID, &c.User.Nickname, &c.User.CreatedAt, &c.LastMessageAt, &c.Unread); err != nil {
				return err
			}
			page.Items = append(page.Items, c)
		}
		return rows.Err()
	})
	page.Seq = seq
	return page, err
}

const roomsQuery = `SELECT name, last_message_at FROM rooms ORDER BY last_message_at IS NULL, last_message_at DESC, name`

// Rooms returns every room: those with messages first by the last one, then
// by name. Online is left 0.
func (db *DB) Rooms(ctx context.Context) (Page[Room], error) {
	page := Page[Room]{Items: []Room{}}
	seq, err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, roomsQuery)
		if err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r Room
			if err := rows.Scan(&r.Name, &r.LastMessageAt); err != nil {
				return err
			}
			page.Items = append(page.Items, r)
		}
		return rows.Err()
	})
	page.Seq = seq
	return page, err
}

// DMSeq returns the stream sequence of a direct message in the conversation
// of a and b, ENOTFOUND if it is not one of theirs.
func (db *DB) DMSeq(ctx context.Context, messageID, a, b string) (uint64, error) {
	var seq uint64
	err := db.r.QueryRowContext(ctx, `SELECT seq FROM messages WHERE id = ? AND conv = ?`, messageID, "dm:"+events.PairKey(a, b)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("message")
	}
	return seq, err
}
