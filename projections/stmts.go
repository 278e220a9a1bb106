package projections

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxStmts bounds the statements a cache keeps. The forum's queries are
// constants, far fewer than this; a query past the bound runs unprepared.
const maxStmts = 256

// stmtCache keeps the statements run on one connection pool prepared, so
// SQLite parses and plans a query once per connection instead of on every
// call (database/sql prepares a Stmt lazily on each connection it meets).
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// lookupOrNil returns query if it is prepared already, or nil (also when
// the cache itself is nil).
func (c *stmtCache) lookupOrNil(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns query prepared on the pool, or nil when the cache is full.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= maxStmts {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
	}
	c.m[query] = st
	return st, nil
}

// close closes every statement of the cache.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// readTx is a read transaction whose queries use the pool's prepared
// statements.
type readTx struct {
	tx    *sql.Tx
	stmts *stmtCache
}

func (t readTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := t.stmts.get(ctx, query)
	if st == nil || err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st), nil
}

// QueryContext runs query in the transaction.
func (t readTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query in the transaction.
func (t readTx) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if st == nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
