package projections

import (
	"context"
	"database/sql"
	"errors"

	"forum/events"
	"forum/fault"
)

// Comment is a comment as a reader sees it.
type Comment struct {
	ID        string  `json:"id"`
	Seq       uint64  `json:"seq"`
	PostID    string  `json:"post_id"`
	Author    User    `json:"author"`
	Body      string  `json:"body"`
	BodyHTML  string  `json:"body_html"`
	CreatedAt string  `json:"created_at"`
	EditedAt  *string `json:"edited_at"`
	Deleted   bool    `json:"deleted"`
	Hidden    bool    `json:"hidden"`
	Likes     int     `json:"likes"`
	Dislikes  int     `json:"dislikes"`
	MyVote    int     `json:"my_vote"`
	// ReplyTo is the comment this one answers, null for none. It stays
	// when that comment is later deleted or hidden.
	ReplyTo *CommentRef `json:"reply_to"`
	// Reactions are the counts by reaction; MyReactions the reader's own
	// (absent for an anonymous reader).
	Reactions   ReactionCounts `json:"reactions"`
	MyReactions []string       `json:"my_reactions,omitzero"`
}

// CommentRef names a comment and its author: what a reply points at.
// Author is nil for a reader who blocks them (see Blind).
type CommentRef struct {
	ID     string `json:"id"`
	Author *User  `json:"author"`
}

// Blind returns c as a reader who blocks the author of the comment it
// answers sees it: that author left out (reply_to.author null), as their
// comments are. c itself is not changed.
func (c Comment) Blind(blocked func(id string) bool) Comment {
	if c.ReplyTo != nil && c.ReplyTo.Author != nil && blocked(c.ReplyTo.Author.ID) {
		c.ReplyTo = &CommentRef{ID: c.ReplyTo.ID}
	}
	return c
}

