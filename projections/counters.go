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
	table, column, key string
}

// counterKeys names each counted table's key column.
var counterKeys = map[string]string{"users": "id", "posts": "id", "comments": "id", "categories": "slug"}

// bump moves the counter (table, column) of the row key by delta.
func (a *applier) bump(table, column, key string, delta int) {
	if delta == 0 {
		return
	}
	if a.counters == nil {
		a.counters = map[counter]int{}
	}
	a.counters[counter{table, column, key}] += delta
}

// flushCounters writes the folded counter moves, in a fixed order.
func (a *applier) flushCounters() error {
	keys := make([]counter, 0, len(a.counters))
	for c, delta := range a.counters {
		if delta != 0 {
			keys = append(keys, c)
		}
	}
	slices.SortFunc(keys, func(x, y counter) int {
		return cmp.Or(cmp.Compare(x.table, y.table), cmp.Compare(x.column, y.column), cmp.Compare(x.key, y.key))
	})
	for _, c := range keys {
		keyCol, ok := counterKeys[c.table]
		if !ok {
			return fmt.Errorf("counter of table %q, which has none", c.table)
		}
		// Table and column names come from the apply functions' constants.
		if _, err := a.exec(`UPDATE `+c.table+` SET `+c.column+` = `+c.column+` + ? WHERE `+keyCol+` = ?`, a.counters[c], c.key); err != nil {
			return err
		}
	}
	clear(a.counters)
	return nil
}
