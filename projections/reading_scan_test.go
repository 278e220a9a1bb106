package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"forum/events"
)

// scanWorld is read models built by applying events directly: a reader
// who signed up first and has opened every post of a long history but the
// oldest few, in two categories, one of those oldest with a comment after
// the reader's position.
type scanWorld struct {
	db                  *DB
	reader              string
	unopened, unreadOne []string // newest first
}

func newScanWorld(t *testing.T, posts int) scanWorld {
	t.Helper()
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []events.Event
	add := func(typ events.Type, data any) {
		at = at.Add(time.Second)
		env, err := events.New(fmt.Sprintf("scan-%d", len(batch)+1), typ, at, "", data)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, events.Event{Seq: uint64(len(batch) + 1), Subject: "forum.scan." + string(typ), Envelope: env})
	}
	add(events.CategoryCreated, events.CategoryCreatedData{Slug: "general", Name: "General", Position: 1})
	w := scanWorld{db: db, reader: events.NewID(at)}
	author := events.NewID(at.Add(time.Millisecond))
	add(events.UserRegistered, events.UserRegisteredData{UserID: w.reader, Nickname: "reader", Email: "reader@example.com", PasswordHash: "x"})
	add(events.UserRegistered, events.UserRegisteredData{UserID: author, Nickname: "author", Email: "author@example.com", PasswordHash: "x"})
	ids := make([]string, posts)
	for i := range ids {
		ids[i] = events.NewID(at)
		add(events.PostCreated, events.PostCreatedData{PostID: ids[i], AuthorID: author, Title: fmt.Sprint("Post ", i), Body: "Body", Categories: []string{"general"}})
	}
	for i, id := range ids {
		if i >= 3 {
			add(events.PostRead, events.PostReadData{PostID: events.PostID(id), UserID: events.UserID(w.reader)})
		}
	}
	w.unopened = []string{ids[2], ids[1], ids[0]}
	add(events.CommentCreated, events.CommentCreatedData{CommentID: events.NewID(at), PostID: ids[3], AuthorID: author, Body: "Unread"})
	w.unreadOne = []string{ids[3]}
	if err := p.Apply(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	return w
}

// pages walks every page of f's list and returns the ids and how many
// pages it took.
func (w scanWorld) pages(t *testing.T, f ReadingFilter) (ids []string, pages int, first Page[Post]) {
	t.Helper()
	f.Viewer, f.Limit = events.UserID(w.reader), 20
	for pages = 1; pages < 100; pages++ {
		page, err := w.db.ReadingPosts(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 1 {
			first = page
		}
		for _, p := range page.Items {
			ids = append(ids, p.ID)
		}
		if page.Next == nil {
			return ids, pages, first
		}
		f.Cursor = *page.Next
	}
	t.Fatalf("%+v: more than 100 pages", f)
	return nil, 0, first
}

// A page of a reader's lists looks at readingScan rows of their history at
// most: a reader who has read all but the oldest posts gets a short first
// page with a next cursor, and the list goes on below it to those posts,
// each once; an unknown category is an empty list at once.
func TestReadingPagesAreBounded(t *testing.T) {
	t.Parallel()
	w := newScanWorld(t, readingScan+200)
	for _, tc := range []struct {
		f    ReadingFilter
		want []string
	}{
		{ReadingFilter{List: ListNew}, w.unopened},
		{ReadingFilter{List: ListNew, Category: "general"}, w.unopened},
		{ReadingFilter{List: ListUnread}, w.unreadOne},
		{ReadingFilter{List: ListUnread, Category: "general"}, w.unreadOne},
	} {
		ids, pages, first := w.pages(t, tc.f)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s %q: %v, want %v", tc.f.List, tc.f.Category, ids, tc.want)
		}
		if len(first.Items) != 0 || first.Next == nil || pages != 2 {
			t.Errorf("%s %q: first page %d posts, next %v, %d pages; want an empty first page with a next cursor, then a second",
				tc.f.List, tc.f.Category, len(first.Items), first.Next, pages)
		}
	}
	for _, list := range []string{ListNew, ListUnread} {
		if ids, pages, _ := w.pages(t, ReadingFilter{List: list, Category: "nosuch"}); len(ids) != 0 || pages != 1 {
			t.Errorf("%s in an unknown category: %v in %d pages, want one empty page", list, ids, pages)
		}
	}
}
