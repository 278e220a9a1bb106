package projections_test

import (
	"fmt"
	"slices"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// Watching notifies at most the fan-out bound of watchers, the oldest
// watches first; a mention is told beyond the bound, and nobody twice.
// Not parallel: it lowers the bound for its own while.
func TestWatchFanOutIsBounded(t *testing.T) {
	defer projections.SetMaxWatchNotices(3)()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	author := events.UserID(e.Register("author"))
	var watchers []events.UserID
	for i := range 5 {
		u := events.UserID(e.Register(fmt.Sprintf("watcher%d", i)))
		if err := e.Cmds.WatchCategory(ctx, u, "help", events.WatchWatching); err != nil {
			t.Fatal(err)
		}
		watchers = append(watchers, u)
	}
	// The newest watcher is mentioned, and told once, as a mention.
	p, err := e.Cmds.CreatePost(ctx, author, commands.PostInput{Title: "News", Body: "Hello @watcher4", Categories: []string{"help"}})
	if err != nil {
		t.Fatal(err)
	}
	users, notes, err := e.DB.NotificationsAt(ctx, p.Seq)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for i, u := range users {
		if _, twice := kinds[u]; twice {
			t.Errorf("%s is told twice", u)
		}
		kinds[u] = notes[i].Kind
	}
	want := map[string]string{string(watchers[0]): "topic", string(watchers[1]): "topic", string(watchers[2]): "topic", string(watchers[4]): "mention"}
	for u, k := range want {
		if kinds[u] != k {
			t.Errorf("%s: told %q, want %q", u, kinds[u], k)
		}
	}
	if len(kinds) != len(want) || slices.Contains(users, string(watchers[3])) {
		t.Errorf("told %v, want the three oldest watchers and the mentioned one", kinds)
	}
}
