package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"forum/events"
)

// Post is a post as the reader Viewer sees it (MyVote is theirs).
type Post struct {
	ID           string   `json:"id"`
	Seq          uint64   `json:"seq"`
	Author       User     `json:"author"`
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	BodyHTML     string   `json:"body_html"`
	Categories   []string `json:"categories"`
	CreatedAt    string   `json:"created_at"`
	EditedAt     *string  `json:"edited_at"`
	Deleted      bool     `json:"deleted"`
	Hidden       bool     `json:"hidden"`
	Likes        int      `json:"likes"`
	Dislikes     int      `json:"dislikes"`
	CommentCount int      `json:"comment_count"`
	// ViewCount is how many signed-in readers have opened the post.
	ViewCount int `json:"view_count"`
	MyVote    int `json:"my_vote"`
	// Mine is the reader's own marks on the post: nil for an anonymous
	// reader. Its fields follow my_vote in the JSON (see MineFragment).
	*Mine
	// Pinned is where the post comes first ("global" or "category"), nil
	// when it is not pinned.
	Pinned *events.PinScope `json:"pinned"`
	// Locked posts take no new comments but from moderators.
	Locked bool `json:"locked"`
	// LastActivityAt is when the post or its newest comment that shows was
	// written; LastCommenter that comment's author (nil for none).
	LastActivityAt string `json:"last_activity_at"`
	LastCommenter  *User  `json:"last_commenter"`
	// Participants are the author, then up to four of the most recent
	// distinct commenters, newest first.
	Participants []User `json:"participants"`
	// Reactions are the counts by reaction (the reader's own are in Mine).
	Reactions ReactionCounts `json:"reactions"`
	// activitySeq and score are the post's places in the latest and top
	// lists (their cursors).
	activitySeq uint64
	score       int
}

// FreshPost returns a post as the read models hold it the moment
// postCreated has applied its event (at sequence seq, time at): no votes,
// comments or edits yet, one view (its author's), its body's HTML as the
// projector rendered it. It
// answers the creation without reading the row back, unless that rendering
// is no longer kept: then it reads the row (an error as Post's).
// TestCreatedPostIsWhatReadsShow keeps the two the same.
func (db *DB) FreshPost(ctx context.Context, id events.PostID, seq uint64, author User, title, body string, categories []string, at time.Time) (Post, error) {
	html, _, ok := db.memo.rendered.get(seq)
	if !ok {
		return db.Post(ctx, id, events.UserID(author.ID))
	}
	created := FormatTime(at)
	posts := []Post{{ID: string(id), Seq: seq, Author: author, Title: title, Body: body, BodyHTML: html, Categories: categories, CreatedAt: created,
		ViewCount: 1, LastActivityAt: created, Participants: []User{author}, activitySeq: seq, Reactions: ReactionCounts{}}}
	err := db.fillMine(ctx, author.ID, posts)
	return posts[0], err
}

func (a *applier) postCreated(ev events.Event, d events.PostCreatedData) error {
	cats, _ := json.Marshal(d.Categories)
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	at := FormatTime(ev.Time)
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO posts(id, seq, author_id, title, body, body_html, categories, created_at, activity_seq, activity_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.PostID, ev.Seq, d.AuthorID, d.Title, d.Body, html, string(cats), at, ev.Seq, at)
	if err != nil || !inserted {
		return err
	}
	if a.rendered == nil {
		a.rendered = map[uint64]string{}
	}
	a.rendered[ev.Seq] = html
	if err := a.keepVersion(ev.Seq, d.PostID, d.Title, d.Body, html, d.Categories, ev.Time); err != nil {
		return err
	}
	if err := a.linkCategories(d.PostID, ev.Seq, d.Categories, 1); err != nil {
		return err
	}
	if err := a.index(ev.Seq, KindPostDoc, d.Title, d.Body); err != nil {
		return err
	}
	a.bump(userPosts, d.AuthorID, 1)
	// Its author has read it, with none of its comments yet: a view.
	if err := a.postRead(ev, events.PostReadData{PostID: events.PostID(d.PostID), UserID: events.UserID(d.AuthorID)}); err != nil {
		return err
	}
	n := notice{actor: d.AuthorID, postID: d.PostID, body: d.Body}
	if err := a.notify(ev, n, ""); err != nil {
		return err
	}
	return a.notifyWatchers(ev, n, KindTopic, d.Categories, catWatchersQuery)
}

