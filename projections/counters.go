package projections

import (
	"cmp"
	"fmt"
	"slices"
)

// A counter is a count column of one row: users' post and comment counts,
// posts' and comments' likes, dislikes and comment counts, categories'
// post counts. Apply functions move counters with bump; the moves are
// folded in memory and written once per row and column when the batch
// commits (applier.flushCounters), so a batch with a thousand comments on
// one post updates that post once. No apply function reads a counter, so
// nothing in the batch sees them unwritten.
type counter struct {
	count count
	key   string // the row's key
}

// count is one counted column of one table.
type count int

// The counted columns.
const (
	userPosts count = iota + 1
	userComments
	postComments
	postLikes
	postDislikes
	commentLikes
	commentDislikes
	categoryPosts
	postViews
)

// countColumns names each count's table, its column and the table's key
// column.
var countColumns = [...]struct{ table, column, key string }{
	userPosts:       {"users", "post_count", "id"},
	userComments:    {"users", "comment_count", "id"},
	postComments:    {"posts", "comment_count", "id"},
	postLikes:       {"posts", "likes", "id"},
	postDislikes:    {"posts", "dislikes", "id"},
	commentLikes:    {"comments", "likes", "id"},
	commentDislikes: {"comments", "dislikes", "id"},
	categoryPosts:   {"categories", "post_count", "slug"},
	postViews:       {"posts", "view_count", "id"},
}

// column returns c's table, its column and the table's key column; ok is
// false for no count.
func (c count) column() (table, column, key string, ok bool) {
	if c <= 0 || int(c) >= len(countColumns) {
		return "", "", "", false
	}
	col := countColumns[c]
	return col.table, col.column, col.key, true
}

// bump moves the count c of the row key by delta.
func (a *applier) bump(c count, key string, delta int) {
	if delta == 0 {
		return
	}
	if a.counters == nil {
		a.counters = map[counter]int{}
	}
	a.counters[counter{c, key}] += delta
}

// flushCounters writes the folded counter moves, in a fixed order.
func (a *applier) flushCounters() error {
	type move struct {
		table, column, keyCol, key string
		delta                      int
	}
	moves := make([]move, 0, len(a.counters))
	for c, delta := range a.counters {
		if delta == 0 {
			continue
		}
		table, column, keyCol, ok := c.count.column()
		if !ok {
			return fmt.Errorf("counter %d: no such count", c.count)
		}
		moves = append(moves, move{table, column, keyCol, c.key, delta})
	}
	slices.SortFunc(moves, func(x, y move) int {
		return cmp.Or(cmp.Compare(x.table, y.table), cmp.Compare(x.column, y.column), cmp.Compare(x.key, y.key))
	})
	for _, m := range moves {
		// Table and column names come from count.column's constants.
		if _, err := a.exec(`UPDATE `+m.table+` SET `+m.column+` = `+m.column+` + ? WHERE `+m.keyCol+` = ?`, m.delta, m.key); err != nil {
			return err
		}
	}
	clear(a.counters)
	return nil
}
