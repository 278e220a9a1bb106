package projections

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"forum/events"
)

// Bounds of a reader's own lists, decided by the commands against the log.
const (
	// MaxBookmarks bounds the posts one user bookmarks.
	MaxBookmarks = 10_000
	// MaxPostWatches bounds the posts one user sets a watch level on.
	MaxPostWatches = 10_000
)

// maxWatchNotices bounds the users one post or comment notifies for
// watching it or its categories: the oldest watchers first. A variable for
// tests alone.
var maxWatchNotices = 1_000

// Notification kinds of watching: a comment on a post the user watches, a
// post in a category they watch.
const (
	KindComment = "comment"
	KindTopic   = "topic"
)

func (a *applier) bookmarkAdded(ev events.Event, d events.BookmarkData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO bookmarks(user_id, post_id, seq) VALUES (?, ?, ?)`, d.UserID, d.PostID, ev.Seq)
	return err
}

func (a *applier) bookmarkRemoved(_ events.Event, d events.BookmarkData) error {
	_, err := a.exec(`DELETE FROM bookmarks WHERE user_id = ? AND post_id = ?`, d.UserID, d.PostID)
	return err
}

// watchSet records a watch level: on a post any level (normal too, which
// overrides its categories' and the default), on a category watching or
// muted, normal taking the category's level away.
func (a *applier) watchSet(ev events.Event, d events.WatchSetData) error {
	var err error
	switch {
	case d.PostID != "":
		_, err = a.exec(`INSERT INTO post_watches(user_id, post_id, level, seq) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (post_id, user_id) DO UPDATE SET level = ?3, seq = ?4`, d.UserID, d.PostID, d.Level, ev.Seq)
	case d.Level == events.WatchNormal:
		_, err = a.exec(`DELETE FROM category_watches WHERE user_id = ? AND slug = ?`, d.UserID, d.Category)
	default:
		_, err = a.exec(`INSERT INTO category_watches(user_id, slug, level, seq) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (slug, user_id) DO UPDATE SET level = ?3, seq = ?4`, d.UserID, d.Category, d.Level, ev.Seq)
	}
	return err
}

// levelOf is the SQL of a reader's watch level on a post (?1 the reader, post
// an expression naming the post's id): the post's own level, else its
// categories' (watching if one is watched, else muted if one is muted),
// else watching for its author, else normal (a commenter too, as
// Discourse's "tracking": told of replies and mentions, not every comment).
// The author is told of every comment as its author (notify), whatever
// this says, unless they mute it.
func levelOf(post string) string {
	return strings.ReplaceAll(`COALESCE(
		(SELECT pw.level FROM post_watches pw WHERE pw.post_id = $post AND pw.user_id = ?1),
		(SELECT CASE WHEN MAX(cw.level = 'watching') THEN 'watching' WHEN count(*) > 0 THEN 'muted' END
			FROM post_categories pc JOIN category_watches cw ON cw.slug = pc.slug AND cw.user_id = ?1 WHERE pc.post_id = $post),
		CASE WHEN EXISTS (SELECT 1 FROM posts po WHERE po.id = $post AND po.author_id = ?1) THEN 'watching' END,
		'normal')`, "$post", post)
}

// notMutedClause is the condition that leaves out of a reader's list (the
// reader is param, once for a category's list, twice for the feed) the
// posts they mute: on a category's list those muted themselves, on the
// feed also those whose categories they mute (one muted, none watched)
// unless they set a level on the post itself.
func notMutedClause(param string, category bool) string {
	own := `(SELECT pw.level FROM post_watches pw WHERE pw.post_id = p.id AND pw.user_id = ` + param + `)`
	if category {
		return own + ` IS NOT 'muted'`
	}
	return `COALESCE(` + own + `, (SELECT CASE WHEN MAX(cw.level = 'watching') THEN 'watching' WHEN count(*) > 0 THEN 'muted' END
		FROM post_categories pc JOIN category_watches cw ON cw.slug = pc.slug AND cw.user_id = ` + param + ` WHERE pc.post_id = p.id)) IS NOT 'muted'`
}

// maxPostCategories is how many categories a post has at most: the
// statements below take that many slugs, "" for none.
const maxPostCategories = 5

// slugArgs returns a post's categories as the statements below take them.
func slugArgs(cats []string) []any {
	args := make([]any, maxPostCategories)
	for i := range args {
		args[i] = ""
		if i < len(cats) {
			args[i] = cats[i]
		}
	}
	return args
}

// postCategories returns the categories of post, nil for none.
func (a *applier) postCategories(post string) ([]string, error) {
	f, _, err := a.postFacts(post)
	return f.cats, err
}

// mutes reports whether user mutes post: the level set on it, else one of
// its categories muted and none watched. Nothing about it tells them then.
func (a *applier) mutes(user, post string) (bool, error) {
	var own string
	err := a.scanRow(`SELECT level FROM post_watches WHERE post_id = ? AND user_id = ?`, []any{post, user}, &own)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return own == string(events.WatchMuted), err
	}
	cats, err := a.postCategories(post)
	if err != nil || len(cats) == 0 {
		return false, err
	}
	var watched, muted bool
	err = a.scanRow(`SELECT COALESCE(MAX(level = 'watching'), 0), COALESCE(MAX(level = 'muted'), 0) FROM category_watches
		WHERE slug IN (?1, ?2, ?3, ?4, ?5) AND user_id = ?6`, append(slugArgs(cats), user), &watched, &muted)
	return muted && !watched, err
}

// The watchers of a post (?6) in its categories (?1 to ?5), each source
// the oldest watch first, at most ?7: those who set watching on it; those
// who watch one of its categories and set no level on it. Its author is
// told as its author (notify); those who commented on it only of replies
// and mentions, unless they watch it.
const (
	ownWatchersQuery = `SELECT user_id, seq FROM post_watches WHERE post_id = ?6 AND level = 'watching' ORDER BY seq LIMIT ?7`
	catWatchersQuery = `SELECT cw.user_id, MIN(cw.seq) FROM category_watches cw WHERE cw.slug IN (?1, ?2, ?3, ?4, ?5) AND cw.level = 'watching'
		AND NOT EXISTS (SELECT 1 FROM post_watches pw WHERE pw.post_id = ?6 AND pw.user_id = cw.user_id)
		GROUP BY cw.user_id ORDER BY MIN(cw.seq) LIMIT ?7`
)

// watchers returns who the queries select for post in cats, the oldest
// watch first, at most maxWatchNotices.
func (a *applier) watchers(post string, cats []string, queries ...string) ([]string, error) {
	first := map[string]uint64{}
	args := append(slugArgs(cats), post, maxWatchNotices)
	for _, q := range queries {
		st, err := a.stmt(q)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(a.ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var user string
			var seq uint64
			if err := rows.Scan(&user, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			if at, ok := first[user]; !ok || seq < at {
				first[user] = seq
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	users := slices.Collect(maps.Keys(first))
	slices.SortFunc(users, func(x, y string) int { return cmp.Or(cmp.Compare(first[x], first[y]), strings.Compare(x, y)) })
	return users[:min(len(users), maxWatchNotices)], nil
}

// notifyWatchers tells the watchers of post n.postID in cats (selected by
// queries) of the event, as kind (comment or topic), but its actor; one
// told of it already (mentioned, or the post's author) is told once.
func (a *applier) notifyWatchers(ev events.Event, n notice, kind string, cats []string, queries ...string) error {
	if !a.notifying {
		return fmt.Errorf("notify: %s is registered as notifying nobody", ev.Type)
	}
	users, err := a.watchers(n.postID, cats, queries...)
	if err != nil {
		return err
	}
	for _, user := range users {
		if user == n.actor {
			continue
		}
		if err := a.addNotification(ev, user, kind, n); err != nil {
			return err
		}
	}
	return nil
}

// MyBookmarks returns which of the posts ids user bookmarked.
func (db *DB) MyBookmarks(ctx context.Context, userID events.UserID, ids []string) (map[string]bool, error) {
	if userID == "" || len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	marked, err := column[string](db.query(ctx, `SELECT post_id FROM bookmarks WHERE user_id = ? AND post_id IN (SELECT value FROM json_each(?))`,
		string(userID), string(list)))
	out := make(map[string]bool, len(marked))
	for _, id := range marked {
		out[id] = true
	}
	return out, err
}

// MyWatches returns user's watch level on each of the posts ids.
func (db *DB) MyWatches(ctx context.Context, userID events.UserID, ids []string) (map[string]events.WatchLevel, error) {
	if userID == "" || len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT j.value, `+levelOf("j.value")+` FROM json_each(?2) j`, string(userID), string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]events.WatchLevel, len(ids))
	for rows.Next() {
		var id string
		var level events.WatchLevel
		if err := rows.Scan(&id, &level); err != nil {
			return nil, err
		}
		out[id] = level
	}
	return out, rows.Err()
}

