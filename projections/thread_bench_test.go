package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
)

// BenchmarkThreadApply measures how fast a projector starting on an empty
// file applies one thread of 5,000 comments from 190 commenters (with its
// notifications): every comment tells the post's author, and the watchers
// of the post, who are not its commenters by default.
func BenchmarkThreadApply(b *testing.B) {
	const commenters, comments = 190, 5000
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []benchEvent
	n := 0
	id := func() string { n++; return fmt.Sprintf("%026d", n) }
	add := func(typ events.Type, key, actor string, data any) {
		now = now.Add(time.Second)
		env, err := events.New(id(), typ, now, actor, data)
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, benchEvent{typ.Subject(key), env})
	}
	for _, c := range commands.DefaultCategories {
		add(events.CategoryCreated, c.Slug, "", c)
	}
	users := make([]string, commenters+1)
	for i := range users {
		u, nick := id(), fmt.Sprintf("user%d", i)
		add(events.UserRegistered, u, u, events.UserRegisteredData{UserID: u, Nickname: nick, Email: nick + "@example.com", PasswordHash: "x"})
		users[i] = u
	}
	post := id()
	add(events.PostCreated, post, users[0], events.PostCreatedData{PostID: post, AuthorID: users[0], Title: "A long thread", Body: "Talk.", Categories: []string{"general"}})
	for i := range comments {
		c, u := id(), users[1+i%commenters]
		add(events.CommentCreated, c, u, events.CommentCreatedData{CommentID: c, PostID: post, AuthorID: u, Body: "a comment in the thread"})
	}
	store := openStore(b, b.TempDir())
	ctx := context.Background()
	for i, e := range evs {
		if _, err := store.Append(ctx, e.subject, e.env); err != nil {
			b.Fatalf("append %d: %v", i, err)
		}
	}
	var applied uint64
	for b.Loop() {
		applied += startFresh(b, ctx, store, uint64(len(evs)))
	}
	b.ReportMetric(float64(applied)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
