// Package projections folds the events of the stream into SQLite read models,
// answers queries over them, rebuilds them from scratch or as of a past moment,
// and publishes a change feed after every commit. Only this package writes to
// SQLite, and only from events.
package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"forum/schemas"

	_ "modernc.org/sqlite"
)

// projectorVersion is bumped whenever an apply function changes what it
// writes, so existing read models are rebuilt on the next start.
const projectorVersion = 26

// DB is the read models: one writer connection for the projector and a pool
// of readers for queries (WAL lets them run side by side), on a file that
// an online rebuild may replace while they serve (Projector.RebuildOnline).
type DB struct {
	path string // the name the read models go by; may link to a file built online
	cur  atomic.Pointer[dbFile]
	memo *memos // answers kept in memory (memo.go)
	// searchBudgets are the times a search may take ranked and newest
	// first (rankBudget and newestBudget unless SetSearchBudgets).
	searchBudgets atomic.Pointer[[2]time.Duration]
}

// SetSearchBudgets sets the time a search may take ranked by relevance,
// and then newest first (see rankBudget): an instance on slow storage may
// allow more.
func (db *DB) SetSearchBudgets(ranked, newest time.Duration) {
	db.searchBudgets.Store(&[2]time.Duration{ranked, newest})
}

// dbFile is one read-model file and its connections.
type dbFile struct {
	path   string // the file itself
	w, r   *sql.DB
	rstmts *stmtCache // statements prepared on r
	wstmts *stmtCache // statements prepared on w: the projector's
}

func (db *DB) wr() *sql.DB { return db.cur.Load().w }
func (db *DB) rd() *sql.DB { return db.cur.Load().r }

// query runs query on the reader pool, prepared once.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	f := db.cur.Load()
	st, err := f.rstmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return f.r.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a one-row query on the reader pool, prepared once.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) scanner {
	f := db.cur.Load()
	st, err := f.rstmts.get(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if st == nil {
		return f.r.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// dsn is the data source name of a connection to the read models.
// secure_delete: what is deleted or overwritten (an erased user's data) is
// zeroed in the file, not only unlinked.
func dsn(path string, write bool) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-32000)", "secure_delete(ON)"} {
		q.Add("_pragma", p)
	}
	if write {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// OpenDB opens (or creates) the read models at path. If the file was written
// by another schema or projector version, or cannot be read (a corrupt
// file: moved aside to path+".corrupt"), it is created afresh, so the
// projector rebuilds it from the stream; rebuilt reports that.
func OpenDB(path string) (db *DB, rebuilt bool, err error) {
	version, err := schemas.Version(projectorVersion)
	if err != nil {
		return nil, false, err
	}
	var have string
	db, err = openDB(path)
	if err == nil {
		if have, err = db.meta(context.Background(), "schema_version"); err == nil {
			_, err = db.Checkpoint(context.Background())
		}
		if err != nil {
			db.Close()
		}
	}
	if err != nil {
		// Unreadable: keep it for a look, and start over from the stream.
		if _, serr := os.Stat(path); serr != nil {
			return nil, false, err // no file to blame
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		if rerr := os.Rename(path, path+".corrupt"); rerr != nil {
			return nil, false, fmt.Errorf("%w; and it could not be moved aside: %v", err, rerr)
		}
		if db, err = openDB(path); err != nil {
			return nil, false, err
		}
		have, rebuilt = "", true
	}
	if have == version {
		return db, false, nil
	}
	if have != "" {
		db.Close()
		if err := removeDB(path); err != nil {
			return nil, false, err
		}
		if db, err = openDB(path); err != nil {
			return nil, false, err
		}
		rebuilt = true
	}
	if err := db.createSchema(version); err != nil {
		db.Close()
		return nil, false, err
	}
	return db, rebuilt, nil
}

func openDB(name string) (*DB, error) {
	path := name
	if real, err := filepath.EvalSymlinks(name); err == nil {
		path = real // open the file itself: its journal is named after it
	}
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := w.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{path: name, memo: newMemos()}
	db.cur.Store(&dbFile{path: path, w: w, r: r, rstmts: newStmtCache(r), wstmts: newStmtCache(w)})
	return db, nil
}

func removeDB(path string) error {
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		if err := removeFiles(real); err != nil {
			return err
		}
	}
	return removeFiles(path)
}

func removeFiles(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove old read models: %w", err)
		}
	}
	return nil
}

