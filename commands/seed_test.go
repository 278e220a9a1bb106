package commands_test

import (
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	for _, demo := range []bool{false, true} {
		t.Run(map[bool]string{false: "categories and rooms", true: "demo"}[demo], func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			e := forumtest.NewCore(t, forumtest.Options{Empty: true, Configure: func(c *commands.Config) { c.Now = func() time.Time { return now } }})
			ctx := forumtest.Context(t)
			seeded, err := e.Cmds.Seed(ctx, demo)
			if err != nil || !seeded {
				t.Fatalf("Seed on an empty stream = %v, %v; want true", seeded, err)
			}
			last, err := e.Store.LastSeq(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := e.Cmds.Seed(ctx, demo); err != nil || again {
				t.Errorf("Seed on a stream with events = %v, %v; want false", again, err)
			}
			if seq, _ := e.Store.LastSeq(ctx); seq != last {
				t.Errorf("second Seed appended events: %d → %d", last, seq)
			}
			cats, err := e.DB.Categories(ctx)
			if err != nil || len(cats.Items) < 6 || len(cats.Items) != len(commands.DefaultCategories) {
				t.Errorf("categories = %+v, %v; want the %d defaults", cats.Items, err, len(commands.DefaultCategories))
			}
			rooms, err := e.DB.Rooms(ctx, projections.ListFilter{})
			if err != nil || len(rooms.Items) != len(commands.DefaultRooms) {
				t.Errorf("rooms = %+v, %v; want %v", rooms.Items, err, commands.DefaultRooms)
			}
			// Event times never go back, so time travel (which stops at the
			// first event after its bound) sees the forum as it was; and
			// nothing is dated in the future.
			var prev time.Time
			for seq := uint64(1); seq <= last; seq++ {
				ev, err := e.Store.Get(ctx, seq)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Time.Before(prev) {
					t.Fatalf("event %d (%s) at %v is earlier than the one before, at %v", seq, ev.Type, ev.Time, prev)
				}
				if ev.Time.After(now) {
					t.Fatalf("event %d (%s) at %v is after now, %v", seq, ev.Type, ev.Time, now)
				}
				prev = ev.Time
			}
			if !demo {
				if want := uint64(len(commands.DefaultCategories) + len(commands.DefaultRooms)); last != want {
					t.Errorf("%d events, want %d", last, want)
				}
				return
			}
			// The demo accounts sign in only where DemoSignIn says so, and
			// only for a client on this machine.
			closed := commands.New(commands.Config{Store: e.Store, DB: e.DB, Projector: e.Proj, Hasher: forumtest.FastHasher{}})
			local := commands.FromLoopback(ctx)
			for _, nick := range commands.DemoUsers {
				if _, err := closed.Authenticate(local, nick, commands.DemoPassword); fault.Code(err) != fault.EUNAUTHENTICATED {
					t.Errorf("demo user %s without DemoSignIn: %v, want unauthenticated", nick, err)
				}
				if _, err := e.Cmds.Authenticate(ctx, nick, commands.DemoPassword); fault.Code(err) != fault.EUNAUTHENTICATED {
					t.Errorf("demo user %s from another machine: %v, want unauthenticated", nick, err)
				}
				if _, err := e.Cmds.Authenticate(local, nick, commands.DemoPassword); err != nil {
					t.Errorf("demo user %s cannot sign in: %v", nick, err)
				}
			}
			posts, err := e.DB.Posts(ctx, projections.PostFilter{})
			if err != nil || len(posts.Items) != min(demoPosts, 20) {
				t.Errorf("%d demo posts (%v), want %d", len(posts.Items), err, demoPosts)
			}
			if first, _ := e.Store.Get(ctx, 1); first.Type != events.CategoryCreated || !first.Time.Before(now.Add(-24*time.Hour)) {
				t.Errorf("first event %s at %v: want a category from the start of the demo week", first.Type, first.Time)
			}
		})
	}
}
