package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/fault"
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

// seededWords returns the body of post i of the seeded recipe: 19,997
// characters of distinct words "zqzq" + base36(i*5000+j) on 4 digits.
func seededWords(i int) string {
	var b strings.Builder
	for j := 0; b.Len()+9 <= 19997+1; j++ {
		if j > 0 {
			b.WriteByte(' ')
		}
		n := strconv.FormatInt(int64(i*5000+j), 36)
		b.WriteString("zqzq" + strings.Repeat("0", 4-len(n)) + n)
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
	qs    []string
}{
	{"recipe-21x6600", func(s *searchForum) {
		u := s.user("attacker")
		for range 21 {
			s.post(u, "zq", prefixWords("zq", 6600))
		}
	}, []string{"zq"}},
	{"long-prefix-40x2800", func(s *searchForum) {
		u := s.user("attacker")
		for range 40 {
			s.post(u, "zqzq", prefixWords("zqzq", 2800))
		}
	}, []string{"zqzq"}},
	{"short-words-40", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("z ", 10000)
		for range 40 {
			s.post(u, "z", body)
		}
	}, []string{"z"}},
	{"common-20000", func(s *searchForum) {
		u := s.user("writer")
		for i := range 20000 {
			s.post(u, fmt.Sprintf("Topic %d", i), "a common word in a common post about common things, number "+fmt.Sprint(i))
		}
	}, []string{"co"}},
	{"repeated-word-300", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("zz ", 6600)
		for range 300 {
			s.post(u, "zz", body)
		}
	}, []string{"zz"}},
	{"repeated-word-2500", func(s *searchForum) {
		u := s.user("attacker")
		body := strings.Repeat("zz ", 6600)
		for range 2500 {
			s.post(u, "zz", body)
		}
	}, []string{"zz"}},
	{"seeded-4x10x19997", func(s *searchForum) {
		// The recipe (4 users of 40 posts) scaled to 10 posts a user, with
		// posts of common words beside it for a normal query.
		for u := range 4 {
			id := s.user(fmt.Sprintf("attacker%d", u))
			for i := range 10 {
				s.post(id, "zqzq", seededWords(u*10+i))
			}
		}
		w := s.user("writer")
		for i := range 500 {
			s.post(w, fmt.Sprintf("Topic %d", i), "a common word in a common post about okapis and other animals, number "+fmt.Sprint(i))
		}
	}, []string{"zqzq", "zqz", "zq", "okapis animals"}},
	{"comments-100x2800", func(s *searchForum) {
		u := s.user("attacker")
		p := s.post(u, "zq", "zq")
		for range 100 {
			s.comment(u, p, prefixWords("zq", 2800))
		}
	}, []string{"zq"}},
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
			for _, q := range c.qs {
				for _, limit := range []int{20, 100} {
					b.Run(fmt.Sprintf("q=%s/limit=%d", q, limit), func(b *testing.B) {
						ctx := context.Background()
						unavailable := 0
						for b.Loop() {
							_, err := s.db.Search(ctx, SearchFilter{Q: q, PageRequest: PageRequest{Limit: limit}})
							switch {
							case fault.Code(err) == fault.EUNAVAILABLE:
								unavailable++
							case err != nil:
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(unavailable)/float64(b.N), "unavailable/op")
					})
				}
			}
		})
	}
}
