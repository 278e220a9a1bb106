package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"forum/events"
	"forum/fault"
)

// postRead records that a reader opened a post and how far they read its
// comments: the first read of a post counts one more view, and a position
// only moves forward. Writing a post or a comment counts as reading the
// post up to it (postCreated, commentCreated): its author's view counts,
// as on Discourse. A read of a post the read models do not hold changes
// nothing.
func (a *applier) postRead(_ events.Event, d events.PostReadData) error {
	post, ok, err := a.postFacts(string(d.PostID))
	if err != nil || !ok {
		return err
	}
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO post_reads(user_id, post_id, post_seq, read_seq) VALUES (?, ?, ?, ?)`,
		d.UserID, d.PostID, post.seq, d.UpToSeq)
	if err != nil {
		return err
	}
	a.reads = append(a.reads, readMove{string(d.UserID), string(d.PostID), d.UpToSeq})
	if inserted {
		a.bump(postViews, string(d.PostID), 1)
		return nil
	}
	_, err = a.exec(`UPDATE post_reads SET read_seq = ? WHERE user_id = ? AND post_id = ? AND read_seq < ?`,
		d.UpToSeq, d.UserID, d.PostID, d.UpToSeq)
	return err
}

// ReadTarget is what a read of post by user up to comment ("" for none) is
// checked against, in one light query: whether the post is shown (there,
// neither hidden nor deleted); the sequence of that comment if it is one of
// the post's (OfPost); and how far user has read the post: the sequence of
// the last comment they read (At, 0 for none), Opened false if they never
// opened it.
type ReadTarget struct {
	Shown, OfPost, Opened bool
	CommentSeq, At        uint64
}

// ReadTargetOf returns the ReadTarget of a read of post by user up to
// comment.
func (db *DB) ReadTargetOf(ctx context.Context, user events.UserID, post events.PostID, comment events.CommentID) (ReadTarget, error) {
	var t ReadTarget
	var seq, at sql.NullInt64
	err := db.queryRow(ctx, `SELECT p.hidden = 0 AND p.deleted = 0,
		(SELECT c.seq FROM comments c WHERE c.id = ?3 AND c.post_id = p.id),
		(SELECT r.read_seq FROM post_reads r WHERE r.user_id = ?1 AND r.post_id = p.id)
		FROM posts p WHERE p.id = ?2`, string(user), string(post), string(comment)).Scan(&t.Shown, &seq, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return ReadTarget{}, nil
	}
	t.CommentSeq, t.OfPost = uint64(seq.Int64), seq.Valid
	t.At, t.Opened = uint64(at.Int64), at.Valid
	return t, err
}

// ReadState is how far a reader has read one post: Read once they opened
// it (their own posts count as read), UnreadComments the comments after
// the last one they read, leaving out their own, those of users they
// block, and hidden and deleted ones (0 for a post never opened), at most
// MaxUnreadComments.
type ReadState struct {
	Read           bool
	UnreadComments int
	// FirstUnread is the id of the first of those comments, nil for none.
	FirstUnread *string
}

// MaxUnreadComments bounds the count of a post's unread comments: a
// thread with more says this many, so a long thread costs a reader's page
// no more than a short one.
const MaxUnreadComments = 100

// unseenWhere holds, for the reader ?1, the comments c of post p after
// sequence r.read_seq that they would see and did not write.
const unseenWhere = `c.post_id = p.id AND c.seq > r.read_seq
		AND c.deleted = 0 AND c.hidden = 0 AND c.author_id != ?1
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ?1 AND b.blocked_id = c.author_id)`

// unseenComments counts those comments, up to MaxUnreadComments.
var unseenComments = `(SELECT count(*) FROM (SELECT 1 FROM comments c WHERE ` + unseenWhere + ` LIMIT ` + strconv.Itoa(MaxUnreadComments) + `))`

// firstUnseen is the first of them, by id.
const firstUnseen = `(SELECT c.id FROM comments c WHERE ` + unseenWhere + ` ORDER BY c.seq LIMIT 1)`

// readStatesQuery reads the read states of the posts of a JSON list of ids
// (?2) for the reader ?1: a post never opened, or hidden, or with no
// comment that shows after the reader's position (its last activity), has
// nothing unread.
var readStatesQuery = `SELECT p.id, r.user_id IS NOT NULL OR p.author_id = ?1,
	CASE WHEN ` + nothingUnread + ` THEN 0 ELSE ` + since(unseenComments) + ` END,
	CASE WHEN ` + nothingUnread + ` THEN NULL ELSE ` + since(firstUnseen) + ` END
	FROM posts p LEFT JOIN post_reads r ON r.user_id = ?1 AND r.post_id = p.id
	WHERE p.id IN (SELECT value FROM json_each(?2))`

// nothingUnread holds for a post p where the reader ?1 has nothing unread
// without looking at its comments.
const nothingUnread = `r.user_id IS NULL AND p.author_id != ?1 OR p.hidden OR p.activity_seq <= max(COALESCE(r.read_seq, 0), p.seq)`

// since reads a query over unseen comments after the position of a reader
// who may never have opened the post (0).
func since(q string) string { return strings.ReplaceAll(q, "r.read_seq", "COALESCE(r.read_seq, 0)") }

// ReadStates returns viewer's ReadState of each of the posts ids (at most
// a page's), by post id; nil for an anonymous viewer.
func (db *DB) ReadStates(ctx context.Context, viewer events.UserID, ids []string) (map[string]ReadState, error) {
	if viewer == "" || len(ids) == 0 {
		return nil, nil
	}
	return db.readStates(ctx, string(viewer), ids)
}

func (db *DB) readStates(ctx context.Context, viewer string, ids []string) (map[string]ReadState, error) {
	if len(ids) > maxMines {
		return nil, fmt.Errorf("read states: %d posts, at most %d", len(ids), maxMines)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, readStatesQuery, viewer, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	states := make(map[string]ReadState, len(ids))
	for rows.Next() {
		var id string
		var st ReadState
		if err := rows.Scan(&id, &st.Read, &st.UnreadComments, &st.FirstUnread); err != nil {
			return nil, err
		}
		states[id] = st
	}
	return states, rows.Err()
}

// Reading lists: which of a reader's lists ReadingFilter asks for.
const (
	// ListUnread is the posts the reader has opened that have comments
	// after the last one they read.
	ListUnread = "unread"
	// ListNew is the posts created since the reader signed up that they
	// have never opened (their own left out).
	ListNew = "new"
)

// ReadingFilter selects a page of one of a signed-in reader's lists (List:
// ListUnread or ListNew), in one Category if set, newest post first.
type ReadingFilter struct {
	List     string
	Viewer   events.UserID
	Category string
	PageRequest
}

// readingScan bounds the rows of a reader's history that one page of their
// lists looks at: a page that finds fewer posts than asked among that many
// still has a next cursor, below the last row looked at, and the list goes
// on from there. A reader who has read everything gets short pages, not
// slow ones.
const readingScan = 1000

// signupSeq is the stream sequence of the reader ?1's sign-up: what they
// have not seen was posted after it.
const signupSeq = `(SELECT seq FROM users WHERE id = ?1)`

// readingQuery is the SQL of a page of a reader's list: window selects the
// keys of the rows it walks below the cursor, newest first (readingScan of
// them bound the page), and query the page itself. Both take ?1 the
// reader, ?2 the cursor's key, ?3 the lowest key the page may reach and ?4
// the category (when f has one); query ends in a LIMIT parameter.
func readingQuery(f ReadingFilter) (window, query string, err error) {
	var from, key string
	var where []string
	switch {
	case f.List == ListUnread:
		from, key = ` FROM post_reads r INDEXED BY post_reads_user_post_seq JOIN posts p ON p.id = r.post_id`, "r.post_seq"
		window = `SELECT post_seq AS k FROM post_reads WHERE user_id = ?1 AND post_seq < ?2 ORDER BY post_seq DESC`
		// The newest comment that shows is after the reader's position
		// (activity_seq, read from the post's row, before the exact look).
		where = []string{"r.user_id = ?1", "p.activity_seq > r.read_seq", "p.activity_seq != p.seq",
			"EXISTS (SELECT 1 FROM comments c WHERE " + unseenWhere + ")"}
		if f.Category != "" {
			where = append(where, "EXISTS (SELECT 1 FROM post_categories c2 WHERE c2.slug = ?4 AND c2.post_seq = p.seq)")
		}
	case f.List == ListNew && f.Category != "":
		// A category's rows hold only posts neither deleted nor hidden.
		from, key = ` FROM post_categories pc JOIN posts p ON p.seq = pc.post_seq`, "pc.post_seq"
		window = `SELECT post_seq AS k FROM post_categories WHERE slug = ?4 AND post_seq < ?2 AND post_seq > ` + signupSeq + ` ORDER BY post_seq DESC`
		where = []string{"pc.slug = ?4"}
	case f.List == ListNew:
		from, key = ` FROM posts p`, "p.seq"
		window = `SELECT seq AS k FROM posts WHERE seq < ?2 AND seq > ` + signupSeq + ` ORDER BY seq DESC`
	default:
		return "", "", fault.FieldError(fault.EINVALID, "filter", `filter must be "unread" or "new"`)
	}
	if f.List == ListNew {
		// Made since the reader signed up (in the same millisecond too), by
		// the times the app compares too; the walk stops at their sign-up in
		// the stream.
		where = append(where, key+" > "+signupSeq, "p.created_at >= (SELECT created_at FROM users WHERE id = ?1)", "p.author_id != ?1",
			"NOT EXISTS (SELECT 1 FROM post_reads r WHERE r.user_id = ?1 AND r.post_id = p.id)")
	}
	where = append(where, "p.deleted = 0", "p.hidden = 0", key+" < ?2", key+" >= ?3",
		"NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ?1 AND b.blocked_id = p.author_id)", notMutedClause("?1", f.Category != ""))
	limit := "?4"
	if f.Category != "" {
		limit = "?5"
	}
	query = `SELECT ` + postCols + from + strings.Replace(postJoins, "mv.user_id = ?", "mv.user_id = ?1", 1) +
		` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + key + ` DESC LIMIT ` + limit
	window = `SELECT count(*), COALESCE(min(k), 0) FROM (` + window + ` LIMIT ` + strconv.Itoa(readingScan) + `)`
	return window, query, nil
}