func (db *DB) createSchema(version string) error {
	files, err := schemas.SQL()
	if err != nil {
		return err
	}
	tx, err := db.wr().Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, f := range files {
		if _, err := tx.Exec(f); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES ('schema_version', ?), ('seq', '0')`, version); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return tx.Commit()
}

// meta returns a value of the meta table, "" if it or the table is missing.
func (db *DB) meta(ctx context.Context, key string) (string, error) {
	var exists int
	if err := db.wr().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'`).Scan(&exists); err != nil {
		return "", fmt.Errorf("read meta: %w", err)
	}
	if exists == 0 {
		return "", nil
	}
	var v string
	err := db.wr().QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// Checkpoint returns the stream sequence of the last event applied.
func (db *DB) Checkpoint(ctx context.Context) (uint64, error) {
	v, err := db.meta(ctx, "seq")
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

// Path returns the file the read models live in.
func (db *DB) Path() string { return db.path }

// Close closes both pools, checkpointing the WAL into the main file.
func (db *DB) Close() error { return db.cur.Load().close() }

func (f *dbFile) close() error {
	f.rstmts.close()
	f.wstmts.close()
	f.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return errors.Join(f.r.Close(), f.w.Close())
}

// QuarantinedEvent is an event the read models went past: its position,
// subject, type (as its header said) and why it could not be applied.
type QuarantinedEvent struct {
	Seq     uint64 `json:"seq"`
	Subject string `json:"subject"`
	Type    string `json:"type"`
	Reason  string `json:"reason"`
}

// Quarantined returns the events in quarantine, oldest first (at most 1,000).
func (db *DB) Quarantined(ctx context.Context) ([]QuarantinedEvent, error) {
	page, err := readList(ctx, db, list[QuarantinedEvent]{
		query: `SELECT seq, subject, type, reason FROM quarantine ORDER BY seq LIMIT 1000`,
		scan: func(row scanner) (q QuarantinedEvent, err error) {
			err = row.Scan(&q.Seq, &q.Subject, &q.Type, &q.Reason)
			return q, err
		},
	})
	return page.Items, err
}

func (db *DB) quarantineCount(ctx context.Context) (uint64, error) {
	var n uint64
	err := db.wr().QueryRowContext(ctx, `SELECT count(*) FROM quarantine`).Scan(&n)
	return n, err
}

// StreamID names the stream the read models were built from: when it was
// created and its first sequence. A stream deleted and made again, or
// another one, has another; so has one restored from an older copy.
type StreamID struct {
	Created  time.Time
	FirstSeq uint64
	LastSeq  uint64
}

// Follows reports whether the read models were built from stream id (or
// from nothing yet), and why not otherwise: then they must be rebuilt.
func (db *DB) Follows(ctx context.Context, id StreamID) (bool, string, error) {
	created, err := db.meta(ctx, "stream_created")
	if err != nil {
		return false, "", err
	}
	seq, err := db.Checkpoint(ctx)
	if err != nil {
		return false, "", err
	}
	switch {
	case created != "" && created != id.Created.UTC().Format(time.RFC3339Nano):
		return false, "the stream was made anew since the read models were built", nil
	case seq > id.LastSeq:
		return false, fmt.Sprintf("the read models stand at %d, past the stream's last event %d: it was rolled back", seq, id.LastSeq), nil
	}
	return true, "", nil
}

// Identifier is a stream that can say which one it is: when it was made,
// and its first and last sequence.
type Identifier interface {
	Identity(ctx context.Context) (created time.Time, first, last uint64, err error)
}

// OpenFor opens the read models at path to follow stream, the road every
// start takes. Read models of another schema or projector version,
// unreadable ones (moved aside, as OpenDB does) and ones built from another
// stream (made anew, or rolled back) are never left to diverge: they are
// replaced by an empty file, which the projector fills from the stream
// (Run, in bulk on a long stream), and that is logged. The read models
// remember which stream they follow.
func OpenFor(ctx context.Context, path string, stream Identifier, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db, rebuilt, err := OpenDB(path)
	if err != nil {
		return nil, err
	}
	if rebuilt {
		logger.Info("read models of another schema, or unreadable: rebuilding from the stream", "path", path)
	}
	created, first, last, err := stream.Identity(ctx)
	id := StreamID{Created: created, FirstSeq: first, LastSeq: last}
	ok, why := true, ""
	if err == nil {
		ok, why, err = db.Follows(ctx, id)
	}
	if err == nil && !ok {
		logger.Warn("read models of another stream: rebuilding from this one", "why", why, "path", path)
		db.Close()
		if err := removeDB(path); err != nil {
			return nil, err
		}
		if db, _, err = OpenDB(path); err != nil {
			return nil, err
		}
	}
	if err == nil {
		err = db.Remember(ctx, id)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Remember records that the read models follow stream id.
func (db *DB) Remember(ctx context.Context, id StreamID) error {
	return db.setMeta(ctx, "stream_created", id.Created.UTC().Format(time.RFC3339Nano))
}

// setMeta sets a value of the meta table.
func (db *DB) setMeta(ctx context.Context, key, value string) error {
	if _, err := db.wr().ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write meta %s: %w", key, err)
	}
	return nil
}

// Remove deletes the read-model file at path and its journal, for a rebuild
// from scratch; db must be closed.
func Remove(path string) error { return removeDB(path) }

// applyIndexes are the secondary indexes an apply function looks rows up
// by (a read receipt counts a conversation's unread messages, a mention
// finds its user by nickname, a hidden post's thread is found by post, a
// post finds its newest participant, a changed password ends its account's
// sessions): they stay through a bulk load. TestBulkLoadKeepsWhatApplyNeeds
// checks that no apply statement scans a whole table without the others.
var applyIndexes = map[string]bool{"messages_conv_seq": true, "users_nickname_key": true, "flags_target": true, "comments_post_seq": true,
	"post_participants_recent": true, "uploads_owner": true, "sessions_user": true, "mail_tokens_user": true}

// deferredTriggers are the triggers a bulk load drops, each with the
// statement that sets at once, after the load, every value it would have
// kept up to date row by row. Besides its own cost, a trigger makes its
// statement write under a statement journal, and opening one flushes the
// full-text tables' pending terms to a segment of their own: a trigger
// fired once per comment would cut the search index into a segment per
// comment, merged again and again.
var deferredTriggers = map[string]string{
	// A post's score and activity, copied into its categories' rows.
	"posts_rank_to_categories": `UPDATE post_categories SET score = p.likes - p.dislikes, activity_seq = p.activity_seq
		FROM posts p WHERE p.seq = post_categories.post_seq`,
}

// bulkLoad readies a fresh file for a rebuild: no waiting for the disk
// and a rollback journal in memory (a crash means starting over, and the
// file is not in use yet), no secondary index that applying does not
// need and none of the deferredTriggers: those indexes are built once,
// after the load, which is faster than keeping them up to date row by row,
// and what those triggers keep is set in one statement each. finish does
// both, puts the triggers back and puts the file in its serving mode (WAL,
// synchronous=NORMAL).
func (db *DB) bulkLoad(ctx context.Context) (finish func(context.Context) error, err error) {
	w := db.wr()
	for _, p := range []string{`PRAGMA synchronous = OFF`, `PRAGMA journal_mode = MEMORY`} {
		if _, err := w.ExecContext(ctx, p); err != nil {
			return nil, fmt.Errorf("bulk load: %s: %w", p, err)
		}
	}
	triggers, err := db.dropDeferred(ctx, "trigger", func(name string) bool { return deferredTriggers[name] != "" })
	if err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	deferred, err := db.dropDeferredIndexes(ctx)
	if err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	return func(ctx context.Context) error {
		for _, t := range triggers {
			if _, err := w.ExecContext(ctx, deferredTriggers[t.name]); err != nil {
				return fmt.Errorf("after the bulk load: %s: %w", t.name, err)
			}
		}
		for _, create := range slices.Concat(deferred, createStatements(triggers)) {
			if _, err := w.ExecContext(ctx, create); err != nil {
				return fmt.Errorf("after the bulk load: %s: %w", create, err)
			}
		}
		for _, p := range []string{`PRAGMA journal_mode = WAL`, `PRAGMA synchronous = NORMAL`} {
			if _, err := w.ExecContext(ctx, p); err != nil {
				return fmt.Errorf("after the bulk load: %s: %w", p, err)
			}
		}
		return nil
	}, nil
}

// dropDeferredIndexes drops every secondary index but applyIndexes and
// returns the statements that create them again.
func (db *DB) dropDeferredIndexes(ctx context.Context) ([]string, error) {
	dropped, err := db.dropDeferred(ctx, "index", func(name string) bool { return !applyIndexes[name] })
	return createStatements(dropped), err
}

// schemaObject is an index or trigger of the schema: its name and the
// statement that creates it.
type schemaObject struct{ name, create string }

// createStatements returns the statements that create objs, in order.
func createStatements(objs []schemaObject) []string {
	creates := make([]string, len(objs))
	for i, o := range objs {
		creates[i] = o.create
	}
	return creates
}

// dropDeferred drops the objects of a type ("index" or "trigger") that
// defer selects by name, and returns them, in the order of their names.
func (db *DB) dropDeferred(ctx context.Context, typ string, deferred func(name string) bool) ([]schemaObject, error) {
	w := db.wr()
	rows, err := w.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL ORDER BY name`, typ)
	if err != nil {
		return nil, err
	}
	var objs []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.name, &o.create); err != nil {
			rows.Close()
			return nil, err
		}
		if deferred(o.name) {
			objs = append(objs, o)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	for _, o := range objs {
		if _, err := w.ExecContext(ctx, `DROP `+strings.ToUpper(typ)+` `+o.name); err != nil {
			return nil, fmt.Errorf("drop %s: %w", o.name, err)
		}
	}
	return objs, nil
}
