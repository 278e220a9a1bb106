package commands_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// TestReactValidatesAndStoresNothing: a name that is not a reaction is
// refused with its field, a target that is not there or not the user's to
// see is not found, a deleted or hidden one is a conflict, and none of them
// appends anything.
func TestReactValidatesAndStoresNothing(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob, cid := events.UserID(e.Register("ann")), events.UserID(e.Register("bob")), events.UserID(e.Register("cid"))
	post, err := e.Cmds.CreatePost(ctx, ann, commands.PostInput{Title: "t", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.Cmds.CreatePost(ctx, ann, commands.PostInput{Title: "gone", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.DeletePost(ctx, ann, events.PostID(gone.ID)); err != nil {
		t.Fatal(err)
	}
	seq, err := e.Cmds.SendDM(ctx, commands.DMInput{From: ann, To: bob, Body: "psst"})
	if err != nil {
		t.Fatal(err)
	}
	dm, err := e.DB.MessageBySeq(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	onPost := events.Target{Kind: events.KindPost, ID: post.ID}
	cases := []struct {
		name        string
		in          commands.ReactInput
		code, field string
	}{
		{"unknown name", commands.ReactInput{User: bob, Target: onPost, Name: "thumbsup", On: true}, fault.EINVALID, "name"},
		{"empty name", commands.ReactInput{User: bob, Target: onPost, Name: "", On: true}, fault.EINVALID, "name"},
		{"no such post", commands.ReactInput{User: bob, Target: events.Target{Kind: events.KindPost, ID: events.NewID(e.Cmds.Now())}, Name: "heart", On: true}, fault.ENOTFOUND, ""},
		{"malformed id", commands.ReactInput{User: bob, Target: events.Target{Kind: events.KindComment, ID: "../x"}, Name: "heart", On: true}, fault.ENOTFOUND, ""},
		{"deleted post", commands.ReactInput{User: bob, Target: events.Target{Kind: events.KindPost, ID: gone.ID}, Name: "heart", On: true}, fault.ECONFLICT, ""},
		{"another pair's message", commands.ReactInput{User: cid, Target: events.Target{Kind: events.KindMessage, ID: dm.ID}, Name: "eyes", On: true}, fault.ENOTFOUND, ""},
		{"a kind that takes none", commands.ReactInput{User: bob, Target: events.Target{Kind: "user", ID: string(ann)}, Name: "eyes", On: true}, fault.ENOTFOUND, ""},
	}
	for _, c := range cases {
		before, err := e.Store.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Cmds.React(ctx, c.in)
		wantCode(t, c.name, err, c.code, c.field)
		if after, _ := e.Store.LastSeq(ctx); after != before {
			t.Errorf("%s: the log moved from %d to %d", c.name, before, after)
		}
	}
}

// TestReactSetsOnceAndTakesOff: putting a reaction on twice appends one
// event and counts one; taking it off twice appends one more and counts
// none; the answer carries the counts and the reactor's own, in the order
// the forum shows them.
func TestReactSetsOnceAndTakesOff(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob := events.UserID(e.Register("ann")), events.UserID(e.Register("bob"))
	post, err := e.Cmds.CreatePost(ctx, ann, commands.PostInput{Title: "t", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	target := events.Target{Kind: events.KindPost, ID: post.ID}
	react := func(name events.ReactionName, on bool) (projections.Reactions, uint64) {
		t.Helper()
		r, err := e.Cmds.React(ctx, commands.ReactInput{User: bob, Target: target, Name: name, On: on})
		if err != nil {
			t.Fatal(err)
		}
		last, err := e.Store.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r, last
	}
	steps := []struct {
		name       events.ReactionName
		on, append bool
		counts     projections.ReactionCounts
		mine       []string
	}{
		{"tada", true, true, projections.ReactionCounts{"tada": 1}, []string{"tada"}},
		{"tada", true, false, projections.ReactionCounts{"tada": 1}, []string{"tada"}},
		{"+1", true, true, projections.ReactionCounts{"tada": 1, "+1": 1}, []string{"+1", "tada"}},
		{"tada", false, true, projections.ReactionCounts{"+1": 1}, []string{"+1"}},
		{"tada", false, false, projections.ReactionCounts{"+1": 1}, []string{"+1"}},
		{"+1", false, true, projections.ReactionCounts{}, []string{}},
	}
	_, last := react("eyes", false) // off already: nothing
	for i, s := range steps {
		r, now := react(s.name, s.on)
		if moved := now != last; moved != s.append {
			t.Errorf("step %d (%s on=%v): appended %v, want %v", i, s.name, s.on, moved, s.append)
		}
		last = now
		if !reflect.DeepEqual(r.Counts, s.counts) || !reflect.DeepEqual(r.Mine, s.mine) {
			t.Errorf("step %d (%s on=%v): %v mine %v, want %v mine %v", i, s.name, s.on, r.Counts, r.Mine, s.counts, s.mine)
		}
	}
	p, err := e.DB.Post(ctx, events.PostID(post.ID), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Reactions) != 0 {
		t.Errorf("post reactions %v, want none", p.Reactions)
	}
}

// TestReactConcurrentUsersAllCount: 20 users putting the same reaction on
// one post at once count 20, and each appears once among who reacted; the
// same user putting it on 20 times at once counts once.
func TestReactConcurrentUsersAllCount(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann := events.UserID(e.Register("ann"))
	post, err := e.Cmds.CreatePost(ctx, ann, commands.PostInput{Title: "t", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	target := events.Target{Kind: events.KindPost, ID: post.ID}
	users := make([]events.UserID, 20)
	for i := range users {
		users[i] = events.UserID(e.Register(fmt.Sprintf("user%02d", i)))
	}
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			if _, err := e.Cmds.React(ctx, commands.ReactInput{User: users[i], Target: target, Name: "heart", On: true}); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := e.Cmds.React(ctx, commands.ReactInput{User: ann, Target: target, Name: "+1", On: true}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, err := e.DB.Reactions(ctx, target, ann)
	if err != nil {
		t.Fatal(err)
	}
	if want := (projections.ReactionCounts{"heart": 20, "+1": 1}); !reflect.DeepEqual(r.Counts, want) {
		t.Errorf("counts %v, want %v", r.Counts, want)
	}
	page, err := e.DB.Reactors(ctx, projections.ReactorFilter{Target: target, Name: "heart", PageRequest: projections.PageRequest{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range page.Items {
		seen[u.ID] = true
	}
	if len(page.Items) != 20 || len(seen) != 20 {
		t.Errorf("who reacted: %d users (%d distinct), want 20", len(page.Items), len(seen))
	}
}

// TestReactAtOnceStoresOneEvent: the same reaction put on by one user 40
// times at once is one reaction.added in the log, taken off 40 times at
// once one reaction.removed, while another user's reaction at the same
// time is stored too.
func TestReactAtOnceStoresOneEvent(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob := events.UserID(e.Register("ann")), events.UserID(e.Register("bob"))
	post, err := e.Cmds.CreatePost(ctx, ann, commands.PostInput{Title: "t", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	target := events.Target{Kind: events.KindPost, ID: post.ID}
	stored := func(user events.UserID, typ events.Type) (n int) {
		evs, err := e.Store.History(ctx, []string{"forum.reaction.>"}, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var d events.ReactionData
			if err := ev.Payload(&d); err != nil {
				t.Fatal(err)
			}
			if ev.Type == typ && d.UserID == string(user) {
				n++
			}
		}
		return n
	}
	for _, on := range []bool{true, false} {
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				if _, err := e.Cmds.React(ctx, commands.ReactInput{User: ann, Target: target, Name: "heart", On: on}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			if _, err := e.Cmds.React(ctx, commands.ReactInput{User: bob, Target: target, Name: "heart", On: on}); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		typ := map[bool]events.Type{true: events.ReactionAdded, false: events.ReactionRemoved}[on]
		if n := stored(ann, typ); n != 1 {
			t.Errorf("one reaction set 40 times at once (on %v): %d %s events, want 1", on, n, typ)
		}
		if n := stored(bob, typ); n != 1 {
			t.Errorf("another user's at the same time (on %v): %d %s events, want 1", on, n, typ)
		}
		r, err := e.DB.Reactions(ctx, target, ann)
		if err != nil {
			t.Fatal(err)
		}
		if want, got := map[bool]int{true: 2, false: 0}[on], r.Counts["heart"]; got != want || len(r.Mine) != want/2 {
			t.Errorf("on %v: heart counts %d (mine %v), want %d", on, got, r.Mine, want)
		}
	}
}