// lookBookmarks fills Mine.Bookmarked.
func lookBookmarks(ctx context.Context, db *DB, user string, ids []string, mines map[string]*Mine) error {
	marked, err := db.MyBookmarks(ctx, events.UserID(user), ids)
	for id := range marked {
		mines[id].Bookmarked = true
	}
	return err
}

// lookWatches fills Mine.Watch.
func lookWatches(ctx context.Context, db *DB, user string, ids []string, mines map[string]*Mine) error {
	levels, err := db.MyWatches(ctx, events.UserID(user), ids)
	for id, level := range levels {
		if m, ok := mines[id]; ok {
			m.Watch = level
		}
	}
	return err
}

// BookmarkState returns whether user bookmarked post, and how many posts
// they bookmarked.
func (db *DB) BookmarkState(ctx context.Context, userID events.UserID, post events.PostID) (marked bool, n int, err error) {
	err = db.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bookmarks WHERE user_id = ?1 AND post_id = ?2), (SELECT count(*) FROM bookmarks WHERE user_id = ?1)`,
		string(userID), string(post)).Scan(&marked, &n)
	return marked, n, err
}

// PostWatchState returns the level user set on post ("" for none), and on
// how many posts they set one.
func (db *DB) PostWatchState(ctx context.Context, userID events.UserID, post events.PostID) (level events.WatchLevel, n int, err error) {
	err = db.queryRow(ctx, `SELECT COALESCE((SELECT level FROM post_watches WHERE post_id = ?2 AND user_id = ?1), ''), (SELECT count(*) FROM post_watches WHERE user_id = ?1)`,
		string(userID), string(post)).Scan(&level, &n)
	return level, n, err
}

// CategoryWatch returns the level user set on the category slug: normal
// when none.
func (db *DB) CategoryWatch(ctx context.Context, userID events.UserID, slug string) (events.WatchLevel, error) {
	var level events.WatchLevel
	err := db.queryRow(ctx, `SELECT COALESCE((SELECT level FROM category_watches WHERE user_id = ? AND slug = ?), 'normal')`, string(userID), slug).Scan(&level)
	return level, err
}

// BookmarkFilter asks for a page of User's bookmarks as Viewer sees them:
// Reveal (a moderator) shows hidden posts with their text, others leave
// them out; deleted posts and those of users the reader blocks leave it.
type BookmarkFilter struct {
	User   events.UserID
	Reveal bool
	PageRequest
}

// Bookmarks returns a page of user's bookmarked posts, the newest bookmark
// first.
func (db *DB) Bookmarks(ctx context.Context, f BookmarkFilter) (Page[Post], error) {
	before, err := decodeBefore(f.Cursor)
	if err != nil {
		return Page[Post]{}, err
	}
	user := string(f.User)
	where := []string{"b.user_id = ?", "p.deleted = 0", notBlocked, "b.seq < ?"}
	scan := scanPost
	if f.Reveal {
		scan = scanPostRaw
	} else {
		where = append(where, "p.hidden = 0")
	}
	type marked struct {
		Post
		at uint64
	}
	page, err := readList(ctx, db, list[marked]{
		query: `SELECT ` + postCols + `, b.seq FROM bookmarks b JOIN posts p ON p.id = b.post_id` + postJoins +
			` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY b.seq DESC LIMIT ?`,
		args:  []any{user, user, user, before},
		limit: ClampLimit(f.Limit, DefaultLimit),
		scan: func(row scanner) (marked, error) {
			var m marked
			p, err := scan(withTail(row, &m.at))
			m.Post = p
			return m, err
		},
		key: func(m marked) uint64 { return m.at },
	})
	out := Page[Post]{Items: make([]Post, 0, len(page.Items)), Next: page.Next, Seq: page.Seq}
	for _, m := range page.Items {
		out.Items = append(out.Items, m.Post)
	}
	if err == nil {
		err = db.hideBlocked(ctx, user, out.Items)
	}
	if err == nil {
		err = db.fillMine(ctx, user, out.Items)
	}
	return out, err
}

// withTail is row with more destinations after those scanned: columns
// selected after a post's.
func withTail(row scanner, tail ...any) scanner { return tailScanner{row, tail} }

type tailScanner struct {
	scanner
	tail []any
}

func (t tailScanner) Scan(dest ...any) error { return t.scanner.Scan(append(dest, t.tail...)...) }
