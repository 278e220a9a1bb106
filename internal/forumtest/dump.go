package forumtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Dump returns every row of every table of the SQLite file at path, in a
// fixed order (the rowid left out: it is not part of any read model).
func Dump(t testing.TB, path string) map[string][]string {
	t.Helper()
	out, err := DumpFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// DumpFile is Dump returning its error.
func DumpFile(path string) (map[string][]string, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot
	if err != nil {
		return nil, fmt.Errorf("dump %s: %w", path, err)
	}
	defer tx.Rollback()
	tables, virtual, err := dumpedTables(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("dump %s: %w", path, err)
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("%s has no tables", path)
	}
	out := map[string][]string{}
	for _, table := range tables {
		if out[table], err = dumpTable(ctx, tx, table, virtual[table]); err != nil {
			return nil, fmt.Errorf("dump %s: %w", path, err)
		}
	}
	return out, nil
}

// dumpedTables lists the tables a dump holds, by name, and says which are
// virtual. A full-text table is compared by what it holds (rowid and
// columns), not by its shadow tables, whose layout depends on how it was
// written: those are left out.
func dumpedTables(ctx context.Context, tx *sql.Tx) ([]string, map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	virtual := map[string]bool{}
	for rows.Next() {
		var n, create string
		if err := rows.Scan(&n, &create); err != nil {
			return nil, nil, fmt.Errorf("list tables: %w", err)
		}
		tables = append(tables, n)
		virtual[n] = strings.HasPrefix(create, "CREATE VIRTUAL TABLE")
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	shadow := func(name string) bool {
		for vt, isVirtual := range virtual {
			if isVirtual && strings.HasPrefix(name, vt+"_") {
				return true
			}
		}
		return false
	}
	return slices.DeleteFunc(tables, shadow), virtual, nil
}

// dumpTable returns every row of table as a JSON array of its values
// (with the rowid first when it is virtual), sorted.
func dumpTable(ctx context.Context, tx *sql.Tx, table string, virtual bool) ([]string, error) {
	cols := "*"
	if virtual {
		cols = "rowid, *"
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM `+table)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	lines := []string{}
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		line, _ := json.Marshal(vals)
		lines = append(lines, string(line))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	slices.Sort(lines)
	return lines, nil
}

// CompareDumps fails the test on every table whose rows differ.
func CompareDumps(t testing.TB, what string, got, want map[string][]string) {
	t.Helper()
	for table, rows := range want {
		if !slices.Equal(got[table], rows) {
			t.Errorf("%s: table %s differs:\n got %d rows %s\nwant %d rows %s", what, table,
				len(got[table]), firstDiff(got[table], rows), len(rows), firstDiff(rows, got[table]))
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("%s: unexpected table %s", what, table)
		}
	}
}

// firstDiff returns the first row of a that b does not have.
func firstDiff(a, b []string) string {
	for _, r := range a {
		if !slices.Contains(b, r) {
			return r
		}
	}
	return "(none missing)"
}
