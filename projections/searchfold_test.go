package projections

import (
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// tokenizerFolds returns what the search tables' tokenizer makes of every
// letter and digit rune standing alone: its term, or "" when it separates
// words.
func tokenizerFolds(t *testing.T) map[rune]string {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE VIRTUAL TABLE f USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE fv USING fts5vocab(f, instance)`,
		`BEGIN`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := db.Prepare(`INSERT INTO f(rowid, body) VALUES (?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	folds := map[rune]string{}
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if isLetterOrDigit(r) && utf8.ValidRune(r) {
			folds[r] = ""
			if _, err := ins.Exec(int64(r), "a "+string(r)+" a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	ins.Close()
	if _, err := db.Exec(`COMMIT`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT term, doc FROM fv WHERE offset = 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var term string
		var doc int64
		if err := rows.Scan(&term, &doc); err != nil {
			t.Fatal(err)
		}
		folds[rune(doc)] = term
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return folds
}

// searchFold is the search tables' tokenizer, rune by rune: a query's last
// word is counted in the index's terms as the index holds them. Every
// letter and digit is checked against SQLite's own tokenizer.
func TestSearchFoldIsTheTokenizers(t *testing.T) {
	t.Parallel()
	folds := tokenizerFolds(t)
	var diff []string
	for r, want := range folds {
		got, sep := foldRune(r)
		if sep {
			got = ""
		}
		if got != want {
			diff = append(diff, fmt.Sprintf("%U %q: fold %q, tokenizer %q", r, r, got, want))
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		t.Errorf("%d runes fold otherwise than the tokenizer, e.g.:\n%s", len(diff), strings.Join(diff[:min(len(diff), 20)], "\n"))
		if path := os.Getenv("SEARCH_FOLD_TABLE"); path != "" {
			writeFoldTable(t, path, folds)
		}
	}
}

// writeFoldTable writes the runes whose term is not their lower case.
func writeFoldTable(t *testing.T, path string, folds map[rune]string) {
	var runes []rune
	for r, term := range folds {
		if term != strings.ToLower(string(r)) {
			runes = append(runes, r)
		}
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	var b strings.Builder
	for _, r := range runes {
		fmt.Fprintf(&b, "\t0x%X: %q,\n", r, folds[r])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