func (a *applier) postEdited(ev events.Event, d events.PostEditedData) error {
	seq, old, ok, err := a.livePost(d.PostID)
	if err != nil || !ok {
		return err
	}
	cats, _ := json.Marshal(d.Categories)
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	if _, err := a.exec(`UPDATE posts SET title = ?, body = ?, body_html = ?, categories = ?, edited_at = ? WHERE id = ?`,
		d.Title, d.Body, html, string(cats), FormatTime(ev.Time), d.PostID); err != nil {
		return err
	}
	delete(a.posts, d.PostID) // its categories
	if err := a.keepVersion(ev.Seq, d.PostID, d.Title, d.Body, html, d.Categories, ev.Time); err != nil {
		return err
	}
	if err := a.linkCategories(d.PostID, seq, old, -1); err != nil {
		return err
	}
	if err := a.reindex(seq, d.Title, d.Body); err != nil {
		return err
	}
	if err := a.renotice(seq, d.Body); err != nil {
		return err
	}
	return a.linkCategories(d.PostID, seq, d.Categories, 1)
}

func (a *applier) postDeleted(_ events.Event, d events.PostDeletedData) error {
	seq, cats, ok, err := a.livePost(d.PostID)
	if err != nil || !ok {
		return err
	}
	if _, err := a.exec(`UPDATE posts SET deleted = 1, title = '', body = '', body_html = '', pinned = NULL, pinned_seq = NULL WHERE id = ?`, d.PostID); err != nil {
		return err
	}
	var author string
	if err := a.scanRow(`SELECT author_id FROM posts WHERE id = ?`, []any{d.PostID}, &author); err != nil {
		return err
	}
	a.bump(userPosts, author, -1)
	if err := a.dropVersions(d.PostID); err != nil {
		return err
	}
	if err := a.forgetNotifications(seq); err != nil {
		return err
	}
	if err := a.unindex(seq); err != nil {
		return err
	}
	return a.linkCategories(d.PostID, seq, cats, -1)
}

// postPinned pins a post that is not deleted: pinned again, it takes the new
// scope and comes first among the pins. The moderation log records it.
func (a *applier) postPinned(ev events.Event, d events.PostPinnedData) error {
	if _, err := a.exec(`UPDATE posts SET pinned = ?, pinned_seq = ? WHERE id = ? AND deleted = 0`, d.Scope, ev.Seq, d.PostID); err != nil {
		return err
	}
	return a.logMod(ev, "pin", events.Target{Kind: events.KindPost, ID: string(d.PostID)}, string(d.Scope))
}

// postUnpinned unpins a post; the moderation log records it.
func (a *applier) postUnpinned(ev events.Event, d events.PostUnpinnedData) error {
	if _, err := a.exec(`UPDATE posts SET pinned = NULL, pinned_seq = NULL WHERE id = ?`, d.PostID); err != nil {
		return err
	}
	return a.logMod(ev, "unpin", events.Target{Kind: events.KindPost, ID: string(d.PostID)}, "")
}

// linkCategories adds (delta 1) or removes (delta -1) a post's category rows
// and moves the categories' post counts with them.
func (a *applier) linkCategories(postID string, postSeq uint64, slugs []string, delta int) error {
	for _, slug := range slugs {
		query := `INSERT OR IGNORE INTO post_categories(slug, post_seq, post_id, activity_seq, score, created_at)
			SELECT ?, ?, id, activity_seq, likes - dislikes, created_at FROM posts WHERE id = ?`
		args := []any{slug, postSeq, postID}
		if delta < 0 {
			query, args = `DELETE FROM post_categories WHERE slug = ? AND post_seq = ?`, args[:2]
		}
		changed, err := a.execChanged(query, args...)
		if err != nil {
			return err
		}
		if changed {
			a.bump(categoryPosts, slug, delta)
		}
	}
	return nil
}

