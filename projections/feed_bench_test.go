package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/schemas"
)

// benchFeedDataVersion names the synthetic data of benchFeedDB; bump it when
// buildBenchFeedDB changes what it writes, so cached files are rebuilt.
const benchFeedDataVersion = 2

var benchCategories = []string{"general", "announcements", "help", "development", "showcase", "off-topic", "feedback"}

// benchFeedDB returns read models holding n synthetic posts. The file is
// built once through the projector's Apply (much faster than through NATS)
// and cached under os.TempDir, named by the schema, projector and data
// versions, so later runs reuse it.
func benchFeedDB(b *testing.B, n int) (db *DB, users []string, lastSeq uint64) {
	b.Helper()
	version, err := schemas.Version(projectorVersion)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("forum-feed-bench-%s-d%d-%d.db", version, benchFeedDataVersion, n))
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if err := buildBenchFeedDB(tmp, n); err != nil {
			removeDB(tmp)
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s with %d posts in %s", path, n, time.Since(start).Round(time.Second))
	}
	db, rebuilt, err := OpenDB(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if rebuilt {
		b.Fatalf("%s: cached read models had another schema", path)
	}
	ctx := context.Background()
	if lastSeq, err = db.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	rows, err := db.rd().QueryContext(ctx, `SELECT id FROM users ORDER BY seq`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		users = append(users, id)
	}
	return db, users, lastSeq
}

// buildBenchFeedDB writes read models with the default categories, 1,000
// users and n posts in one or two categories each, about one in ten liked
// and one in forty disliked, and a comment on an earlier post after about
// one in five, by applying synthetic events in big batches.
func buildBenchFeedDB(path string, n int) error {
	db, w, err := openBenchWriter(path)
	if err != nil {
		return err
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	add := w.add
	for i, slug := range benchCategories {
		if err := add(events.CategoryCreated, events.CategoryCreatedData{Slug: slug, Name: slug, Position: i + 1}); err != nil {
			return err
		}
	}
	users := make([]string, 1000)
	for i := range users {
		users[i] = events.NewID(w.at)
		nick := fmt.Sprintf("user%04d", i)
		if err := add(events.UserRegistered, events.UserRegisteredData{UserID: users[i], Nickname: nick, Email: nick + "@example.com", PasswordHash: "x"}); err != nil {
			return err
		}
	}
	body := strings.Repeat("Synthetic post body for the feed benchmark. ", 5)
	posts := make([]string, 0, n)
	for i := range n {
		id := events.NewID(w.at)
		posts = append(posts, id)
		cats := []string{benchCategories[rng.IntN(len(benchCategories))]}
		if extra := benchCategories[rng.IntN(len(benchCategories))]; rng.IntN(2) == 0 && extra != cats[0] {
			cats = append(cats, extra)
		}
		if err := add(events.PostCreated, events.PostCreatedData{PostID: id, AuthorID: users[rng.IntN(len(users))],
			Title: fmt.Sprintf("Synthetic post %d", i), Body: body, Categories: cats}); err != nil {
			return err
		}
		switch r := rng.IntN(40); {
		case r < 4:
			err = add(events.PostVoted, events.VotedData{TargetID: id, UserID: users[rng.IntN(len(users))], Value: 1})
		case r == 4:
			err = add(events.PostVoted, events.VotedData{TargetID: id, UserID: users[rng.IntN(len(users))], Value: -1})
		case r < 13:
			err = add(events.CommentCreated, events.CommentCreatedData{CommentID: events.NewID(w.at), PostID: posts[rng.IntN(len(posts))],
				AuthorID: users[rng.IntN(len(users))], Body: "A synthetic comment."})
		}
		if err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	return db.Close()
}

// BenchmarkFeed measures one page of the feed (GET /api/posts without HTTP)
// at 100,000 and 1,000,000 posts: the first page and a page deep down the
// cursor chain, with and without a category filter. It reports the latency
// percentiles of single pages as p50-µs and p99-µs. The 1,000,000-post file
// takes minutes to build the first time and is skipped under -short.
func BenchmarkFeed(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("posts=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("the 1,000,000-post file is skipped under -short")
			}
			db, users, last := benchFeedDB(b, n)
			deep := *encodeCursor(last / 2)
			var end string
			if err := db.rd().QueryRow(`SELECT max(created_at) FROM posts`).Scan(&end); err != nil {
				b.Fatal(err)
			}
			newest, _ := time.Parse(timeFormat, end)
			for _, tc := range []struct {
				name string
				f    PostFilter
			}{
				{"first", PostFilter{}},
				{"deep", PostFilter{Cursor: deep}},
				{"category/first", PostFilter{Category: "help"}},
				{"category/deep", PostFilter{Category: "help", Cursor: deep}},
				{"latest/first", PostFilter{Sort: SortLatest}},
				{"latest/deep", PostFilter{Sort: SortLatest, Cursor: *encodePartCursor("l", fmt.Sprint(last/2))}},
				{"latest/category/first", PostFilter{Sort: SortLatest, Category: "help"}},
				{"top/first", PostFilter{Sort: SortTop, Period: PeriodAll}},
				{"top/deep", PostFilter{Sort: SortTop, Period: PeriodAll, Cursor: *encodePartCursor("t", fmt.Sprintf("all:0:%d", last/2))}},
				{"top/category/first", PostFilter{Sort: SortTop, Period: PeriodAll, Category: "help"}},
				// A day that holds most posts, and one that holds the last
				// hour's only: the walk passes the older posts above them.
				{"top/day", PostFilter{Sort: SortTop, Period: PeriodDay, Now: newest}},
				{"top/day-sparse", PostFilter{Sort: SortTop, Period: PeriodDay, Now: newest.Add(23 * time.Hour)}},
			} {
				b.Run(tc.name, func(b *testing.B) {
					ctx := context.Background()
					f := tc.f
					f.Viewer, f.Limit = users[7], 20
					lat := make([]time.Duration, 0, 1<<16)
					for b.Loop() {
						t0 := time.Now()
						page, err := db.Posts(ctx, f)
						lat = append(lat, time.Since(t0))
						if err != nil || len(page.Items) != 20 || page.Next == nil {
							b.Fatalf("page: %d items, next %v, err %v", len(page.Items), page.Next, err)
						}
					}
					reportPercentiles(b, lat)
				})
			}
		})
	}
}

