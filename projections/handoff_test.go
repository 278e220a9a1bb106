package projections_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// The change feed hands each applied event on with its payload decoded and
// opened, and a new post's answer carries the body the projector rendered,
// the same as a read shows; once that rendering is no longer kept, the
// answer is read back.
func TestAppliedPayloadAndRenderingAreHandedOn(t *testing.T) {
	ctx := forumtest.Context(t)
	db := openDB(t, filepath.Join(t.TempDir(), "read.db"))
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var evs []events.Event
	add := func(typ events.Type, key string, data any) {
		env, err := events.New(events.NewID(now), typ, now, "", data)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, events.Event{Seq: uint64(len(evs) + 1), Subject: typ.Subject(key), Envelope: env})
	}
	add(events.UserRegistered, "ada", events.UserRegisteredData{UserID: "ada", Nickname: "ada", Email: "ada@example.com", PasswordHash: "x"})
	created := events.PostCreatedData{PostID: "p1", AuthorID: "ada", Title: "one", Body: "some *body*", Categories: []string{"general"}}
	add(events.PostCreated, "p1", created)
	if err := p.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	fed, ok := p.Since(0, 10)
	if !ok || len(fed) != 2 {
		t.Fatalf("feed: %d events, %v", len(fed), ok)
	}
	if got, ok := fed[1].Decoded.(*events.PostCreatedData); !ok || !reflect.DeepEqual(*got, created) {
		t.Errorf("feed hands on %#v, want %#v", fed[1].Decoded, created)
	}
	ada, err := db.User(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	read, err := db.Post(ctx, "p1", "ada")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := db.FreshPost(ctx, "p1", 2, ada, created.Title, created.Body, created.Categories, evs[1].Time)
	if err != nil || !reflect.DeepEqual(fresh, read) {
		t.Errorf("FreshPost = %+v, %v\nread       %+v", fresh, err, read)
	}
	// A sequence whose rendering is not kept: the row is read back.
	if back, err := db.FreshPost(ctx, "p1", 99, ada, "", "", nil, now); err != nil || !reflect.DeepEqual(back, read) {
		t.Errorf("FreshPost without its rendering = %+v, %v; want the row %+v", back, err, read)
	}
}