// postFacts are what apply functions look up of a post again and again:
// its sequence and author, which never change, and its categories, which
// change with an edit alone. A batch keeps them once read (postFacts), so
// a comment does not read its post's row for each of them; postEdited
// forgets them. cats is not to be changed.
type postFacts struct {
	seq    uint64
	author string
	cats   []string
}

// postFacts returns the facts of post id; ok is false when there is no
// such post.
func (a *applier) postFacts(id string) (f postFacts, ok bool, err error) {
	if f, ok := a.posts[id]; ok {
		return f, true, nil
	}
	var raw string
	err = a.scanRow(`SELECT seq, author_id, categories FROM posts WHERE id = ?`, []any{id}, &f.seq, &f.author, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return postFacts{}, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(raw), &f.cats)
	}
	if err != nil {
		return postFacts{}, false, err
	}
	if a.posts == nil {
		a.posts = map[string]postFacts{}
	}
	a.posts[id] = f
	return f, true, nil
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

// PostFilter selects posts for the feed. Viewer is the reader (for my_vote).
type PostFilter struct {
	Category   string
	Author     string
	LikedBy    string
	DislikedBy string
	Viewer     string
	// Blocker leaves out the posts of the users this user blocks.
	Blocker string
	// Sort orders the list (new when empty); Period bounds top, counted
	// back from Now (the clock when zero).
	Sort   PostSort
	Period Period
	Now    time.Time
	// Muter leaves out the posts this user mutes: on a category's list
	// those muted themselves, on the feed those of muted categories too.
	Muter  string
	Limit  int
	Cursor string
}

const postCols = `p.id, p.seq, p.title, p.body, p.body_html, p.categories, p.created_at, p.edited_at, p.deleted, p.hidden, p.likes, p.dislikes, p.comment_count,
	p.view_count, p.pinned, p.locked, p.activity_seq, p.activity_at, lc.id, lc.nickname, lc.created_at, lc.role, lc.avatar, ` + participantsCol + `, p.reactions,
	u.id, u.nickname, u.created_at, u.role, u.avatar, COALESCE(mv.value, 0)`

const postJoins = ` JOIN users u ON u.id = p.author_id
	LEFT JOIN users lc ON lc.id = p.last_commenter_id
	LEFT JOIN votes mv ON mv.kind = 'post' AND mv.target_id = p.id AND mv.user_id = ?`

// conceal empties a hidden post's text and counts no comments, its thread
// being hidden with it: what everyone but a moderator sees.
func (p *Post) conceal() {
	if p.Hidden {
		p.Title, p.Body, p.BodyHTML = "", "", ""
		p.CommentCount = 0
		p.LastCommenter, p.LastActivityAt = nil, p.CreatedAt
		p.Participants = []User{p.Author}
	}
}

func scanPost(row scanner) (Post, error) {
	p, err := scanPostRaw(row)
	p.conceal()
	return p, err
}

// scanPostRaw is scanPost for moderators: hidden text too.
func scanPostRaw(row scanner) (Post, error) {
	var p Post
	var cats string
	var pinned, others sql.NullString
	var lc nullUser
	err := row.Scan(&p.ID, &p.Seq, &p.Title, &p.Body, &p.BodyHTML, &cats, &p.CreatedAt, &p.EditedAt, &p.Deleted, &p.Hidden, &p.Likes, &p.Dislikes, &p.CommentCount,
		&p.ViewCount, &pinned, &p.Locked, &p.activitySeq, &p.LastActivityAt, &lc.id, &lc.nickname, &lc.createdAt, &lc.role, &lc.avatar, &others, &p.Reactions,
		&p.Author.ID, &p.Author.Nickname, &p.Author.CreatedAt, &p.Author.Role, avatarDest{&p.Author.AvatarURL}, &p.MyVote)
	if err == nil {
		err = json.Unmarshal([]byte(cats), &p.Categories)
	}
	if err == nil {
		err = p.setParticipants(others)
	}
	p.LastCommenter = lc.user()
	p.score = p.Likes - p.Dislikes
	if pinned.Valid {
		scope := events.PinScope(pinned.String)
		p.Pinned = &scope
	}
	return p, err
}

