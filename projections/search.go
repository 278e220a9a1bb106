package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"forum/events"
	"forum/fault"
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

// Bounds of what one search costs, whatever the stored text and the query.
const (
	// searchCandidates is how many of the newest matches are ranked by
	// relevance: ranking reads every match, so it is not done over all.
	searchCandidates = 2000
	// rankBudget is the time ranking may take; past it the newest matches
	// come first instead, within newestBudget; past that the search fails
	// (EUNAVAILABLE). The sum stays well inside 250 ms.
	rankBudget   = 120 * time.Millisecond
	newestBudget = 80 * time.Millisecond
	// minPrefixLen is the shortest last word searched as a prefix: a
	// one-letter prefix would expand to nearly every word stored.
	minPrefixLen = 2
	// snippetWords is the length of a snippet, in words, and maxSnippetLen
	// in characters, however long its words.
	snippetWords  = 16
	maxSnippetLen = 200
)

// searchQuery is what a user typed, made safe for FTS5.
type searchQuery struct {
	words  []string // its words, lower-case
	folded []string // its words as the index's terms
	prefix bool     // the last word is matched as a prefix
}

// match returns the FTS5 query: every word quoted, the last followed by *
// when it is matched as a prefix.
func (q searchQuery) match() string {
	quoted := make([]string, len(q.words))
	for i, w := range q.words {
		quoted[i] = `"` + w + `"`
	}
	if q.prefix {
		quoted[len(quoted)-1] += "*"
	}
	return strings.Join(quoted, " ")
}

// parseSearch turns what a user typed into an FTS5 query: every word must
// be there (the last one as a prefix, for search as one types, when it has
// at least minPrefixLen letters); quotes, operators and punctuation are
// only separators, as is anything the index's tokenizer separates words by.
func parseSearch(q string) (searchQuery, error) {
	if len(q) > MaxSearchLen {
		return searchQuery{}, fault.FieldError(fault.EINVALID, "q", "a search is at most 200 characters")
	}
	words := strings.FieldsFunc(q, func(r rune) bool { _, sep := foldRune(r); return sep })
	if len(words) == 0 {
		return searchQuery{}, fault.FieldError(fault.EINVALID, "q", "search for at least one word")
	}
	if len(words) > 16 {
		words = words[:16]
	}
	sq := searchQuery{words: make([]string, len(words)), folded: make([]string, len(words)),
		prefix: utf8.RuneCountInString(words[len(words)-1]) >= minPrefixLen}
	for i, w := range words {
		sq.words[i], sq.folded[i] = strings.ToLower(w), fold(w)
	}
	return sq, nil
}

// indexedPrefixLen is the longest prefix the search tables index (prefix =
// '2 3'): a longer one is a merge of every term it starts, so its terms are
// counted first.
const indexedPrefixLen = 3

// maxPrefixTerms bounds how many terms a last word may expand to as a
// prefix; past it the word is matched whole. Merging the doclists of every
// term a prefix starts costs in proportion to their number, and only the
// whole word bounds that cost whatever was stored (the most frequent terms
// would first have to be found among all of them, at the same cost).
const maxPrefixTerms = 200

// prefixTermsQuery counts the terms from ?1 up to ?2 (excluded) of the
// search table of in, up to maxPrefixTerms+1, over its fts5vocab table.
func prefixTermsQuery(in string) string {
	table := "search_docs_terms"
	if in == "messages" {
		table = "search_messages_terms"
	}
	return `SELECT count(*) FROM (SELECT 1 FROM ` + table + ` WHERE term >= ?1 AND term < ?2 LIMIT ` + strconv.Itoa(maxPrefixTerms+1) + `)`
}

