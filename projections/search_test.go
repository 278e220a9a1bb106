package projections

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"forum/fault"
)

// A snippet is made from the stored text: about 16 words from a little
// before the first word found, on one line, with "…" where text was cut,
// and at most 200 characters, the word found among them, however long the
// words.
func TestSearchSnippet(t *testing.T) {
	t.Parallel()
	long := prefixWords("w", 40)
	for _, c := range []struct{ q, text, want string }{
		{"zebra", "Where do **zebras**\ncross?", "Where do **zebras** cross"},
		{"cross", "Where do zebras cross? Somewhere.", "Where do zebras cross? Somewhere"},
		{"w20", long, "…w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 w30 w31…"},
		{"w37", long, "…w33 w34 w35 w36 w37 w38 w39"},
		{"w1 w3", long, "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15…"},
		{"nowhere", long, "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15…"},
		{"ZQ", prefixWords("zq", 6600), "zq0 zq1 zq2 zq3 zq4 zq5 zq6 zq7 zq8 zq9 zq10 zq11 zq12 zq13 zq14 zq15…"},
		{"a", "banana a b", "banana a b"},
		{"zqzq", strings.Repeat("a", 5000) + " b zqzq c", "…b zqzq c"},
		{"zq", "zq" + strings.Repeat("x", 19998) + " end", "zq" + strings.Repeat("x", maxSnippetLen-2) + "…"},
		{"nowhere", strings.Repeat("x", 300), strings.Repeat("x", maxSnippetLen) + "…"},
		{"cafe", long + " Café", "…w36 w37 w38 w39 Café"},
		{"ÇA", long + " ça", "…w36 w37 w38 w39 ça"},
	} {
		sq, err := parseSearch(c.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := sq.snippetOf(c.text, true); got != c.want {
			t.Errorf("snippet of %q in %.40q = %q, want %q", c.q, c.text, got, c.want)
		}
	}
}

// The last word is a prefix only from two letters on: one letter would
// expand to nearly every word stored.
func TestSearchPrefixNeedsTwoLetters(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{"a": `"a"`, "zq": `"zq"*`, "big z": `"big" "z"`, "é": `"é"`, "éa": `"éa"*`} {
		if sq, err := parseSearch(q); err != nil || sq.match() != want {
			t.Errorf("parseSearch(%q) = %q, %v; want %q", q, sq.match(), err, want)
		}
	}
}

// A search runs within a time budget: when ranking by relevance takes too
// long the newest matches come first instead, and when even that takes too
// long the search fails with unavailable (and Retry-After) instead of
// running on.
func TestSearchWithinItsBudget(t *testing.T) {
	t.Parallel()
	s := newSearchForum(t)
	u := s.user("writer")
	relevant := s.post(u, "okapi", "okapi okapi okapi okapi")
	newest := s.post(u, "animals", "the okapi and many other animals of the forest, by name and by kind")
	s.flush()
	ctx := context.Background()
	first := func(budgets *[2]time.Duration) (string, error) {
		page, err := s.db.Search(ctx, SearchFilter{Q: "okapi", budgets: budgets})
		if err != nil || len(page.Items) != 2 {
			return "", err
		}
		return page.Items[0].Post.ID, nil
	}
	if id, err := first(&[2]time.Duration{time.Minute, time.Minute}); err != nil || id != relevant {
		t.Errorf("ranked: first %q, %v; want the most relevant, %q", id, err, relevant)
	}
	if id, err := first(&[2]time.Duration{0, time.Minute}); err != nil || id != newest {
		t.Errorf("no time to rank: first %q, %v; want the newest, %q", id, err, newest)
	}
	_, err := first(&[2]time.Duration{0, 0})
	if e, ok := err.(*fault.Error); !ok || e.Code != fault.EUNAVAILABLE || e.RetryAfter < 1 {
		t.Errorf("no time at all: %v, want unavailable with a Retry-After", err)
	}
}

// A last word longer than the prefixes indexed, which starts more than
// maxPrefixTerms terms stored, is matched whole, however it is typed: its
// expansion would merge them all. A prefix of fewer terms still expands,
// in posts and in messages alike.
func TestSearchLongPrefixOfTooManyTermsMatchesWhole(t *testing.T) {
	t.Parallel()
	s := newSearchForum(t)
	u := s.user("writer")
	many := s.post(u, "many", prefixWords("zqzq", maxPrefixTerms+1))
	whole := s.post(u, "whole", "zqzq itself")
	few := s.post(u, "few", prefixWords("okap", maxPrefixTerms))
	s.flush()
	ctx := context.Background()
	found := func(q string) map[string]bool {
		t.Helper()
		page, err := s.db.Search(ctx, SearchFilter{Q: q, PageRequest: PageRequest{Limit: 100}, budgets: &[2]time.Duration{time.Minute, time.Minute}})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		ids := map[string]bool{}
		for _, r := range page.Items {
			ids[r.Post.ID] = true
		}
		return ids
	}
	for _, q := range []string{"zqzq", "ZQZQ", "zqżq", "itself zqzq"} {
		if ids := found(q); !ids[whole] || ids[many] || len(ids) != 1 {
			t.Errorf("search %q found %v, want only the post with the word whole (%s)", q, ids, whole)
		}
	}
	if ids := found("zqzq1"); !ids[many] {
		t.Errorf("search zqzq1 found %v, want the post of many words (a prefix of few terms)", ids)
	}
	if ids := found("okap"); !ids[few] {
		t.Errorf("search okap found %v, want the post of %d words starting it", ids, maxPrefixTerms)
	}
	if ids := found("zqz"); !ids[many] || !ids[whole] {
		t.Errorf("search zqz (an indexed prefix) found %v, want both posts", ids)
	}
}

// The terms of a prefix are counted by a range of the index's terms, not by
// reading them all: the plan constrains term from both sides.
func TestSearchPrefixTermsAreARange(t *testing.T) {
	t.Parallel()
	s := newSearchForum(t)
	s.flush()
	for _, in := range []string{"", "messages"} {
		plan, err := explainPlan(s.db, prefixTermsQuery(in), "zqzq", "zqzr")
		if err != nil {
			t.Fatal(err)
		}
		var idx int
		for _, step := range plan {
			if _, rest, ok := strings.Cut(step, "VIRTUAL TABLE INDEX "); ok {
				fmt.Sscanf(rest, "%d", &idx)
			}
		}
		const termGE, termLE = 0x200, 0x400 // fts5vocab's idxNum flags
		if idx&(termGE|termLE) != termGE|termLE {
			t.Errorf("in=%q: plan %q does not bound term from both sides", in, plan)
		}
	}
}

// A page of results holds at most maxSearchAnswer bytes of text (and one
// result more): past it the page ends early, and its next cursor goes on
// from there, so paging still reaches every result once.
func TestSearchAnswerIsBounded(t *testing.T) {
	t.Parallel()
	s := newSearchForum(t)
	u := s.user("writer")
	body := strings.Repeat("okapi ", 3300)
	const posts = 40
	for i := range posts {
		s.post(u, fmt.Sprint("okapi ", i), body)
	}
	s.flush()
	ctx := context.Background()
	seen := map[string]bool{}
	// What is bounded here is the answer's size, not its time: the time
	// budgets are lifted so a busy machine cannot turn this into a 503.
	f := SearchFilter{Q: "okapi", PageRequest: PageRequest{Limit: 100}, budgets: &[2]time.Duration{time.Minute, time.Minute}}
	for pages := 0; ; pages++ {
		page, err := s.db.Search(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		size, last := 0, 0
		for _, r := range page.Items {
			if seen[r.Post.ID] {
				t.Errorf("post %s found twice", r.Post.ID)
			}
			seen[r.Post.ID] = true
			last = r.textSize()
			size += last
		}
		if size-last >= maxSearchAnswer || len(page.Items) == 0 {
			t.Fatalf("page %d: %d results of %d bytes of text, want fewer than %d before the last", pages, len(page.Items), size, maxSearchAnswer)
		}
		if page.Next == nil {
			break
		}
		f.Cursor = *page.Next
	}
	if len(seen) != posts {
		t.Errorf("paging found %d posts, want all %d", len(seen), posts)
	}
}
