package projections

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// maxStmts bounds the statements a cache keeps. The forum's queries are
// constants, far fewer than this; a query past the bound runs unprepared.
const maxStmts = 256

// stmtCache keeps the statements run on one connection pool prepared, so
// SQLite parses and plans a query once per connection instead of on every
// call (database/sql prepares a Stmt lazily on each connection it meets).
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // being prepared by prepareLater
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

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
// The lock is not held while preparing: preparing waits for a free
// connection, and a holder of one may be waiting for the lock.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxStmts
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.m[query]; ok {
		st.Close()
		return had, nil
	}
	if len(c.m) >= maxStmts {
		st.Close()
		return nil, nil
	}
	c.m[query] = st
	return st, nil
}

// prepareLater prepares query on the pool in the background, once at a
// time per query. A transaction holding a connection must not wait for
// another one to prepare on: with every connection so held, nobody would
// go on.
func (c *stmtCache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[query]; ok || c.pending[query] || len(c.m)+len(c.pending) >= maxStmts {
		return
	}
	c.pending[query] = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c.get(ctx, query) // a failure leaves the query unprepared; it runs as it is
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
	}()
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

// stmt returns query's prepared statement bound to the transaction, or nil
// when it is not prepared yet (it runs unprepared on the transaction's own
// connection this time).
func (t readTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st := t.stmts.lookupOrNil(query)
	if st == nil {
		t.stmts.prepareLater(query)
		return nil, nil
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
