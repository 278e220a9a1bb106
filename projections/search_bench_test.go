package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forum/events"
)

// searchForum is read models built for a search test or benchmark: users
// and what they wrote, applied straight through the projector.
type searchForum struct {
	tb    testing.TB
	db    *DB
	p     *Projector
	seq   uint64
	at    time.Time
	batch []events.Event
}

func newSearchForum(tb testing.TB) *searchForum {
	tb.Helper()
	db, _, err := OpenDB(filepath.Join(tb.TempDir(), "read.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	p, err := NewProjector(db, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s := &searchForum{tb: tb, db: db, p: p, at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.add(events.CategoryCreated, events.CategoryCreatedData{Slug: "general", Name: "General"})
	return s
}

// add appends one event to the batch (applied by flush, or at 5,000).
func (s *searchForum) add(typ events.Type, data any) {
	s.tb.Helper()
	s.seq++
	s.at = s.at.Add(time.Second)
	env, err := events.New(fmt.Sprintf("search-%d", s.seq), typ, s.at, "", data)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.batch = append(s.batch, events.Event{Seq: s.seq, Subject: "forum.test." + string(typ), Envelope: env})
	if len(s.batch) == 5000 {
		s.flush()
	}
}

func (s *searchForum) flush() {
	s.tb.Helper()
	if len(s.batch) == 0 {
		return
	}
	if err := s.p.Apply(context.Background(), s.batch); err != nil {
		s.tb.Fatal(err)
	}
	s.batch = s.batch[:0]
}

func (s *searchForum) user(nick string) string {
	id := events.NewID(s.at)
	s.add(events.UserRegistered, events.UserRegisteredData{UserID: id, Nickname: nick, Email: nick + "@example.com", PasswordHash: "x"})
	return id
}

func (s *searchForum) post(author, title, body string) string {
	id := events.NewID(s.at)
	s.add(events.PostCreated, events.PostCreatedData{PostID: id, AuthorID: author, Title: title, Body: body, Categories: []string{"general"}})
	return id
}

func (s *searchForum) comment(author, post, body string) string {
	id := events.NewID(s.at)
	s.add(events.CommentCreated, events.CommentCreatedData{CommentID: id, PostID: post, AuthorID: author, Body: body})
	return id
}

// prefixWords returns "p0 p1 … p(n-1)": n different words sharing prefix p.
func prefixWords(p string, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%d", p, i)
	}
	return b.String()
}

// searchCases are the costliest stored texts found for a search: the
// recipe of 21 bodies of 6,600 words sharing a prefix, bodies within the
// length limit of words sharing a longer prefix, bodies of one word
// repeated, many posts that all match a common word, and comments.
var searchCases = []struct {
	name  string
	build func(s *searchForum)
	q     string
}{
	{"recipe-21x6600", func(s *searchForum) {
		u := s.user("attacker")
		for range 21 {
			s.post(u, "zq", prefixWords("zq", 6600))
		}
	}, "zq"},
	{"long-prefix-40x2800", func(s *searchForum) {
		u := s.user("attacker")
		for range 40 {
			s.post(u, "zqzq", prefixWords("zqzq", 2800))
		}
	}, "zqzq"},
	{"short-words-40", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("z ", 10000)
		for range 40 {
			s.post(u, "z", body)
		}
	}, "z"},
	{"common-20000", func(s *searchForum) {
		u := s.user("writer")
		for i := range 20000 {
			s.post(u, fmt.Sprintf("Topic %d", i), "a common word in a common post about common things, number "+fmt.Sprint(i))
		}
	}, "co"},
	{"repeated-word-300", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("zz ", 6600)
		for range 300 {
			s.post(u, "zz", body)
		}
	}, "zz"},
	{"repeated-word-2500", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("zz ", 6600)
		for range 2500 {
			s.post(u, "zz", body)
		}
	}, "zz"},
	{"comments-100x2800", func(s *searchForum) {
		u := s.user("attacker")
		p := s.post(u, "zq", "zq")
		for range 100 {
			s.comment(u, p, prefixWords("zq", 2800))
		}
	}, "zq"},
}

// BenchmarkSearch measures one search of the costliest stored texts, with
// a page of 20 and of 100 results.
func BenchmarkSearch(b *testing.B) {
	for _, c := range searchCases {
		b.Run(c.name, func(b *testing.B) {
			s := newSearchForum(b)
			s.user("reader")
			c.build(s)
			s.flush()
			for _, limit := range []int{20, 100} {
				b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
					ctx := context.Background()
					for b.Loop() {
						if _, err := s.db.Search(ctx, SearchFilter{Q: c.q, PageRequest: PageRequest{Limit: limit}}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
