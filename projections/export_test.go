package projections

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// AppliedQueries returns the statements the projector has prepared on db's
// writer: every query an apply function has run.
func AppliedQueries(db *DB) []string {
	c := db.cur.Load().wstmts
	c.mu.Lock()
	defer c.mu.Unlock()
	var qs []string
	for q := range c.m {
		qs = append(qs, q)
	}
	return qs
}

// DropDeferredIndexes drops the indexes a bulk load builds only after it.
func DropDeferredIndexes(ctx context.Context, db *DB) error {
	_, err := db.dropDeferredIndexes(ctx)
	return err
}

// ExplainForTest returns the steps of SQLite's plan for query on db's
// writer, its parameters unbound.
func ExplainForTest(ctx context.Context, db *DB, query string) ([]string, error) {
	n := 0
	for _, m := range regexp.MustCompile(`\?(\d*)`).FindAllStringSubmatch(query, -1) {
		if m[1] == "" {
			n++
		} else if i, _ := strconv.Atoi(m[1]); i > n {
			n = i
		}
	}
	args := make([]any, n)
	rows, err := db.wr().QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		steps = append(steps, detail)
	}
	return steps, rows.Err()
}

// LookUpPostVotes reads a user's votes on posts as for a user with too
// many votes to keep in memory.
func LookUpPostVotes(ctx context.Context, db *DB, user string, ids []string) (map[string]int, error) {
	return db.lookUpPostVotes(ctx, user, ids)
}

// SessionsForgotten counts the times the kept sessions were forgotten.
func SessionsForgotten(db *DB) uint64 {
	_, tok, _ := db.memo.sessions.get("")
	return tok.gen
}

// SetLoadFrom sets the shortest stream p loads in bulk on start.
func SetLoadFrom(p *Projector, n uint64) { p.loadFrom = n }

// CategorySlugs returns the category slugs as db answers them, memo included.
func CategorySlugs(ctx context.Context, db *DB) (map[string]bool, error) {
	return db.categorySlugs(ctx)
}

// SetMaxWatchNotices sets the fan-out bound of watching to n and returns
// what puts it back. Only a test that is not parallel may call it.
func SetMaxWatchNotices(n int) (restore func()) {
	old := maxWatchNotices
	maxWatchNotices = n
	return func() { maxWatchNotices = old }
}

// LookUpMines reads a user's marks on posts as for a user with too many
// marks to keep in memory.
func LookUpMines(ctx context.Context, db *DB, user string, ids []string) (map[string]*Mine, error) {
	states, err := db.readStates(ctx, user, ids)
	if err != nil {
		return nil, err
	}
	mines := make(map[string]*Mine, len(ids))
	for _, id := range ids {
		st := states[id]
		mines[id] = &Mine{Read: st.Read, UnreadComments: st.UnreadComments, FirstUnread: st.FirstUnread}
	}
	for _, look := range markLookups {
		if err := look(ctx, db, user, ids, mines); err != nil {
			return nil, err
		}
	}
	return mines, nil
}

// SetMaxMarkSet sets how many marks of a reader are kept at most, until
// the test ends.
func SetMaxMarkSet(t testing.TB, n int) {
	old := maxMarkSetSize
	maxMarkSetSize = n
	t.Cleanup(func() { maxMarkSetSize = old })
}

// BulkBatch is how many events a transaction of a rebuild applies.
const BulkBatch = bulkBatch

// RawTable is one table's rows, each with a value per column of Cols.
type RawTable struct {
	Name string
	Cols []string
	Rows [][]any
}

// RawLoad writes tables into the fresh read models db the way a rebuild
// loads a file, without a projector: the same pragmas, the same indexes
// and triggers put off until the end and that end itself (bulkLoad), each
// row an INSERT prepared once per transaction, the rows cut into txs
// transactions of equal size. It returns the rows written.
func RawLoad(ctx context.Context, db *DB, tables []RawTable, txs int) (int, error) {
	finish, err := db.bulkLoad(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tables {
		total += len(t.Rows)
	}
	perTx := (total + txs - 1) / max(txs, 1)
	w := db.wr()
	var tx *sql.Tx
	stmts := map[string]*sql.Stmt{}
	written := 0
	for _, t := range tables {
		query := `INSERT INTO ` + t.Name + `(` + strings.Join(t.Cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(t.Cols)-1) + `)`
		for _, row := range t.Rows {
			if tx == nil {
				if tx, err = w.BeginTx(ctx, nil); err != nil {
					return written, err
				}
				clear(stmts)
			}
			st, ok := stmts[t.Name]
			if !ok {
				if st, err = tx.PrepareContext(ctx, query); err != nil {
					tx.Rollback()
					return written, err
				}
				stmts[t.Name] = st
			}
			if _, err := st.ExecContext(ctx, row...); err != nil {
				tx.Rollback()
				return written, fmt.Errorf("%s: %w", t.Name, err)
			}
			if written++; written%perTx == 0 {
				if err := tx.Commit(); err != nil {
					return written, err
				}
				tx = nil
			}
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return written, err
		}
	}
	return written, finish(ctx)
}