// postsQuery returns the SQL (ending in LIMIT ?) and arguments of Posts for
// f, and the page size. Every sort walks an index in its order (orderOf);
// the filters its driver does not serve are conditions on the walk.
func postsQuery(f PostFilter) (query string, args []any, limit int, err error) {
	limit = ClampLimit(f.Limit, DefaultLimit)
	o, err := orderOf(f)
	if err != nil {
		return "", nil, 0, err
	}
	var where []string
	args = []any{f.Viewer}
	if o.byVotes {
		voter, value := f.LikedBy, 1
		if voter == "" {
			voter, value = f.DislikedBy, -1
		}
		where = append(where, "v.user_id = ?", "v.kind = 'post'", "v.value = ?")
		args = append(args, voter, value)
	} else {
		for _, vote := range []struct {
			voter string
			value int
		}{{f.LikedBy, 1}, {f.DislikedBy, -1}} {
			if vote.voter != "" {
				where = append(where, "EXISTS (SELECT 1 FROM votes v2 WHERE v2.kind = 'post' AND v2.target_id = p.id AND v2.user_id = ? AND v2.value = ?)")
				args = append(args, vote.voter, vote.value)
			}
		}
	}
	if f.LikedBy != "" && f.DislikedBy != "" && o.byVotes {
		// Liked by one reader and disliked by another (by the same one: none).
		where = append(where, "EXISTS (SELECT 1 FROM votes v2 WHERE v2.kind = 'post' AND v2.target_id = p.id AND v2.user_id = ? AND v2.value = -1)")
		args = append(args, f.DislikedBy)
	}
	if o.byCategory {
		where = append(where, "pc.slug = ?")
		args = append(args, f.Category)
	} else if f.Category != "" {
		where = append(where, "EXISTS (SELECT 1 FROM post_categories c2 WHERE c2.post_id = p.id AND c2.slug = ?)")
		args = append(args, f.Category)
	}
	if f.Author != "" {
		where = append(where, "p.author_id = ?")
		args = append(args, f.Author)
	}
	if f.Blocker != "" {
		where = append(where, notBlocked)
		args = append(args, f.Blocker)
	}
	where, args = notMuted(f, where, args)
	if pinsLead(f) {
		// The pins that lead the first page are left out of every page.
		if f.Category != "" {
			where = append(where, "p.pinned IS NULL")
		} else {
			where = append(where, "p.pinned IS NOT 'global'")
		}
	}
	where = append(where, "p.deleted = 0", "p.hidden = 0", o.bound)
	args = append(args, o.boundArgs...)
	query = `SELECT ` + postCols + o.from + postJoins + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + o.order + ` LIMIT ?`
	return query, args, limit, nil
}

// notBlocked leaves out the posts of the users a reader blocks (its argument).
const notBlocked = "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ? AND b.blocked_id = p.author_id)"

// notMuted adds to a feed's or a category's list, whatever the sort, the
// condition that leaves out what f.Muter mutes (mutedClause).
func notMuted(f PostFilter, where []string, args []any) ([]string, []any) {
	if f.Muter == "" || !feedList(f) {
		return where, args
	}
	if f.Category != "" {
		return append(where, notMutedClause("?", true)), append(args, f.Muter)
	}
	return append(where, notMutedClause("?", false)), append(args, f.Muter, f.Muter)
}

// maxPins bounds the pinned posts that lead a first page.
const maxPins = MaxLimit

