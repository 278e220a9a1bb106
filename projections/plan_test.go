package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forum/events"
)

// planCase is one query shape the code issues, with arguments of the right
// types, and what its plan may do.
type planCase struct {
	name  string
	query string
	args  []any
	// allowScan names tables (by the alias the query gives them) that may be
	// read whole: small tables, or queries that list every row by design.
	allowScan []string
	// paged queries answer one page of a long list: they must walk an index
	// in the order asked, never sort all matching rows first.
	paged bool
}

// planCases returns every query shape of the read models' list and lookup
// queries, built by the same functions the queries run.
func planCases(t *testing.T) []planCase {
	t.Helper()
	var cases []planCase
	const user, other, post, comment = "06h0000000000000000000000a", "06h0000000000000000000000b", "06h0000000000000000000000c", "06h0000000000000000000000d"
	// Posts: every sort with every combination of the four filters, first
	// page and later.
	sorts := []struct {
		sort   PostSort
		period Period
		cursor string
	}{
		{SortNew, "", *encodeCursor(12345)},
		{SortLatest, "", *encodePartCursor("l", "12345")},
		{SortTop, PeriodAll, *encodePartCursor("t", "all:3:12345")},
		{SortTop, PeriodWeek, *encodePartCursor("t", "week:-2:12345")},
	}
	for _, sort := range sorts {
		for mask := range 16 {
			f := PostFilter{Viewer: user, Limit: 20, Sort: sort.sort, Period: sort.period}
			var parts []string
			if mask&1 != 0 {
				f.Category = "general"
				parts = append(parts, "category")
			}
			if mask&2 != 0 {
				f.Author = other
				parts = append(parts, "author")
			}
			if mask&4 != 0 {
				f.LikedBy = user
				parts = append(parts, "liked_by")
			}
			if mask&8 != 0 {
				f.DislikedBy = other
				parts = append(parts, "disliked_by")
			}
			name := strings.Join(parts, "+")
			if name == "" {
				name = "none"
			}
			for _, cursor := range []string{"", sort.cursor} {
				f.Cursor = cursor
				q, args, limit, err := postsQuery(f)
				if err != nil {
					t.Fatal(err)
				}
				args = append(args, limit+1) // readList adds the LIMIT

				n := "Posts/" + string(sort.sort) + string(sort.period) + "/" + name
				if cursor != "" {
					n += "/cursor"
				}
				cases = append(cases, planCase{name: n, query: q, args: args, paged: true, allowScan: []string{"recent"}})
			}
		}
	}
	// A reader's lists: the window of rows a page may look at, then the page.
	for _, f := range []ReadingFilter{{List: ListNew}, {List: ListNew, Category: "general"}, {List: ListUnread}, {List: ListUnread, Category: "general"}} {
		window, query, err := readingQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		args := []any{user, 12345, 100}
		if f.Category != "" {
			args = append(args, f.Category)
		}
		name := "Reading/" + f.List + "/" + f.Category
		cases = append(cases,
			// The window holds at most readingScan keys, read from an index.
			planCase{name: name + "/window", query: window, args: args, allowScan: []string{"(subquery-1)", "(subquery-2)"}},
			planCase{name: name, query: query, args: append(slices.Clip(args), 21), paged: true, allowScan: []string{"recent"}})
	}
	cases = append(cases,
		planCase{name: "Post", query: postQuery, args: []any{user, post}, allowScan: []string{"recent"}},
		planCase{name: "ReadStates", query: readStatesQuery, args: []any{user, `["` + post + `"]`}, allowScan: []string{"json_each", "(subquery-2)"}},
		planCase{name: "ReaderMarks", query: readerMarksQuery, args: []any{user, maxMarkSetSize + 1}}, // the subquery holds at most MaxUnreadComments rows
		planCase{name: "Comments/post hidden", query: postHiddenQuery, args: []any{post}},
		planCase{name: "Comments", query: commentsQuery, args: []any{user, user, post, 0, 21}, paged: true},
		planCase{name: "Comment", query: commentQuery, args: []any{user, user, comment}},
		planCase{name: "Revisions", query: revisionsQuery, args: []any{post, 0, 21}, paged: true},
		planCase{name: "RevisionAt", query: revisionQuery, args: []any{1}},
		planCase{name: "Votes/post", query: votesQuery(events.KindPost), args: []any{"post", user, post}},
		planCase{name: "Votes/comment", query: votesQuery(events.KindComment), args: []any{"comment", user, comment}},
		planCase{name: "Reactions", query: `SELECT t.reactions, ` + myReactionsCol(events.KindComment, "t.id") + ` FROM comments t WHERE t.id = ?`, args: []any{user, comment}},
		planCase{name: "Reactors", query: reactorsQuery, args: []any{"post", post, "heart", 0, user, 21}, paged: true},
		planCase{name: "DirectMessages", query: messagesQuery, args: []any{user, "dm:" + user + "-" + other, int64(1<<63 - 1), 11}, paged: true},
		planCase{name: "RoomMessages", query: messagesQuery, args: []any{user, "room:general", 500, 51}, paged: true},
		planCase{name: "Contacts/conversations", query: contactsWithConversation, args: []any{user, int64(1<<63 - 1), "", "\x7f", 51}, paged: true},
		planCase{name: "Contacts/conversations/prefix", query: contactsWithConversation, args: []any{user, 500, "ad", "ad\x7f", 51}, paged: true},
		planCase{name: "Contacts/others", query: contactsWithout, args: []any{"", "", "", "\x7f", user, user, 51}, paged: true},
		planCase{name: "Contacts/others/prefix", query: contactsWithout, args: []any{"ada", other, "ad", "ad\x7f", user, user, 51}, paged: true},
		planCase{name: "Rooms/with messages", query: roomsWithMessages, args: []any{"\x7f", "\x7f", "", "", "\x7f", 51}, paged: true},
		planCase{name: "Rooms/with messages/prefix", query: roomsWithMessages, args: []any{"2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "gen", "ge", "ge\x7f", 51}, paged: true},
		planCase{name: "Rooms/without", query: roomsWithout, args: []any{"", "", "\x7f", 51}, paged: true},
		// Categories are a short list, read whole by design.
		planCase{name: "Categories", query: categoriesQuery, allowScan: []string{"categories"}},
		planCase{name: "SessionByTokenHash", query: sessionByTokenHashQuery, args: []any{strings.Repeat("ab", 32)}},
		planCase{name: "Credentials/nickname", query: credentialsQuery("alice"), args: []any{"alice"}},
		planCase{name: "Credentials/email", query: credentialsQuery("alice@example.com"), args: []any{"alice@example.com"}},
	)
	return cases
}

// TestQueryPlansUseIndexes runs EXPLAIN QUERY PLAN on every query shape and
// fails on a full scan of a table without an index, and on a paged query
// that sorts instead of walking an index.
func TestQueryPlansUseIndexes(t *testing.T) {
	t.Parallel()
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, pc := range planCases(t) {
		t.Run(pc.name, func(t *testing.T) {
			plan, err := explainPlan(db, pc.query, pc.args...)
			if err != nil {
				t.Fatalf("explain: %v\n%s", err, pc.query)
			}
			t.Log(strings.Join(plan, " | "))
			for _, step := range plan {
				if table, ok := planFullScan(step); ok && !slices.Contains(pc.allowScan, table) {
					t.Errorf("full scan of %s: %q\nplan:\n%s\nquery:\n%s", table, step, strings.Join(plan, "\n"), pc.query)
				}
				if pc.paged && strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("paged query sorts its rows: %q\nplan:\n%s\nquery:\n%s", step, strings.Join(plan, "\n"), pc.query)
				}
			}
		})
	}
}

// explain returns the detail lines of a query's plan.
func explainPlan(db *DB, query string, args ...any) ([]string, error) {
	rows, err := db.rd().QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// fullScan reports whether a plan step reads a whole table without an
// index, and which (by its alias). "SCAN t USING [COVERING] INDEX i" walks
// an index and "SEARCH" seeks one: both are fine.
func planFullScan(step string) (table string, ok bool) {
	rest, found := strings.CutPrefix(step, "SCAN ")
	if !found {
		return "", false
	}
	table, _, _ = strings.Cut(rest, " ")
	if strings.Contains(rest, " USING INDEX ") || strings.Contains(rest, " USING COVERING INDEX ") ||
		strings.Contains(rest, " USING INTEGER PRIMARY KEY") || strings.Contains(rest, " USING PRIMARY KEY") {
		return "", false
	}
	// "SCAN CONSTANT ROW" and the like are not tables.
	return table, table != "CONSTANT"
}

// TestPlanCasesRun makes sure every planned query also runs, so the plans
// checked are of real SQL.
func TestPlanCasesRun(t *testing.T) {
	t.Parallel()
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, pc := range planCases(t) {
		rows, err := db.rd().QueryContext(context.Background(), pc.query, pc.args...)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err != nil {
			t.Errorf("%s: %v", pc.name, fmt.Errorf("%w\n%s", err, pc.query))
		}
	}
}

func TestPlanFullScan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step  string
		table string
		full  bool
	}{
		{"SCAN posts", "posts", true},
		{"SCAN p", "p", true},
		{"SCAN u USING INDEX sqlite_autoindex_users_1", "", false},
		{"SCAN v USING COVERING INDEX votes_user", "", false},
		{"SCAN m USING INTEGER PRIMARY KEY", "", false},
		{"SEARCH p USING INDEX posts_author_seq (author_id=? AND seq<?)", "", false},
		{"SCAN CONSTANT ROW", "", false},
		{"USE TEMP B-TREE FOR ORDER BY", "", false},
	} {
		table, full := planFullScan(tc.step)
		if table != tc.table && tc.full || full != tc.full {
			t.Errorf("planFullScan(%q) = %q, %v; want %q, %v", tc.step, table, full, tc.table, tc.full)
		}
	}
}
