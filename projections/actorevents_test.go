package projections_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// A batch writes its rows of actor_events together, many a statement, and
// an erasure in the middle of it still takes every row of the erased
// user's, those of the same batch included, and none that comes after.
func TestActorEventsOfOneBatch(t *testing.T) {
	t.Parallel()
	ctx := forumtest.Context(t)
	db, _, err := projections.OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []events.Event
	want := map[string][]uint64{}
	add := func(typ events.Type, actor string, data any) {
		t.Helper()
		seq := uint64(len(batch) + 1)
		env, err := events.New(fmt.Sprintf("e%d", seq), typ, now.Add(time.Duration(seq)*time.Millisecond), actor, data)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, events.Event{Seq: seq, Subject: typ.Subject(actor), Envelope: env})
		want[actor] = append(want[actor], seq)
	}
	bookmark := func(user string) {
		add(events.BookmarkAdded, user, events.BookmarkData{UserID: user, PostID: events.PostID(fmt.Sprintf("p%d", len(batch)))})
	}
	// Interleaved, more than a statement's rows each.
	for i := range 250 {
		bookmark([]string{"ann", "bob"}[i%3%2])
	}
	add(events.UserErased, "admin", events.UserModData{UserID: "ann"})
	want["ann"] = nil
	bookmark("ann") // after the erasure (the command refuses it; apply keeps it)
	bookmark("bob")
	if err := p.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"ann", "bob", "admin"} {
		got, err := db.ActorSeqs(ctx, events.UserID(user), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[user]) {
			t.Errorf("%s made events %v, want %v", user, got, want[user])
		}
	}
}