// ReadingPosts returns a page of the reader's list f.List, keyset-paged by
// post; the posts of users they block, those they mute (as on the feed, or
// on a category's list), hidden and deleted ones are left out. A page looks
// at readingScan rows at most (a short page may have a next cursor).
// EINVALID field "filter" for another list.
func (db *DB) ReadingPosts(ctx context.Context, f ReadingFilter) (Page[Post], error) {
	before, err := decodeBefore(f.Cursor)
	if err != nil {
		return Page[Post]{}, err
	}
	window, query, err := readingQuery(f)
	if err != nil {
		return Page[Post]{}, err
	}
	viewer := string(f.Viewer)
	args := []any{viewer, before, 0}
	var missing string
	if f.Category != "" {
		args = append(args, f.Category)
		if missing, err = db.MissingCategory(ctx, []string{f.Category}); err != nil {
			return Page[Post]{}, err
		}
	}
	var seen int
	var low uint64
	if missing != "" {
		// No category of that name: nothing in it, as on the feed.
		args[2] = before
	} else if err := db.queryRow(ctx, window, args...).Scan(&seen, &low); err != nil {
		return Page[Post]{}, err
	}
	if seen == readingScan {
		args[2] = low
	}
	page, err := readList(ctx, db, list[Post]{query: query, args: args, limit: ClampLimit(f.Limit, DefaultLimit), scan: scanPost,
		key: func(p Post) uint64 { return p.Seq }})
	if err == nil && page.Next == nil && seen == readingScan {
		page.Next = encodeCursor(low)
	}
	if err == nil {
		err = db.hideBlocked(ctx, viewer, page.Items)
	}
	if err == nil {
		err = db.fillMine(ctx, viewer, page.Items)
	}
	return page, err
}