// boundPrefix matches the last word of q whole when, as a prefix longer
// than those indexed, it starts more than maxPrefixTerms terms of the
// search table of in. The count reads at most maxPrefixTerms+1 terms, by a
// range of the table's terms.
func (db *DB) boundPrefix(ctx context.Context, q *searchQuery, in string) error {
	term := q.folded[len(q.folded)-1]
	if !q.prefix || utf8.RuneCountInString(term) <= indexedPrefixLen {
		return nil
	}
	above := term[:len(term)-1] + string(term[len(term)-1]+1) // the last byte of UTF-8 is at most 0xBF
	n, err := one(ctx, db, "terms", prefixTermsQuery(in), func(row scanner) (n int, err error) {
		err = row.Scan(&n)
		return n, err
	}, term, above)
	if err != nil {
		return fmt.Errorf("count the terms of a prefix: %w", err)
	}
	q.prefix = n <= maxPrefixTerms
	return nil
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
// of), and the page. Nothing by a user Viewer blocks is found.
type SearchFilter struct {
	Q      string
	In     string
	Viewer string
	PageRequest

	// budgets replaces rankBudget and newestBudget when set (in tests).
	budgets *[2]time.Duration
}

type hit struct {
	seq  uint64
	kind string
}

// candidates limits a match to the newest searchCandidates matches of the
// FTS5 table (named as in the query by alias): a rowid range FTS5 applies
// before ranking.
func candidates(table, alias string) string {
	return ` AND ` + alias + `.rowid >= (SELECT coalesce(min(rowid), 0) FROM (SELECT rowid FROM ` + table +
		` WHERE ` + table + ` MATCH ?1 ORDER BY rowid DESC LIMIT ` + strconv.Itoa(searchCandidates) + `))`
}

// searchSQL returns the query of f's hits (ranked or newest first) with
// parameters ?1 match, ?2 viewer, ?3 limit and ?4 offset.
func searchSQL(in string, ranked bool) (string, error) {
	switch in {
	case "":
		order := ` ORDER BY rank`
		if !ranked {
			order = ` ORDER BY rowid DESC`
		}
		return `SELECT rowid, kind FROM search_docs WHERE search_docs MATCH ?1` + candidates("search_docs", "search_docs") + `
			AND NOT EXISTS (SELECT 1 FROM posts p JOIN blocks b ON b.user_id = ?2 AND b.blocked_id = p.author_id WHERE p.seq = search_docs.rowid)
			AND NOT EXISTS (SELECT 1 FROM comments c JOIN posts p ON p.id = c.post_id JOIN blocks b ON b.user_id = ?2 AND b.blocked_id IN (c.author_id, p.author_id)
				WHERE c.seq = search_docs.rowid)` + order + ` LIMIT ?3 OFFSET ?4`, nil
	case "messages":
		order := ` ORDER BY s.rank`
		if !ranked {
			order = ` ORDER BY s.rowid DESC`
		}
		return `SELECT s.rowid, CASE WHEN m.room IS NULL THEN 'dm' ELSE 'room' END
			FROM search_messages s JOIN messages m ON m.seq = s.rowid
			WHERE search_messages MATCH ?1` + candidates("search_messages", "s") + `
			AND (m.from_id = ?2 OR m.to_id = ?2 OR m.room IN (SELECT room FROM room_members WHERE user_id = ?2))
			AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ?2 AND b.blocked_id = m.from_id)` + order + ` LIMIT ?3 OFFSET ?4`, nil
	}
	return "", fault.FieldError(fault.EINVALID, "in", `in must be "messages" or left out`)
}

// budget is the time f's hits may take to read, ranked or newest first.
func (db *DB) budget(f SearchFilter, ranked bool) time.Duration {
	budgets := f.budgets
	if budgets == nil {
		budgets = db.searchBudgets.Load()
	}
	switch {
	case budgets != nil && ranked:
		return budgets[0]
	case budgets != nil:
		return budgets[1]
	case ranked:
		return rankBudget
	}
	return newestBudget
}

// errSearchTooCostly is what a search gets when even its newest matches
// cannot be read in time.
var errSearchTooCostly = &fault.Error{Code: fault.EUNAVAILABLE, RetryAfter: 1,
	Message: "this search takes too long; try longer or more words"}

// searchHits reads the hits of one page: ranked by relevance when that
// takes at most rankBudget, else newest first; errSearchTooCostly when
// neither can be read in its time.
func (db *DB) searchHits(ctx context.Context, f SearchFilter, match string, limit, offset int) (hits []hit, seq uint64, err error) {
	for _, ranked := range []bool{true, false} {
		query, err := searchSQL(f.In, ranked)
		if err != nil {
			return nil, 0, err
		}
		budget := db.budget(f, ranked)
		tctx, cancel := context.WithTimeout(ctx, budget)
		seq, err = db.read(tctx, func(tx readTx) error {
			var err error
			hits, err = scanAll(tctx, tx, hits[:0], query, []any{match, f.Viewer, limit + 1, offset}, func(row scanner) (h hit, err error) {
				err = row.Scan(&h.seq, &h.kind)
				return h, err
			})
			return err
		})
		timedOut := tctx.Err() != nil && ctx.Err() == nil
		cancel()
		if !timedOut {
			return hits, seq, err
		}
	}
	return nil, 0, errSearchTooCostly
}

// Search returns a page of results, most relevant first (newest first when
// ranking would take too long).
func (db *DB) Search(ctx context.Context, f SearchFilter) (Page[SearchResult], error) {
	sq, err := parseSearch(f.Q)
	if err != nil {
		return Page[SearchResult]{}, err
	}
	offset := 0
	if f.Cursor != "" {
		part, key, err := decodePartCursor(f.Cursor)
		n, nerr := strconv.Atoi(key)
		if err != nil || part != "o" || nerr != nil || n <= 0 || n > maxSearchOffset || strconv.Itoa(n) != key {
			return Page[SearchResult]{}, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
		}
		offset = n
	}
	if _, err := searchSQL(f.In, true); err != nil {
		return Page[SearchResult]{}, err
	}
	if err := db.boundPrefix(ctx, &sq, f.In); err != nil {
		return Page[SearchResult]{}, err
	}
	limit := ClampLimit(f.Limit, DefaultLimit)
	page := Page[SearchResult]{Items: []SearchResult{}}
	hits, seq, err := db.searchHits(ctx, f, sq.match(), limit, offset)
	if err != nil {
		return Page[SearchResult]{}, err
	}
	page.Seq = seq
	more := len(hits) > limit
	hits = hits[:min(len(hits), limit)]
	var read int
	page.Items, read, err = db.searchResults(ctx, sq, hits, f.Viewer)
	if err != nil {
		return Page[SearchResult]{}, err
	}
	if (more || read < len(hits)) && offset+read <= maxSearchOffset {
		page.Next = encodePartCursor("o", strconv.Itoa(offset+read))
	}
	return page, nil
}

// maxSearchAnswer bounds the text of a page of results, in bytes: past it
// the page ends early, its next cursor going on from there, so even a page
// of 100 results of the longest bodies is assembled and sent in little time.
const maxSearchAnswer = 512 << 10

// searchResults reads the results of hits, with their snippets, until
// their text reaches maxSearchAnswer; read is how many hits were used.
func (db *DB) searchResults(ctx context.Context, sq searchQuery, hits []hit, viewer string) (items []SearchResult, read int, err error) {
	items = []SearchResult{}
	size := 0
	for _, h := range hits {
		if size >= maxSearchAnswer {
			break
		}
		read++
		r, err := db.searchResult(ctx, h, viewer)
		if fault.Code(err) == fault.ENOTFOUND {
			continue // gone since the search was read
		}
		if err != nil {
			return nil, 0, err
		}
		r.Snippet = sq.snippet(r)
		size += r.textSize()
		items = append(items, r)
	}
	return items, read, nil
}

// textSize is the length of the text a result carries, in bytes.
func (r SearchResult) textSize() int {
	n := len(r.Snippet)
	if r.Post != nil {
		n += len(r.Post.Title) + len(r.Post.Body) + len(r.Post.BodyHTML)
	}
	if r.Comment != nil {
		n += len(r.Comment.Body) + len(r.Comment.BodyHTML)
	}
	if r.Message != nil {
		n += len(r.Message.Body) + len(r.Message.BodyHTML)
	}
	return n
}

// snippet returns the snippet of a result: from the body of what was
// found, else from a post's title.
func (q searchQuery) snippet(r SearchResult) string {
	switch {
	case r.Message != nil:
		return q.snippetOf(r.Message.Body, true)
	case r.Comment != nil:
		return q.snippetOf(r.Comment.Body, true)
	case r.Post != nil:
		if s := q.snippetOf(r.Post.Body, false); s != "" {
			return s
		}
		return q.snippetOf(r.Post.Title, true)
	}
	return ""
}

// span is a word of a text, by its bytes.
type span struct{ start, end int }

// eachWord calls fn with each word of text in turn (letters and digits),
// until fn returns false.
func eachWord(text string, fn func(w span) bool) {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isLetterOrDigit(r) {
			i += size
			continue
		}
		start := i
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !isLetterOrDigit(r) {
				break
			}
			i += size
		}
		if !fn(span{start, i}) {
			return
		}
	}
}

