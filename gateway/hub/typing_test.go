package hub_test

import (
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
)

// settle returns once every frame w sent before is handled: the server
// answers an unknown frame with an error, in order.
func settle(t *testing.T, w *forumtest.WSClient) {
	t.Helper()
	w.Send(map[string]any{"type": "sync"})
	w.WaitFor("the error answering sync", func(fr forumtest.Frame) bool { return fr.Type == "error" && strings.Contains(fr.String(), "sync") })
}

// noTypingFrom reads w's frames up to the typing (or room.typing) of until,
// failing on any typing of from before it.
func noTypingFrom(t *testing.T, w *forumtest.WSClient, from, until string) {
	t.Helper()
	w.WaitFor("typing of "+until, func(fr forumtest.Frame) bool {
		if fr.Type != "typing" && fr.Type != "room.typing" {
			return false
		}
		if strings.Contains(fr.String(), from) {
			t.Errorf("%s got %s", w.Name, fr)
		}
		return strings.Contains(fr.String(), until)
	})
}

// After bob blocks ann, ann's typing (to him, and in a room) reaches none of
// his connections, on this instance or another, while cy still sees it.
func TestWSTypingBlocked(t *testing.T) {
	t.Parallel()
	ctx := forumtest.Context(t)
	f1 := forumtest.Start(t, forumtest.Options{})
	f2 := forumtest.Start(t, forumtest.Options{Store: f1.Store})
	ann, bob, cy := f1.SignUp("ann"), f1.SignUp("bob"), f1.SignUp("cyd")
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return f2.Proj.Seq() >= f1.Proj.Seq() })
	a, b1, b2, c := ann.DialWS(""), bob.DialWS(""), bob.As(f2).DialWS(""), cy.DialWS("")
	for _, w := range []*forumtest.WSClient{a, b1, b2, c} {
		w.Send(map[string]any{"type": "room.join", "room": "random"})
		w.WaitType("room.joined")
	}
	forumtest.Eventually(t, "instance 2 to see everyone in random", func() bool { return bob.As(f2).RoomOnline("random") == 3 })

	if err := f1.Cmds.Block(ctx, events.UserID(bob.User.ID), events.UserID(ann.User.ID), true); err != nil {
		t.Fatal(err)
	}
	marker := cy.CreatePost("after the block")
	for _, w := range []*forumtest.WSClient{b1, b2} { // the block is applied on both instances
		w.WaitFor("the marker", func(fr forumtest.Frame) bool { return fr.Type == "post.created" && fr.Post(t).ID == marker })
	}

	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	a.Send(map[string]any{"type": "typing", "to": cy.User.ID, "active": true})
	a.Send(map[string]any{"type": "room.typing", "room": "random", "active": true})
	settle(t, a)
	c.WaitFor("ann typing to cy", func(fr forumtest.Frame) bool {
		return fr.Type == "typing" && strings.Contains(fr.String(), ann.User.ID)
	})
	c.WaitFor("ann typing in random", func(fr forumtest.Frame) bool {
		return fr.Type == "room.typing" && strings.Contains(fr.String(), ann.User.ID)
	})
	// cy types after ann, over the same connection to NATS: what bob gets
	// of ann comes before cy's.
	c.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	c.Send(map[string]any{"type": "room.typing", "room": "random", "active": true})
	for _, w := range []*forumtest.WSClient{b1, b2} {
		noTypingFrom(t, w, ann.User.ID, cy.User.ID)
		noTypingFrom(t, w, ann.User.ID, cy.User.ID)
	}
}

// A suspended user's typing is refused: it reaches nobody and is not
// published to live.> either.
func TestWSTypingSuspended(t *testing.T) {
	t.Parallel()
	ctx := forumtest.Context(t)
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob, cy, mod := f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cyd"), f.SignUp("mod")
	if err := f.Cmds.SetRole(ctx, "", events.UserID(mod.User.ID), events.RoleModerator); err != nil {
		t.Fatal(err)
	}
	a, b, c := ann.DialWS(""), bob.DialWS(""), cy.DialWS("")
	for _, w := range []*forumtest.WSClient{a, b, c} {
		w.Send(map[string]any{"type": "room.join", "room": "random"})
		w.WaitType("room.joined")
	}
	sub, err := f.Store.Conn().SubscribeSync("live.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	if err := f.Cmds.Suspend(ctx, events.UserID(mod.User.ID), events.UserID(ann.User.ID), time.Now().Add(time.Hour), "cool down"); err != nil {
		t.Fatal(err)
	}
	for _, frame := range []map[string]any{
		{"type": "typing", "to": bob.User.ID, "active": true},
		{"type": "room.typing", "room": "random", "active": true},
	} {
		a.Send(frame)
		if fr := a.WaitType("error"); !strings.Contains(fr.String(), `"code":"suspended"`) {
			t.Errorf("%v: %s, want suspended", frame["type"], fr)
		}
	}
	c.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	c.Send(map[string]any{"type": "room.typing", "room": "random", "active": true})
	noTypingFrom(t, b, ann.User.ID, cy.User.ID)
	noTypingFrom(t, b, ann.User.ID, cy.User.ID)
	for seen := 0; seen < 2; {
		msg, err := sub.NextMsg(forumtest.WSWait)
		if err != nil {
			t.Fatalf("live.>: %v", err)
		}
		if !strings.HasSuffix(msg.Subject, ".typing") && !strings.HasPrefix(msg.Subject, "live.typing.") {
			continue
		}
		if strings.Contains(string(msg.Data), ann.User.ID) {
			t.Errorf("published on %s: %s", msg.Subject, msg.Data)
		}
		if strings.Contains(string(msg.Data), cy.User.ID) {
			seen++
		}
	}
}