// feedList reports whether f is the feed or a category's list, in any
// sort: not a list filtered by author or votes.
func feedList(f PostFilter) bool {
	return f.Author == "" && f.LikedBy == "" && f.DislikedBy == ""
}

// pinsLead reports whether pinned posts lead the first page of f's list:
// the feed and a category's list, new or latest.
// On the top list a pin does not lead: it is ranked by its score.
func pinsLead(f PostFilter) bool {
	return feedList(f) && f.Sort != SortTop
}

// pinsQuery returns the SQL and arguments of the pinned posts that lead
// the first page of f's list: global pins on every list, category pins on
// the lists of their categories; global ones first, then the latest pinned.
func pinsQuery(f PostFilter) (query string, args []any) {
	args = []any{f.Viewer}
	where := []string{"p.pinned = 'global'"}
	if f.Category != "" {
		where = []string{"(p.pinned = 'global' OR p.pinned = 'category' AND EXISTS (SELECT 1 FROM post_categories c2 WHERE c2.post_id = p.id AND c2.slug = ?))"}
		args = append(args, f.Category)
	}
	if f.Blocker != "" {
		where = append(where, notBlocked)
		args = append(args, f.Blocker)
	}
	where, args = notMuted(f, where, args)
	where = append(where, "p.deleted = 0", "p.hidden = 0")
	return `SELECT ` + postCols + ` FROM posts p` + postJoins + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY p.pinned = 'category', p.pinned_seq DESC LIMIT ` + strconv.Itoa(maxPins), args
}

// Posts returns a page of undeleted posts, newest first, matching f
// (every filter at once), and the stream sequence it was read at. On the
// feed and a category's list the pinned posts lead the first page, beyond
// its limit, and no page shows them again.
func (db *DB) Posts(ctx context.Context, f PostFilter) (Page[Post], error) {
	query, args, limit, err := postsQuery(f)
	if err != nil {
		return Page[Post]{}, err
	}
	l := list[Post]{query: query, args: args, limit: limit, scan: scanPost, cursor: func(p Post) *string { return cursorOf(f, p) }}
	var pins []Post
	if f.Cursor == "" && pinsLead(f) {
		l.check = func(ctx context.Context, tx readTx) (err error) {
			query, args := pinsQuery(f)
			pins, err = scanAll(ctx, tx, nil, query, args, scanPost)
			return err
		}
	}
	page, err := readList(ctx, db, l)
	if err == nil && len(pins) > 0 {
		page.Items = append(pins, page.Items...)
	}
	if err == nil {
		err = db.hideBlocked(ctx, f.Blocker, page.Items)
	}
	if err == nil {
		err = db.fillMine(ctx, f.Viewer, page.Items)
	}
	return page, err
}

const postQuery = `SELECT ` + postCols + ` FROM posts p` + postJoins + ` WHERE p.id = ?`

// Post returns one post (deleted ones too, shown as removed; hidden ones
// without their text), ENOTFOUND if none.
func (db *DB) Post(ctx context.Context, id events.PostID, viewer events.UserID) (Post, error) {
	return db.onePost(ctx, id, viewer, scanPost)
}

// onePost reads one post with scan, as viewer sees it, with their own marks.
func (db *DB) onePost(ctx context.Context, id events.PostID, viewer events.UserID, scan func(scanner) (Post, error)) (Post, error) {
	p, err := one(ctx, db, "post", postQuery, scan, string(viewer), string(id))
	if err != nil {
		return p, err
	}
	posts := []Post{p}
	if err := db.hideBlocked(ctx, string(viewer), posts); err != nil {
		return p, err
	}
	err = db.fillMine(ctx, string(viewer), posts)
	return posts[0], err
}

// PostRevealed is Post for a moderator: a hidden post with its text.
func (db *DB) PostRevealed(ctx context.Context, id events.PostID, viewer events.UserID) (Post, error) {
	return db.onePost(ctx, id, viewer, scanPostRaw)
}
