package projections

import (
	"context"
	"strconv"
	"sync"

	"forum/events"
)

// A reader's own marks on posts (watch levels on posts and categories,
// bookmarks, reactions, how far they read each post they opened) are kept
// in memory while they read, like their votes (votesets.go), so that a
// signed-in page needs no query but for the posts with comments after the
// reader's position (how many, and which first: those move with others'
// comments). Bounded: a reader with more than maxMarkSetSize marks is not
// kept (their pages look them up by index), and past maxMarkSetTotal marks
// in all the sets are forgotten and read again as needed. A reader's set
// is forgotten when a batch with an event that changes their marks commits
// (invalidatesMarksOf in handlers.go), but for their reads (a read event,
// a post or a comment they wrote), which move its read positions in place
// (postRead notes them, afterCommit moves them): the most frequent writes
// of the forum do not make a reader's next page read everything again.
var maxMarkSetSize = 20_000 // a variable for tests

const maxMarkSetTotal = 400_000

// readerMarks are one reader's own marks on posts. Shared by every page the
// reader is served while kept: read only but for reads, under mu. For a
// reader with too many marks to keep, only oversize is set (kept, so that
// their pages do not count their marks again until one changes).
type readerMarks struct {
	oversize bool

	postWatch map[string]events.WatchLevel // post id → the level set on it
	catWatch  map[string]events.WatchLevel // category slug → watching or muted
	bookmarks map[string]bool
	reactions map[string][]string // post id → names, in the forum's order

	mu    sync.RWMutex
	reads map[string]uint64 // post id → the sequence read up to, for every post opened
}

func (m *readerMarks) weight() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return 1 + len(m.postWatch) + len(m.catWatch) + len(m.bookmarks) + len(m.reactions) + len(m.reads)
}

// moveRead moves the reader's position on post forward to upTo, as
// postRead does in the read models.
func (m *readerMarks) moveRead(post string, upTo uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.oversize {
		return
	}
	if at, ok := m.reads[post]; !ok || at < upTo {
		m.reads[post] = upTo
	}
}

// readMove is a reader's position moved by postRead: kept readers' marks
// follow it once its batch commits.
type readMove struct {
	user, post string
	upTo       uint64
}

// readerMarksQuery reads every mark of the reader ?1, at most ?2 rows.
const readerMarksQuery = `SELECT 'w', post_id, level FROM post_watches WHERE user_id = ?1
	UNION ALL SELECT 'c', slug, level FROM category_watches WHERE user_id = ?1
	UNION ALL SELECT 'b', post_id, '' FROM bookmarks WHERE user_id = ?1
	UNION ALL SELECT 'r', target_id, name FROM reactions WHERE user_id = ?1 AND kind = 'post'
	UNION ALL SELECT 'p', post_id, read_seq FROM post_reads WHERE user_id = ?1
	LIMIT ?2`

// marksOf returns user's marks from memory, reading them first if need
// be; ok is false for a reader with too many to keep (whose marks are
// then looked up page by page).
func (db *DB) marksOf(ctx context.Context, user string) (marks *readerMarks, ok bool, err error) {
	marks, tok, found := db.memo.marks.get(user)
	if found {
		return marks, !marks.oversize, nil
	}
	rows, err := db.query(ctx, readerMarksQuery, user, maxMarkSetSize+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	marks = &readerMarks{postWatch: map[string]events.WatchLevel{}, catWatch: map[string]events.WatchLevel{},
		bookmarks: map[string]bool{}, reactions: map[string][]string{}, reads: map[string]uint64{}}
	n := 0
	for rows.Next() {
		var kind, key, value string
		if err := rows.Scan(&kind, &key, &value); err != nil {
			return nil, false, err
		}
		switch kind {
		case "w":
			marks.postWatch[key] = events.WatchLevel(value)
		case "c":
			marks.catWatch[key] = events.WatchLevel(value)
		case "b":
			marks.bookmarks[key] = true
		case "r":
			marks.reactions[key] = append(marks.reactions[key], value)
		case "p":
			if marks.reads[key], err = strconv.ParseUint(value, 10, 64); err != nil {
				return nil, false, err
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if n > maxMarkSetSize {
		db.memo.marks.put(tok, user, &readerMarks{oversize: true})
		return nil, false, nil
	}
	for _, names := range marks.reactions {
		sortReactions(names)
	}
	db.memo.marks.put(tok, user, marks)
	return marks, true, nil
}

// level is the reader's watch level on post: as levelOf (watches.go) says
// in SQL.
func (m *readerMarks) level(post PostRef, reader string) events.WatchLevel {
	if l, ok := m.postWatch[post.ID]; ok {
		return l
	}
	muted := false
	for _, slug := range post.listed {
		switch m.catWatch[slug] {
		case events.WatchWatching:
			return events.WatchWatching
		case "":
		default:
			muted = true
		}
	}
	switch {
	case muted:
		return events.WatchMuted
	case post.author == reader:
		return events.WatchWatching
	}
	return events.WatchNormal
}

// mine returns the reader's marks on post, and whether their read state
// needs the post's comments looked at (readStates): when the reader opened
// it (or wrote it) and a comment that shows came after their position.
func (m *readerMarks) mine(post PostRef, reader string) (mine *Mine, unread bool) {
	m.mu.RLock()
	at, opened := m.reads[post.ID]
	m.mu.RUnlock()
	mine = &Mine{Read: opened || post.author == reader, MyReactions: m.reactions[post.ID], Bookmarked: m.bookmarks[post.ID],
		Watch: m.level(post, reader)}
	if mine.MyReactions == nil {
		mine.MyReactions = []string{}
	}
	return mine, mine.Read && !post.hidden && post.activitySeq > max(at, post.seq)
}