func (a *applier) commentCreated(ev events.Event, d events.CommentCreatedData) error {
	replied, err := a.replied(d)
	if err != nil {
		return err
	}
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	inserted, err := a.execChanged(`INSERT OR IGNORE INTO comments(id, seq, post_id, author_id, body, body_html, created_at, reply_to, reply_author)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.CommentID, ev.Seq, d.PostID, d.AuthorID, d.Body, html, FormatTime(ev.Time), nullable(replied.id), nullable(replied.author))
	if err != nil || !inserted {
		return err
	}
	a.bump(postComments, d.PostID, 1)
	a.bump(userComments, d.AuthorID, 1)
	if err := a.commented(d.PostID, d.AuthorID, ev.Seq, FormatTime(ev.Time)); err != nil {
		return err
	}
	// A comment that raced a hide or a delete of its post tells nobody and
	// stays out of search, as its thread does.
	var postAuthor string
	var closed bool
	err = a.scanRow(`SELECT author_id, hidden OR deleted FROM posts WHERE id = ?`, []any{d.PostID}, &postAuthor, &closed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if closed {
		return nil
	}
	// Its author has read the post up to their comment (a view if it is
	// their first).
	if err := a.postRead(ev, events.PostReadData{PostID: events.PostID(d.PostID), UserID: events.UserID(d.AuthorID), UpToSeq: ev.Seq}); err != nil {
		return err
	}
	if err := a.index(ev.Seq, KindCommentDoc, "", d.Body); err != nil {
		return err
	}
	var repliedAuthor string
	if !replied.gone { // a reply that raced that comment's delete or hide tells its author nothing
		repliedAuthor = replied.author
	}
	n := notice{actor: d.AuthorID, postID: d.PostID, commentID: d.CommentID, body: d.Body}
	if err := a.notify(ev, n, repliedAuthor, postAuthor); err != nil {
		return err
	}
	cats, err := a.postCategories(d.PostID)
	if err != nil {
		return err
	}
	return a.notifyWatchers(ev, n, KindComment, cats, ownWatchersQuery, catWatchersQuery)
}

// repliedTo is the comment a new one answers: its id and author, and
// whether it is deleted or hidden.
type repliedTo struct {
	id, author string
	gone       bool
}

// replied returns the comment d answers, if it is a comment of the same
// post (the command checks it is; a write past it answers none).
func (a *applier) replied(d events.CommentCreatedData) (repliedTo, error) {
	r := repliedTo{id: string(d.ReplyTo)}
	if r.id == "" {
		return r, nil
	}
	err := a.scanRow(`SELECT author_id, deleted OR hidden FROM comments WHERE id = ? AND post_id = ?`, []any{r.id, d.PostID}, &r.author, &r.gone)
	if errors.Is(err, sql.ErrNoRows) {
		return repliedTo{}, nil
	}
	return r, err
}

func (a *applier) commentEdited(ev events.Event, d events.CommentEditedData) error {
	var seq uint64
	html, err := a.renderBody(d.Body, d.Render)
	if err != nil {
		return err
	}
	err = a.scanRow(`UPDATE comments SET body = ?, body_html = ?, edited_at = ? WHERE id = ? AND deleted = 0 RETURNING seq`,
		[]any{d.Body, html, FormatTime(ev.Time), d.CommentID}, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.renotice(seq, d.Body); err != nil {
		return err
	}
	return a.reindex(seq, "", d.Body)
}

func (a *applier) commentDeleted(_ events.Event, d events.CommentDeletedData) error {
	deleted, err := a.execChanged(`UPDATE comments SET deleted = 1, body = '', body_html = '' WHERE id = ? AND deleted = 0`, d.CommentID)
	if err != nil || !deleted {
		return err
	}
	var postID, authorID string
	var seq uint64
	if err := a.scanRow(`SELECT post_id, author_id, seq FROM comments WHERE id = ?`, []any{d.CommentID}, &postID, &authorID, &seq); err != nil {
		return err
	}
	if err := a.forgetNotifications(seq); err != nil {
		return err
	}
	if err := a.unindex(seq); err != nil {
		return err
	}
	a.bump(postComments, postID, -1)
	a.bump(userComments, authorID, -1)
	return a.recount(postID, authorID)
}

var commentCols = `c.id, c.seq, c.post_id, c.body, c.body_html, c.created_at, c.edited_at, c.deleted, c.hidden, c.likes, c.dislikes,
	u.id, u.nickname, u.created_at, u.role, u.avatar, COALESCE(mv.value, 0),
	c.reply_to, ru.id, ru.nickname, ru.created_at, ru.role, ru.avatar, c.reactions, ` + myCommentReactions

// myCommentReactions is the reader's own reactions on a comment: its
// argument is the reader, like commentJoins'.
var myCommentReactions = myReactionsCol(events.KindComment, "c.id")

// commentJoins' argument is the reader (for my_vote).
const commentJoins = ` JOIN users u ON u.id = c.author_id
	LEFT JOIN votes mv ON mv.kind = 'comment' AND mv.target_id = c.id AND mv.user_id = ?
	LEFT JOIN users ru ON ru.id = c.reply_author`

func commentMine(c *Comment) *[]string { return &c.MyReactions }

func scanComment(row scanner) (Comment, error) {
	c, err := scanCommentRaw(row)
	if c.Hidden {
		c.Body, c.BodyHTML = "", ""
	}
	return c, err
}

// scanCommentRaw is scanComment for moderators: hidden text too.
func scanCommentRaw(row scanner) (Comment, error) {
	var c Comment
	var rID, ruID, ruNick, ruAt, ruRole, ruAvatar sql.NullString
	var mine myReactions
	err := row.Scan(&c.ID, &c.Seq, &c.PostID, &c.Body, &c.BodyHTML, &c.CreatedAt, &c.EditedAt, &c.Deleted, &c.Hidden, &c.Likes, &c.Dislikes,
		&c.Author.ID, &c.Author.Nickname, &c.Author.CreatedAt, &c.Author.Role, avatarDest{&c.Author.AvatarURL}, &c.MyVote,
		&rID, &ruID, &ruNick, &ruAt, &ruRole, &ruAvatar, &c.Reactions, &mine)
	if rID.Valid {
		c.ReplyTo = &CommentRef{ID: rID.String, Author: &User{ID: ruID.String, Nickname: ruNick.String, CreatedAt: ruAt.String, Role: events.Role(ruRole.String), AvatarURL: avatarURL(ruAvatar.String)}}
	}
	c.MyReactions = mine
	return c, err
}

var (
	postHiddenQuery = `SELECT hidden FROM posts WHERE id = ?`
	commentsQuery   = `SELECT ` + commentCols + ` FROM comments c` + commentJoins + `
			WHERE c.post_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`
	commentFromQuery = `SELECT p.hidden, c.seq FROM posts p LEFT JOIN comments c ON c.id = ? AND c.post_id = p.id WHERE p.id = ?`
	commentQuery     = `SELECT ` + commentCols + ` FROM comments c` + commentJoins + ` WHERE c.id = ?`
)

// CommentFilter selects the comments of one post. Viewer is the reader (for my_vote).
type CommentFilter struct {
	PostID string
	Viewer string
	// Reveal shows hidden comments' text (for a moderator).
	Reveal bool
	// From, when set, starts the page at that comment of the post (a
	// permalink, or the first unread); it takes the place of a cursor.
	From string
	PageRequest
}

// Comments returns a page of a post's comments, oldest first (deleted ones
// stay in place, shown as removed). ENOTFOUND if the post does not exist,
// or is hidden and the reader may not Reveal; EINVALID field "from" if From
// is not a comment of that post, or comes with a cursor.
func (db *DB) Comments(ctx context.Context, f CommentFilter) (Page[Comment], error) {
	after, err := decodeCursor(f.Cursor)
	if err == nil && f.From != "" {
		after, err = db.commentsFrom(ctx, f)
	}
	if err != nil {
		return Page[Comment]{}, err
	}
	scan := scanComment
	if f.Reveal {
		scan = scanCommentRaw
	}
	scan = anonymous(f.Viewer, scan, commentMine)
	return readList(ctx, db, list[Comment]{
		query: commentsQuery,
		args:  []any{f.Viewer, f.Viewer, f.PostID, after},
		limit: ClampLimit(f.Limit, DefaultLimit),
		scan:  scan,
		key:   func(c Comment) uint64 { return c.Seq },
		check: func(ctx context.Context, tx readTx) error {
			// A hidden post's thread is hidden with it, but from moderators.
			var hidden bool
			err := tx.QueryRowContext(ctx, postHiddenQuery, f.PostID).Scan(&hidden)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && hidden && !f.Reveal) {
				return notFound("post")
			}
			return err
		},
	})
}

// commentsFrom returns the key the page starting at comment f.From follows:
// ENOTFOUND as Comments for a missing or hidden post, then EINVALID field
// "from" if f.From is not one of its comments.
func (db *DB) commentsFrom(ctx context.Context, f CommentFilter) (uint64, error) {
	if f.Cursor != "" {
		return 0, fault.FieldError(fault.EINVALID, "from", "from starts a list: give it without a cursor")
	}
	var hidden bool
	var seq sql.NullInt64
	err := db.queryRow(ctx, commentFromQuery, f.From, f.PostID).Scan(&hidden, &seq)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && hidden && !f.Reveal):
		return 0, notFound("post")
	case err != nil:
		return 0, err
	case !seq.Valid:
		return 0, fault.FieldError(fault.EINVALID, "from", "from is not a comment of this post")
	}
	return uint64(seq.Int64) - 1, nil
}

// Comment returns one comment, ENOTFOUND if none.
func (db *DB) Comment(ctx context.Context, id events.CommentID, viewer events.UserID) (Comment, error) {
	return one(ctx, db, "comment", commentQuery, anonymous(string(viewer), scanComment, commentMine), string(viewer), string(viewer), string(id))
}

// CommentRevealed is Comment for a moderator: a hidden comment with its text.
func (db *DB) CommentRevealed(ctx context.Context, id events.CommentID) (Comment, error) {
	return one(ctx, db, "comment", commentQuery, anonymous("", scanCommentRaw, commentMine), "", "", string(id))
}
