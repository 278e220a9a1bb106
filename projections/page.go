package projections

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"forum/fault"
)

// Page is one page of a list: Next is the cursor of the following page (nil
// on the last), Seq the stream sequence the read models were at when it was read.
type Page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
	Seq   uint64  `json:"seq"`
}

// PageRequest asks for one page of a list: at most Limit items (0: the
// list's default) after Cursor ("" for the first page).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Limits of list pages.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ClampLimit returns limit bounded to 1..MaxLimit, def when it is 0.
func ClampLimit(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, MaxLimit)
}

// Cursors are opaque to clients: base64 of the stream sequence of the last
// item returned. Keyset paging on it never repeats or skips an item.
func encodeCursor(seq uint64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(seq, 10)))
	return &s
}

// decodeCursor returns the sequence in cursor c ("" = from the start: 0).
func decodeCursor(c string) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := decodeBase64(c)
	if err == nil {
		// ParseInt: SQLite integers are signed 64-bit, so a larger sequence
		// cannot be a bound and must not reach the driver.
		if seq, perr := strconv.ParseInt(string(b), 10, 64); perr == nil && seq > 0 {
			return uint64(seq), nil
		}
	}
	return 0, fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
}

// decodeBase64 decodes c, accepting only the spelling encodeCursor makes
// (the decoder alone would skip line breaks and ignore stray bits).
func decodeBase64(c string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err == nil && base64.RawURLEncoding.EncodeToString(b) != c {
		err = errors.New("not canonical base64")
	}
	return b, err
}

// decodeBefore is decodeCursor for lists that page back from the newest:
// no cursor means before everything.
func decodeBefore(c string) (uint64, error) {
	seq, err := decodeCursor(c)
	if seq == 0 && err == nil {
		seq = 1<<63 - 1
	}
	return seq, err
}

// scanner is a row being read: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// list is one list read. A paged list's query ends in "LIMIT ?": readList
// asks for one row more than limit, to know whether a next page exists, and
// the cursor of the next page is key of the last item. An unpaged one
// (limit 0) returns every row.
type list[T any] struct {
	query string
	args  []any
	limit int
	scan  func(scanner) (T, error)
	key   func(T) uint64
	// cursor, when set, makes the next page's cursor instead of key.
	cursor func(T) *string
	// check, when set, runs first in the same snapshot (e.g. that the
	// parent exists); its error is returned as it is.
	check func(ctx context.Context, tx readTx) error
}

// readList runs l in one read snapshot and returns the page with the
// checkpoint that snapshot was built at.
func readList[T any](ctx context.Context, db *DB, l list[T]) (Page[T], error) {
	args := l.args
	if l.limit > 0 {
		args = append(slices.Clip(args), l.limit+1)
	}
	page := Page[T]{Items: []T{}}
	seq, err := db.read(ctx, func(tx readTx) error {
		if l.check != nil {
			if err := l.check(ctx, tx); err != nil {
				return err
			}
		}
		var err error
		page.Items, err = scanAll(ctx, tx, page.Items, l.query, args, l.scan)
		return err
	})
	if err != nil {
		return Page[T]{}, err
	}
	page.Seq = seq
	if l.limit > 0 && len(page.Items) > l.limit {
		page.Items = page.Items[:l.limit]
		if l.cursor != nil {
			page.Next = l.cursor(page.Items[l.limit-1])
		} else {
			page.Next = encodeCursor(l.key(page.Items[l.limit-1]))
		}
	}
	return page, nil
}

// scanAll appends to items every row of query, scanned with scan.
func scanAll[T any](ctx context.Context, tx readTx, items []T, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return items, fmt.Errorf("query %q: %w", firstLine(query), err)
	}
	defer rows.Close()
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return items, err
		}
		items = append(items, item)
	}
	return items, rows.Err()
}

// column returns the first column of every row of a query's result (rows,
// err as QueryContext gives them).
func column[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// A list in two parts (contacts: conversations, then everyone else; rooms:
// those with messages, then the rest) pages with a cursor that names the
// part and the position in it: "<part>:<key>", opaque to clients.
func encodePartCursor(part, key string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(part + ":" + key))
	return &s
}

// decodePartCursor returns the part and key of cursor c ("" for the start).
func decodePartCursor(c string) (part, key string, err error) {
	if c == "" {
		return "", "", nil
	}
	b, err := decodeBase64(c)
	if p, k, ok := strings.Cut(string(b), ":"); err == nil && ok && len(p) == 1 && p[0] >= 'a' && p[0] <= 'z' {
		return p, k, nil
	}
	return "", "", fault.FieldError(fault.EINVALID, "cursor", "cursor is not one this server gave out")
}

// prefixRange returns the bounds of the keys that start with prefix q,
// for keys made of ASCII below DEL (nicknames, room names).
func prefixRange(q string) (lo, hi string) { return q, q + "\x7f" }

// read runs fn in one read transaction, a consistent snapshot, and returns
// the checkpoint that snapshot was built at.
func (db *DB) read(ctx context.Context, fn func(tx readTx) error) (uint64, error) {
	f := db.cur.Load()
	sqlTx, err := f.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("begin read: %w", err)
	}
	defer sqlTx.Rollback()
	tx := readTx{sqlTx, f.rstmts}
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'seq'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	seq, _ := strconv.ParseUint(v, 10, 64)
	if err := fn(tx); err != nil {
		return 0, err
	}
	return seq, nil
}

// one runs a one-row query on the reader pool and scans it with scan;
// ENOTFOUND naming what when there is no row.
func one[T any](ctx context.Context, db *DB, what, query string, scan func(scanner) (T, error), args ...any) (T, error) {
	v, err := scan(db.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, notFound(what)
	}
	return v, err
}

func notFound(what string) error { return fault.Errorf(fault.ENOTFOUND, "%s not found", what) }