// snippetOf returns about snippetWords words of text, on one line, from a
// little before the first word of q found there, with "…" where text was
// cut, at most maxSnippetLen characters; when no word is found, the start
// of text if orStart, else "". Its cost is linear in the length of text,
// and it keeps no more than snippetWords words of it.
func (q searchQuery) snippetOf(text string, orStart bool) string {
	lead := snippetWords / 4
	var words []span // the words shown, from up to lead words before the first found
	found := -1
	eachWord(text, func(w span) bool {
		if found < 0 && len(words) > lead {
			words = append(words[:0], words[1:]...)
		}
		words = append(words, w)
		if found < 0 && q.matches(text[w.start:w.end]) {
			found = len(words) - 1
			for found > 0 && words[found].start-words[0].start > maxSnippetLen/2 {
				words, found = words[1:], found-1 // long words before: the word found shows
			}
		}
		return found < 0 || len(words) < snippetWords
	})
	if found < 0 {
		if !orStart {
			return ""
		}
		words = words[:0]
		eachWord(text, func(w span) bool { words = append(words, w); return len(words) < snippetWords })
	}
	if len(words) == 0 {
		return ""
	}
	return snippetText(text, words[0].start, words[len(words)-1].end)
}

// snippetText returns text[from:to] on one line, cut to maxSnippetLen
// characters, with "…" where text goes on before or after.
func snippetText(text string, from, to int) string {
	hasWord := func(s string) bool { return strings.ContainsFunc(s, isLetterOrDigit) }
	if to-from > 4*maxSnippetLen { // collapsed, no more than maxSnippetLen are kept
		for to = from + 4*maxSnippetLen; !utf8.RuneStart(text[to]); to-- {
		}
	}
	s := strings.Join(strings.Fields(text[from:to]), " ")
	more := hasWord(text[to:])
	if utf8.RuneCountInString(s) > maxSnippetLen {
		s, more = string([]rune(s)[:maxSnippetLen]), true
	}
	if hasWord(text[:from]) {
		s = "…" + s
	}
	if more {
		s += "…"
	}
	return s
}

// matches reports whether word is one of q's words, ignoring case and
// accents as the index does (the last as a prefix).
func (q searchQuery) matches(word string) bool {
	for i, qw := range q.folded {
		starts, whole := foldedPrefix(word, qw)
		if whole || q.prefix && i == len(q.folded)-1 && starts {
			return true
		}
	}
	return false
}

// searchResult reads the objects a hit shows.
func (db *DB) searchResult(ctx context.Context, h hit, viewer string) (SearchResult, error) {
	r := SearchResult{Kind: h.kind}
	switch h.kind {
	case KindPostDoc:
		id, err := db.idBySeq(ctx, "posts", h.seq)
		if err != nil {
			return r, err
		}
		p, err := db.Post(ctx, events.PostID(id), events.UserID(viewer))
		r.Post = &p
		return r, err
	case KindCommentDoc:
		id, err := db.idBySeq(ctx, "comments", h.seq)
		if err != nil {
			return r, err
		}
		c, err := db.Comment(ctx, events.CommentID(id), events.UserID(viewer))
		if err != nil {
			return r, err
		}
		p, err := db.Post(ctx, events.PostID(c.PostID), events.UserID(viewer))
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
