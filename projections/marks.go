package projections

import (
	"context"
	"encoding/json"
	"slices"

	"forum/events"
)

// A reader's own marks on posts (watch levels on posts and categories,
// bookmarks, reactions) are kept in memory while they read, like their
// votes (votesets.go), so that a signed-in page needs one query for what
// the reader did not set themselves (their read states) rather than one
// per mark. Bounded: a reader with more than maxMarkSetSize marks is not
// kept (their pages look the marks up by index), and past maxMarkSetTotal
// marks in all the sets are forgotten and read again as needed. A reader's
// set is forgotten when a batch with an event that changes their marks
// commits (invalidatesMarksOf in handlers.go).
const (
	maxMarkSetSize  = 2000
	maxMarkSetTotal = 200_000
)

// readerMarks are one reader's own marks on posts. Shared by every page the
// reader is served while kept: read only.
type readerMarks struct {
	postWatch map[string]events.WatchLevel // post id → the level set on it
	catWatch  map[string]events.WatchLevel // category slug → watching or muted
	bookmarks map[string]bool
	reactions map[string][]string // post id → names, in the forum's order
}

func (m *readerMarks) weight() int {
	return 1 + len(m.postWatch) + len(m.catWatch) + len(m.bookmarks) + len(m.reactions)
}

// readerMarksQuery reads every mark of the reader ?1, at most ?2 rows.
const readerMarksQuery = `SELECT 'w', post_id, level FROM post_watches WHERE user_id = ?1
	UNION ALL SELECT 'c', slug, level FROM category_watches WHERE user_id = ?1
	UNION ALL SELECT 'b', post_id, '' FROM bookmarks WHERE user_id = ?1
	UNION ALL SELECT 'r', target_id, name FROM reactions WHERE user_id = ?1 AND kind = 'post'
	LIMIT ?2`

// marksOf returns user's marks from memory, reading them first if need
// be; ok is false for a reader with too many to keep.
func (db *DB) marksOf(ctx context.Context, user string) (marks *readerMarks, ok bool, err error) {
	marks, gen, found := db.memo.marks.get(user)
	if found {
		return marks, true, nil
	}
	rows, err := db.query(ctx, readerMarksQuery, user, maxMarkSetSize+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	marks = &readerMarks{postWatch: map[string]events.WatchLevel{}, catWatch: map[string]events.WatchLevel{},
		bookmarks: map[string]bool{}, reactions: map[string][]string{}}
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
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if n > maxMarkSetSize {
		return nil, false, nil
	}
	for _, names := range marks.reactions {
		sortReactions(names)
	}
	db.memo.marks.put(gen, user, marks)
	return marks, true, nil
}

// level is the reader's watch level on a post whose author and categories
// (those it is listed in: none once hidden or deleted) are given: as
// levelOf (watches.go) says in SQL.
func (m *readerMarks) level(post, author, reader string, categories []string) events.WatchLevel {
	if l, ok := m.postWatch[post]; ok {
		return l
	}
	muted := false
	for _, slug := range categories {
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
	case author == reader:
		return events.WatchWatching
	}
	return events.WatchNormal
}

// fill writes the reader's marks into mines (post id → its Mine); facts
// gives each post's author and listed categories.
func (m *readerMarks) fill(reader string, mines map[string]*Mine, facts map[string]postFacts) {
	for id, mine := range mines {
		f := facts[id]
		mine.Watch = m.level(id, f.author, reader, f.categories)
		mine.Bookmarked = m.bookmarks[id]
		mine.MyReactions = m.reactions[id]
		if mine.MyReactions == nil {
			mine.MyReactions = []string{}
		}
	}
}

// postFacts are what a post's marks are decided from beside the reader's.
type postFacts struct {
	author     string
	categories []string
}

// parseSlugs reads a JSON array of category slugs (nil for NULL).
func parseSlugs(list *string) ([]string, error) {
	if list == nil {
		return nil, nil
	}
	var slugs []string
	err := json.Unmarshal([]byte(*list), &slugs)
	return slices.Clip(slugs), err
}
