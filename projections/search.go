package projections

import (
	"context"
	"strconv"
	"strings"
	"unicode"

	"forum/events"
)

// Search is part of the read models: posts and comments that are not
// deleted in search_docs, messages in search_messages (both SQLite FTS5),
// rebuilt with everything else.

// Kinds of search results.
const (
	KindPostDoc    = "post"
	KindCommentDoc = "comment"
	KindDMDoc      = "dm"
	KindRoomDoc    = "room"
)

func (a *applier) index(seq uint64, kind, title, body string) error {
	_, err := a.exec(`INSERT INTO search_docs(rowid, title, body, kind) VALUES (?, ?, ?, ?)`, seq, title, body, kind)
	return err
}

func (a *applier) reindex(seq uint64, title, body string) error {
	_, err := a.exec(`UPDATE search_docs SET title = ?, body = ? WHERE rowid = ?`, title, body, seq)
	return err
}

func (a *applier) unindex(seq uint64) error {
	_, err := a.exec(`DELETE FROM search_docs WHERE rowid = ?`, seq)
	return err
}

func (a *applier) indexMessage(seq uint64, body string) error {
	_, err := a.exec(`INSERT INTO search_messages(rowid, body) VALUES (?, ?)`, seq, body)
	return err
}

// MaxSearchLen bounds a search query, in bytes.
const MaxSearchLen = 200

// maxSearchOffset bounds how deep a search pages: relevance is not a key
// to page by, so pages go by offset.
const maxSearchOffset = 1000

// ftsQuery turns what a user typed into an FTS5 query: every word must be
// there (the last one as a prefix, for search as one types); quotes,
// operators and punctuation are only separators.
func ftsQuery(q string) (string, error) {
	if len(q) > MaxSearchLen {
		return "", events.FieldError(events.EINVALID, "q", "a search is at most 200 characters")
	}
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	if len(words) == 0 {
		return "", events.FieldError(events.EINVALID, "q", "search for at least one word")
	}
	if len(words) > 16 {
		words = words[:16]
	}
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	words[len(words)-1] += "*"
	return strings.Join(words, " "), nil
}

// SearchResult is one hit: a post, or a comment with its post, or a
// message; Snippet is plain text around the words found.
type SearchResult struct {
	Kind    string   `json:"kind"`
	Post    *Post    `json:"post,omitempty"`
	Comment *Comment `json:"comment,omitempty"`
	Message *Message `json:"message,omitempty"`
	Snippet string   `json:"snippet"`
}

// SearchFilter is a search: the words Q, In "" (posts and comments) or
// "messages" (Viewer's own direct messages and the rooms they are a member
// of), and the page.
type SearchFilter struct {
	Q      string
	In     string
	Viewer string
	PageRequest
}

type hit struct {
	seq     uint64
	kind    string
	snippet string
}

// Search returns a page of results, most relevant first.
func (db *DB) Search(ctx context.Context, f SearchFilter) (Page[SearchResult], error) {
	match, err := ftsQuery(f.Q)
	if err != nil {
		return Page[SearchResult]{}, err
	}
	offset := 0
	if f.Cursor != "" {
		part, key, err := decodePartCursor(f.Cursor)
		n, nerr := strconv.Atoi(key)
		if err != nil || part != "o" || nerr != nil || n <= 0 || n > maxSearchOffset || strconv.Itoa(n) != key {
			return Page[SearchResult]{}, events.FieldError(events.EINVALID, "cursor", "cursor is not one this server gave out")
		}
		offset = n
	}
	var query string
	var args []any
	switch f.In {
	case "":
		query = `SELECT rowid, kind, snippet(search_docs, -1, '', '', '…', 16) FROM search_docs WHERE search_docs MATCH ? ORDER BY rank LIMIT ? OFFSET ?`
		args = []any{match}
	case "messages":
		query = `SELECT s.rowid, CASE WHEN m.room IS NULL THEN 'dm' ELSE 'room' END, snippet(search_messages, 0, '', '', '…', 16)
			FROM search_messages s JOIN messages m ON m.seq = s.rowid
			WHERE search_messages MATCH ?1 AND (m.from_id = ?2 OR m.to_id = ?2 OR m.room IN (SELECT room FROM room_members WHERE user_id = ?2))
			ORDER BY s.rank LIMIT ?3 OFFSET ?4`
		args = []any{match, f.Viewer}
	default:
		return Page[SearchResult]{}, events.FieldError(events.EINVALID, "in", `in must be "messages" or left out`)
	}
	limit := ClampLimit(f.Limit, DefaultLimit)
	page := Page[SearchResult]{Items: []SearchResult{}}
	var hits []hit
	page.Seq, err = db.read(ctx, func(tx readTx) error {
		var err error
		hits, err = scanAll(ctx, tx, hits, query, append(args, limit+1, offset), func(row scanner) (h hit, err error) {
			err = row.Scan(&h.seq, &h.kind, &h.snippet)
			return h, err
		})
		return err
	})
	if err != nil {
		return Page[SearchResult]{}, err
	}
	if len(hits) > limit {
		hits = hits[:limit]
		if offset+limit <= maxSearchOffset {
			page.Next = encodePartCursor("o", strconv.Itoa(offset+limit))
		}
	}
	for _, h := range hits {
		r, err := db.searchResult(ctx, h, f.Viewer)
		if events.ErrorCode(err) == events.ENOTFOUND {
			continue // gone since the search was read
		}
		if err != nil {
			return Page[SearchResult]{}, err
		}
		page.Items = append(page.Items, r)
	}
	return page, nil
}

// searchResult reads the objects a hit shows.
func (db *DB) searchResult(ctx context.Context, h hit, viewer string) (SearchResult, error) {
	r := SearchResult{Kind: h.kind, Snippet: h.snippet}
	switch h.kind {
	case KindPostDoc:
		id, err := db.idBySeq(ctx, "posts", h.seq)
		if err != nil {
			return r, err
		}
		p, err := db.Post(ctx, id, viewer)
		r.Post = &p
		return r, err
	case KindCommentDoc:
		id, err := db.idBySeq(ctx, "comments", h.seq)
		if err != nil {
			return r, err
		}
		c, err := db.Comment(ctx, id, viewer)
		if err != nil {
			return r, err
		}
		p, err := db.Post(ctx, c.PostID, viewer)
		r.Comment, r.Post = &c, &p
		return r, err
	default:
		m, err := db.MessageBySeq(ctx, h.seq)
		r.Message = &m
		return r, err
	}
}

func (db *DB) idBySeq(ctx context.Context, table string, seq uint64) (string, error) {
	return one(ctx, db, strings.TrimSuffix(table, "s"), `SELECT id FROM `+table+` WHERE seq = ?`, func(row scanner) (id string, err error) {
		err = row.Scan(&id)
		return id, err
	}, seq)
}
