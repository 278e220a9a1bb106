package commands_test

import (
	"context"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// posts makes n posts by author and returns their ids.
func posts(t *testing.T, e *forumtest.Core, author string, n int) []events.PostID {
	t.Helper()
	ids := make([]events.PostID, n)
	for i := range ids {
		p, err := e.Cmds.CreatePost(forumtest.Context(t), events.UserID(author), commands.PostInput{Title: "Post", Body: "A body", Categories: []string{"general"}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = events.PostID(p.ID)
	}
	return ids
}

// eventsOn counts the events on subject.
func eventsOn(t *testing.T, e *forumtest.Core, subject string) int {
	t.Helper()
	evs, err := e.Store.History(forumtest.Context(t), []string{subject}, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// Concurrent writes of one user are decided against each other: the same
// bookmark set at once by many requests is one event, and as many posts
// bookmarked at once as the bound allows and more make exactly the bound;
// watch levels alike.
func TestOwnBoundsHoldUnderConcurrency(t *testing.T) {
	t.Parallel()
	const bound = 4
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.MaxBookmarks, c.MaxPostWatches = bound, bound }})
	ctx := forumtest.Context(t)
	ann, bob := e.Register("ann"), e.Register("bob")
	ids := posts(t, e, bob, 11)

	at := func(n int, do func(i int) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = do(i) })
		}
		wg.Wait()
		return errs
	}
	for _, err := range at(8, func(int) error { return e.Cmds.SetBookmark(ctx, events.UserID(ann), ids[0], true) }) {
		if err != nil {
			t.Fatalf("the same bookmark at once: %v", err)
		}
	}
	if n := eventsOn(t, e, events.BookmarkAdded.Subject(ann)); n != 1 {
		t.Errorf("the same bookmark set 8 times at once: %d events, want 1", n)
	}

	count := func(errs []error, what string) (ok int) {
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case fault.Code(err) != fault.ECONFLICT:
				t.Errorf("%s: %v", what, err)
			}
		}
		return ok
	}
	marks := at(9, func(i int) error { return e.Cmds.SetBookmark(ctx, events.UserID(ann), ids[i+1], true) })
	if ok := count(marks, "bookmarks past the bound"); ok != bound-1 {
		t.Errorf("%d more bookmarks took at once, want %d", ok, bound-1)
	}
	if _, n, err := e.DB.BookmarkState(ctx, events.UserID(ann), ids[0]); err != nil || n != bound {
		t.Errorf("ann has %d bookmarks (%v), want %d", n, err, bound)
	}
	watches := at(10, func(i int) error {
		return e.Cmds.WatchPost(ctx, events.UserID(ann), ids[i], []events.WatchLevel{"watching", "muted", "normal"}[i%3])
	})
	if ok := count(watches, "watch levels past the bound"); ok != bound {
		t.Errorf("%d watch levels took at once, want %d", ok, bound)
	}
	// At the bound, a level changes where one is set; a bookmark taken
	// away makes room for another.
	if err := e.Cmds.SetBookmark(ctx, events.UserID(ann), ids[0], false); err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.SetBookmark(ctx, events.UserID(ann), ids[10], true); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := e.DB.BookmarkState(ctx, events.UserID(ann), ids[0]); n != bound {
		t.Errorf("after one out and one in: %d bookmarks", n)
	}
	var set events.PostID
	for _, id := range ids {
		if level, _, _ := e.DB.PostWatchState(ctx, events.UserID(ann), id); level != "" {
			set = id
		}
	}
	if err := e.Cmds.WatchPost(ctx, events.UserID(ann), set, "muted"); err != nil {
		t.Errorf("changing a level at the bound: %v", err)
	}
}

// Bookmarks and levels are validated before anything is stored.
func TestBookmarkAndWatchValidation(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := context.Background()
	ann := events.UserID(e.Register("ann"))
	id := posts(t, e, string(ann), 1)[0]
	wantCode(t, "a bad level", e.Cmds.WatchPost(ctx, ann, id, "loud"), fault.EINVALID, "level")
	wantCode(t, "no level", e.Cmds.WatchCategory(ctx, ann, "general", ""), fault.EINVALID, "level")
	wantCode(t, "no such category", e.Cmds.WatchCategory(ctx, ann, "nope", "muted"), fault.ENOTFOUND, "")
	wantCode(t, "no such post", e.Cmds.WatchPost(ctx, ann, "01jq8r4m2v6e3k0tdw5x7y9zab", "muted"), fault.ENOTFOUND, "")
	wantCode(t, "a bad id", e.Cmds.SetBookmark(ctx, ann, "../x", true), fault.ENOTFOUND, "")
	if n := eventsOn(t, e, events.WatchSet.Subject(string(ann))) + eventsOn(t, e, events.BookmarkAdded.Subject(string(ann))); n != 0 {
		t.Errorf("refused writes stored %d events", n)
	}
}
