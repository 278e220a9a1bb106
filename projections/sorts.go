package projections

import (
	"strconv"
	"strings"
	"time"

	"forum/fault"
)

// PostSort is the order of a list of posts.
type PostSort string

// The sorts of a list of posts.
const (
	// SortNew: newest post first.
	SortNew PostSort = "new"
	// SortLatest: the post or newest comment last written first.
	SortLatest PostSort = "latest"
	// SortTop: most likes minus dislikes first, newest first among equals.
	SortTop PostSort = "top"
)

// Period bounds the top list to the posts created within it.
type Period string

// The periods of the top list.
const (
	PeriodDay   Period = "day"
	PeriodWeek  Period = "week"
	PeriodMonth Period = "month"
	PeriodYear  Period = "year"
	PeriodAll   Period = "all"
)

var periodLengths = map[Period]time.Duration{
	PeriodDay: 24 * time.Hour, PeriodWeek: 7 * 24 * time.Hour, PeriodMonth: 30 * 24 * time.Hour, PeriodYear: 365 * 24 * time.Hour, PeriodAll: 0,
}

// ParseSort reads the sort and period of a list of posts ("" for the
// defaults: new, and all for top); a period goes with top only.
func ParseSort(sort, period string) (PostSort, Period, error) {
	s := PostSort(sort)
	switch s {
	case "":
		s = SortNew
	case SortNew, SortLatest, SortTop:
	default:
		return "", "", fault.FieldError(fault.EINVALID, "sort", `sort must be "new", "latest" or "top"`)
	}
	p := Period(period)
	if _, ok := periodLengths[p]; !ok && p != "" {
		return "", "", fault.FieldError(fault.EINVALID, "period", `period must be "day", "week", "month", "year" or "all"`)
	}
	if p != "" && s != SortTop {
		return "", "", fault.FieldError(fault.EINVALID, "period", "period goes with sort=top only")
	}
	if s == SortTop && p == "" {
		p = PeriodAll
	}
	return s, p, nil
}

// TimeBound reports whether the list f asks for changes with the clock
// alone (top within a period), so that an answer may not be kept.
func (f PostFilter) TimeBound() bool {
	return f.Sort == SortTop && f.Period != "" && f.Period != PeriodAll
}

// postOrder is how one sort of the posts list walks its index: the tables
// that drive the scan (joined to posts p), the ORDER BY, and the bound a
// cursor sets. byVotes and byCategory say which filter the driver serves.
type postOrder struct {
	from, order string
	bound       string
	boundArgs   []any
	byVotes     bool
	byCategory  bool
}

// orderOf returns the walk of f's sort, its cursor decoded.
func orderOf(f PostFilter) (o postOrder, err error) {
	switch f.Sort {
	case SortLatest:
		return latestOrder(f)
	case SortTop:
		return topOrder(f)
	}
	before, err := decodeBefore(f.Cursor)
	if err != nil {
		return o, otherSortCursor(f.Cursor, err)
	}
	switch {
	case f.LikedBy != "" || f.DislikedBy != "":
		o = postOrder{from: ` FROM votes v JOIN posts p ON p.id = v.target_id`, order: "v.target_seq DESC", bound: "v.target_seq < ?", byVotes: true}
	case f.Category != "":
		o = postOrder{from: ` FROM post_categories pc JOIN posts p ON p.id = pc.post_id`, order: "pc.post_seq DESC", bound: "pc.post_seq < ?", byCategory: true}
	case f.Author != "":
		o = postOrder{from: ` FROM posts p INDEXED BY posts_author_seq`, order: "p.seq DESC", bound: "p.seq < ?"}
	default:
		o = postOrder{from: ` FROM posts p`, order: "p.seq DESC", bound: "p.seq < ?"}
	}
	o.boundArgs = []any{before}
	return o, nil
}

// latestOrder walks the posts by last activity, a category's by its own index.
func latestOrder(f PostFilter) (o postOrder, err error) {
	o = postOrder{from: ` FROM posts p INDEXED BY posts_latest`, order: "p.activity_seq DESC", bound: "p.activity_seq < ?"}
	if f.Category != "" {
		o = postOrder{from: ` FROM post_categories pc INDEXED BY post_categories_latest JOIN posts p ON p.id = pc.post_id`,
			order: "pc.activity_seq DESC", bound: "pc.activity_seq < ?", byCategory: true}
	}
	before := uint64(1<<63 - 1)
	if f.Cursor != "" {
		part, key, err := decodePartCursor(f.Cursor)
		n, perr := strconv.ParseInt(key, 10, 64)
		if err != nil || part != "l" || perr != nil || n <= 0 {
			return o, otherSortCursor(f.Cursor, err)
		}
		before = uint64(n)
	}
	o.boundArgs = []any{before}
	return o, nil
}

// topOrder walks the posts by score then sequence, from the highest,
// created within f's period; a category's by its own index.
func topOrder(f PostFilter) (o postOrder, err error) {
	o = postOrder{from: ` FROM posts p INDEXED BY posts_top`, order: "p.score DESC, p.seq DESC", bound: "(p.score, p.seq) < (?, ?)"}
	created := "p.created_at"
	if f.Category != "" {
		o = postOrder{from: ` FROM post_categories pc INDEXED BY post_categories_top JOIN posts p ON p.id = pc.post_id`,
			order: "pc.score DESC, pc.post_seq DESC", bound: "(pc.score, pc.post_seq) < (?, ?)", byCategory: true}
		created = "pc.created_at"
	}
	score, seq := int64(1<<63-1), int64(1<<63-1)
	if f.Cursor != "" {
		part, key, err := decodePartCursor(f.Cursor)
		fields := strings.Split(key, ":")
		if err != nil || part != "t" || len(fields) != 3 {
			return o, otherSortCursor(f.Cursor, err)
		}
		if Period(fields[0]) != f.Period {
			return o, fault.FieldError(fault.EINVALID, "cursor", "cursor is of the top list of another period ("+fields[0]+")")
		}
		var serr, qerr error
		score, serr = strconv.ParseInt(fields[1], 10, 64)
		seq, qerr = strconv.ParseInt(fields[2], 10, 64)
		if serr != nil || qerr != nil || seq <= 0 {
			return o, otherSortCursor(f.Cursor, nil)
		}
	}
	o.boundArgs = []any{score, seq}
	if length := periodLengths[f.Period]; length > 0 {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		o.bound += " AND " + created + " >= ?"
		o.boundArgs = append(o.boundArgs, FormatTime(now.Add(-length)))
	}
	return o, nil
}

// otherSortCursor is the error of a cursor its sort cannot read: one of
// another sort says so, any other is not one this server gave out.
func otherSortCursor(c string, err error) error {
	sort := ""
	if _, perr := decodeCursor(c); perr == nil {
		sort = string(SortNew)
	} else if part, _, perr := decodePartCursor(c); perr == nil {
		sort = map[string]string{"l": string(SortLatest), "t": string(SortTop)}[part]
	}
	if sort != "" {
		return fault.FieldError(fault.EINVALID, "cursor", "cursor is of another sort ("+sort+")")
	}
	if err != nil {
		return err
	}
	return fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
}

// cursorOf returns the cursor of the page after post p in f's sort.
func cursorOf(f PostFilter, p Post) *string {
	switch f.Sort {
	case SortLatest:
		return encodePartCursor("l", strconv.FormatUint(p.activitySeq, 10))
	case SortTop:
		return encodePartCursor("t", string(f.Period)+":"+strconv.Itoa(p.score)+":"+strconv.FormatUint(p.Seq, 10))
	}
	return encodeCursor(p.Seq)
}
