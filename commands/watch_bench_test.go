package commands_test

import (
	"fmt"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// BenchmarkNewPostFanOut measures a new post, from its command to the read
// models holding it, in a category watched by 1,000 users (each told of
// it: the fan-out bound) and in one nobody watches.
func BenchmarkNewPostFanOut(b *testing.B) {
	e := forumtest.NewCore(b, forumtest.Options{})
	ctx := forumtest.Context(b)
	author := events.UserID(e.Register("author"))
	for i := range 1000 {
		user := events.UserID(e.Register(fmt.Sprintf("watcher%d", i)))
		if err := e.Cmds.WatchCategory(ctx, user, "help", events.WatchWatching); err != nil {
			b.Fatal(err)
		}
	}
	for _, cat := range []string{"help", "general"} {
		b.Run(cat, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Cmds.CreatePost(ctx, author, commands.PostInput{Title: "News", Body: "Something new.", Categories: []string{cat}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	unread, err := e.DB.UnreadCounts(ctx, events.UserID(e.Register("late")))
	if err != nil || unread.Notifications != 0 {
		b.Fatalf("a user who watches nothing: %+v %v", unread, err)
	}
}