// reportPercentiles reports the 50th and 99th percentiles of per-operation
// latencies in microseconds.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// benchWriter applies synthetic events to a projector in batches of
// 20,000, each event a second after the one before.
type benchWriter struct {
	p     *Projector
	ctx   context.Context
	seq   uint64
	at    time.Time // of the latest event
	batch []events.Event
}

// openBenchWriter makes empty read models at path and a benchWriter
// applying events to them, from 2025-01-01.
func openBenchWriter(path string) (*DB, *benchWriter, error) {
	if err := removeDB(path); err != nil {
		return nil, nil, err
	}
	db, _, err := OpenDB(path)
	if err != nil {
		return nil, nil, err
	}
	p, err := NewProjector(db, nil)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, &benchWriter{p: p, ctx: context.Background(), at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

// add appends an event of typ with data, applying the batch when full.
func (w *benchWriter) add(typ events.Type, data any) error {
	w.seq++
	w.at = w.at.Add(time.Second)
	env, err := events.New(fmt.Sprintf("bench-%d", w.seq), typ, w.at, "", data)
	if err != nil {
		return err
	}
	w.batch = append(w.batch, events.Event{Seq: w.seq, Subject: "forum.bench." + string(typ), Envelope: env})
	if len(w.batch) == 20000 {
		return w.flush()
	}
	return nil
}

// flush applies the events not applied yet.
func (w *benchWriter) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	err := w.p.Apply(w.ctx, w.batch)
	w.batch = w.batch[:0]
	return err
}
