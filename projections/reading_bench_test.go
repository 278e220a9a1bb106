package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"forum/events"
	"forum/schemas"
)

// benchReadingDataVersion names the synthetic data of benchReadingDB; bump
// it when buildBenchReadingDB changes what it writes.
const benchReadingDataVersion = 1

// benchReading is the fixture of BenchmarkReading: read models with 20,000
// posts, the oldest of them a thread of 20,000 comments, and a reader who
// opened every post (the thread before its first comment).
type benchReading struct {
	db     *DB
	reader string
	thread string
}

// benchReadingDB returns the fixture, built once through the projector's
// Apply and cached under os.TempDir like benchFeedDB.
func benchReadingDB(b *testing.B) benchReading {
	b.Helper()
	version, err := schemas.Version(projectorVersion)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("forum-reading-bench-%s-d%d.db", version, benchReadingDataVersion))
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if err := buildBenchReadingDB(tmp); err != nil {
			removeDB(tmp)
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
	}
	db, rebuilt, err := OpenDB(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if rebuilt {
		b.Fatalf("%s: cached read models had another schema", path)
	}
	fx := benchReading{db: db}
	ctx := context.Background()
	if err := db.rd().QueryRowContext(ctx, `SELECT id FROM users ORDER BY seq LIMIT 1`).Scan(&fx.reader); err != nil {
		b.Fatal(err)
	}
	if err := db.rd().QueryRowContext(ctx, `SELECT id FROM posts ORDER BY seq LIMIT 1`).Scan(&fx.thread); err != nil {
		b.Fatal(err)
	}
	return fx
}

// buildBenchReadingDB writes the fixture: 100 users, 20,000 posts in one
// or two categories (never "empty"), 20,000 comments on the first, and the
// first user's reads of every post.
func buildBenchReadingDB(path string) error {
	const posts, comments = 20_000, 20_000
	db, w, err := openBenchWriter(path)
	if err != nil {
		return err
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	add := w.add
	for i, slug := range append([]string{"empty"}, benchCategories...) {
		if err := add(events.CategoryCreated, events.CategoryCreatedData{Slug: slug, Name: slug, Position: i + 1}); err != nil {
			return err
		}
	}
	users := make([]string, 100)
	for i := range users {
		users[i] = events.NewID(w.at)
		nick := fmt.Sprintf("user%04d", i)
		if err := add(events.UserRegistered, events.UserRegisteredData{UserID: users[i], Nickname: nick, Email: nick + "@example.com", PasswordHash: "x"}); err != nil {
			return err
		}
	}
	ids := make([]string, posts)
	for i := range ids {
		ids[i] = events.NewID(w.at)
		cats := []string{benchCategories[rng.IntN(len(benchCategories))]}
		if extra := benchCategories[rng.IntN(len(benchCategories))]; rng.IntN(2) == 0 && extra != cats[0] {
			cats = append(cats, extra)
		}
		if err := add(events.PostCreated, events.PostCreatedData{PostID: ids[i], AuthorID: users[1+rng.IntN(len(users)-1)],
			Title: fmt.Sprintf("Synthetic post %d", i), Body: "A synthetic post.", Categories: cats}); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := add(events.PostRead, events.PostReadData{PostID: events.PostID(id), UserID: events.UserID(users[0])}); err != nil {
			return err
		}
	}
	for range comments {
		if err := add(events.CommentCreated, events.CommentCreatedData{CommentID: events.NewID(w.at), PostID: ids[0],
			AuthorID: users[1+rng.IntN(len(users)-1)], Body: "A synthetic comment."}); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	return db.Close()
}

// BenchmarkReading measures the reads whose cost grew with the reader's
// history: the reader's new and unread lists (who has opened all 20,000
// posts), with and without a category, and the read states of a page
// holding a thread of 20,000 unread comments. It reports p50-µs and p99-µs.
func BenchmarkReading(b *testing.B) {
	fx := benchReadingDB(b)
	ctx := context.Background()
	reading := func(list, cat string) func() error {
		return func() error {
			_, err := fx.db.ReadingPosts(ctx, ReadingFilter{List: list, Viewer: events.UserID(fx.reader), Category: cat, PageRequest: PageRequest{Limit: 20}})
			return err
		}
	}
	latest, err := fx.db.Posts(ctx, PostFilter{Sort: SortLatest, Limit: 20})
	if err != nil {
		b.Fatal(err)
	}
	var page []PostRef
	for _, p := range latest.Items {
		page = append(page, p.Ref())
	}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"new", reading(ListNew, "")},
		{"new/category", reading(ListNew, "help")},
		{"new/category-empty", reading(ListNew, "empty")},
		{"new/category-unknown", reading(ListNew, "nosuch")},
		{"unread", reading(ListUnread, "")},
		{"unread/category", reading(ListUnread, "help")},
		{"latest/signed-in", func() error {
			_, err := fx.db.Posts(ctx, PostFilter{Sort: SortLatest, Viewer: fx.reader, Blocker: fx.reader, Muter: fx.reader, Limit: 20})
			return err
		}},
		{"latest/anonymous", func() error {
			_, err := fx.db.Posts(ctx, PostFilter{Sort: SortLatest, Limit: 20})
			return err
		}},
		{"post/signed-in", func() error {
			_, err := fx.db.Post(ctx, events.PostID(fx.thread), events.UserID(fx.reader))
			return err
		}},
		{"mines", func() error {
			_, err := fx.db.Mines(ctx, events.UserID(fx.reader), page)
			return err
		}},
		{"post/anonymous", func() error {
			_, err := fx.db.Post(ctx, events.PostID(fx.thread), "")
			return err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1<<12)
			for b.Loop() {
				t0 := time.Now()
				err := tc.run()
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
			}
			reportPercentiles(b, lat)
		})
	}
}
