package projections_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// Counter moves are folded per batch and written at its end: one batch
// holding a post, comments on it (one deleted again), votes set and
// changed, and a second post deleted, leaves every count as the events
// say, and so does the same history applied one event at a time.
func TestCountersFoldedPerBatch(t *testing.T) {
	ctx := forumtest.Context(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []events.Event
	add := func(typ events.Type, key string, data any) {
		env, err := events.New(fmt.Sprint("e", len(evs)), typ, now, "", data)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, events.Event{Seq: uint64(len(evs) + 1), Subject: typ.Subject(key), Envelope: env})
	}
	add(events.CategoryCreated, "general", events.CategoryCreatedData{Slug: "general", Name: "General"})
	for _, u := range []string{"ada", "bob"} {
		add(events.UserRegistered, u, events.UserRegisteredData{UserID: u, Nickname: u, Email: u + "@example.com", PasswordHash: "x"})
	}
	add(events.PostCreated, "p1", events.PostCreatedData{PostID: "p1", AuthorID: "ada", Title: "one", Body: "b", Categories: []string{"general"}})
	add(events.PostCreated, "p2", events.PostCreatedData{PostID: "p2", AuthorID: "ada", Title: "two", Body: "b", Categories: []string{"general"}})
	for i := range 5 {
		add(events.CommentCreated, "p1", events.CommentCreatedData{CommentID: fmt.Sprint("c", i), PostID: "p1", AuthorID: "bob", Body: "c"})
	}
	add(events.CommentDeleted, "c0", events.CommentDeletedData{CommentID: "c0", PostID: "p1"})
	add(events.PostVoted, "p1", events.VotedData{TargetID: "p1", UserID: "bob", Value: 1})
	add(events.PostVoted, "p1", events.VotedData{TargetID: "p1", UserID: "bob", Value: -1})
	add(events.PostVoted, "p1", events.VotedData{TargetID: "p1", UserID: "ada", Value: 1})
	add(events.CommentVoted, "c1", events.VotedData{TargetID: "c1", UserID: "ada", Value: 1})
	add(events.PostDeleted, "p2", events.PostDeletedData{PostID: "p2"})

	for name, batch := range map[string]int{"one batch": len(evs), "one event a batch": 1} {
		db := openDB(t, filepath.Join(t.TempDir(), "read.db"))
		p, err := projections.NewProjector(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(evs); i += batch {
			if err := p.Apply(ctx, evs[i:min(i+batch, len(evs))]); err != nil {
				t.Fatal(err)
			}
		}
		post, err := db.Post(ctx, "p1", "")
		if err != nil {
			t.Fatal(err)
		}
		comment, err := db.Comment(ctx, "c1", "")
		if err != nil {
			t.Fatal(err)
		}
		ada, _ := db.Profile(ctx, "ada")
		bob, _ := db.Profile(ctx, "bob")
		cats, _ := db.Categories(ctx)
		got := fmt.Sprintf("post %d comments %d likes %d dislikes; comment %d likes; ada %d posts; bob %d comments; general %d posts",
			post.CommentCount, post.Likes, post.Dislikes, comment.Likes, ada.Posts, bob.Comments, cats.Items[0].PostCount)
		if want := "post 4 comments 1 likes 1 dislikes; comment 1 likes; ada 1 posts; bob 4 comments; general 1 posts"; got != want {
			t.Errorf("%s: %s\nwant %s", name, got, want)
		}
	}
}

// The categories' slugs are kept in memory, and a new category is known
// from the commit that brings it.
func TestMissingCategorySeesNewCategories(t *testing.T) {
	ctx := forumtest.Context(t)
	db := openDB(t, filepath.Join(t.TempDir(), "read.db"))
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, slug := range []string{"general", "help"} {
		if missing, err := db.MissingCategory(ctx, []string{"general", slug}); err != nil || missing != slug {
			t.Fatalf("before %s exists: missing %q, %v", slug, missing, err)
		}
		env, err := events.New(fmt.Sprint("e", i), events.CategoryCreated, time.Now(), "", events.CategoryCreatedData{Slug: slug, Name: slug})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(ctx, []events.Event{{Seq: uint64(i + 1), Subject: events.CategoryCreated.Subject(slug), Envelope: env}}); err != nil {
			t.Fatal(err)
		}
		if missing, err := db.MissingCategory(ctx, []string{slug}); err != nil || missing != "" {
			t.Fatalf("after %s's commit: missing %q, %v", slug, missing, err)
		}
	}
}
