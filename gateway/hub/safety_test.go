package hub_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// secrets are the words a resume must not carry.
type secrets []string

// replayUntil reads w's frames up to the first post.created of a post
// titled marker, failing on any frame that carries one of s; it returns
// the frames, presence aside.
func (s secrets) replayUntil(t *testing.T, w *forumtest.WSClient, marker string) []forumtest.Frame {
	t.Helper()
	var frames []forumtest.Frame
	w.WaitFor("the marker post", func(fr forumtest.Frame) bool {
		if fr.Type != "presence" {
			frames = append(frames, fr)
		}
		for _, word := range s {
			if strings.Contains(fr.String(), word) {
				t.Errorf("%s: a %s frame carries %q: %s", w.Name, fr.Type, word, fr)
			}
		}
		return fr.Type == "post.created" && fr.Post(t).Title == marker
	})
	return frames
}

// typesOf returns the frames' types, joined by commas.
func typesOf(frames []forumtest.Frame) string {
	var types []string
	for _, fr := range frames {
		types = append(types, fr.Type)
	}
	return strings.Join(types, ",")
}

// writes has bob write to and about ada everywhere a frame shows text: a
// post mentioning her, a comment on her post, a room message mentioning
// her in a room she is in, and a direct message; it returns the targets.
func writes(t *testing.T, f *forumtest.Forum, ada, bob *forumtest.Client, word string) []events.Target {
	t.Helper()
	ctx := forumtest.Context(t)
	created, err := f.Cmds.CreatePost(ctx, events.UserID(bob.User.ID), commands.PostInput{Title: word + " title", Body: word + " body @ada", Categories: []string{"general"}})
	post := created.ID
	if err != nil {
		t.Fatal(err)
	}
	comment, err := f.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(bob.User.ID), PostID: events.PostID(ada.CreatePost("ada's own")), Body: word + " comment @ada"})
	if err != nil {
		t.Fatal(err)
	}
	var room, dm struct{ Message struct{ ID string } }
	bob.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": word + " room @ada"}, http.StatusCreated, &room)
	bob.MustDo("POST", "/api/chats/"+ada.User.ID+"/messages", map[string]any{"body": word + " dm"}, http.StatusCreated, &dm)
	return []events.Target{
		{Kind: events.KindPost, ID: post}, {Kind: events.KindComment, ID: string(comment)},
		{Kind: events.KindMessage, ID: room.Message.ID}, {Kind: events.KindMessage, ID: dm.Message.ID},
	}
}

// A resume replays a post, comment or message a moderator hid since as the
// API shows it now, without its text, to members and moderators alike
// (moderators read hidden text over HTTP), from the frame cache and, after
// a restart, from the stream.
func TestWSResumeConcealsHidden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := forumtest.Context(t)
	var ada, mod *forumtest.Client
	var after uint64
	var hidden []events.Target
	resume := func(t *testing.T, f *forumtest.Forum, marker string) {
		t.Helper()
		f.SignUp(strings.ToLower(marker[:5])).CreatePost(marker)
		for _, c := range []*forumtest.Client{ada, mod} {
			w := c.As(f).DialWS(fmt.Sprint("after=", after))
			var hiddenPost bool
			for _, fr := range (secrets{"hush"}).replayUntil(t, w, marker) {
				if fr.Type == "post.created" {
					p := fr.Post(t)
					hiddenPost = hiddenPost || (p.ID == hidden[0].ID && p.Hidden)
				}
			}
			if !hiddenPost {
				t.Errorf("%s's replay: no frame of the hidden post, shown hidden", w.Name)
			}
		}
	}
	t.Run("from the cache", func(t *testing.T) {
		f := forumtest.Start(t, forumtest.Options{Dir: dir})
		ada, mod = f.SignUp("ada"), f.SignUp("mod")
		bob := f.SignUp("bob")
		if err := f.Cmds.SetRole(ctx, "", events.UserID(mod.User.ID), events.RoleModerator); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*forumtest.Client{ada, bob} {
			if err := f.Cmds.JoinRoom(ctx, events.UserID(c.User.ID), "general"); err != nil {
				t.Fatal(err)
			}
		}
		a := ada.DialWS("")
		after = a.Hello.Seq
		hidden = writes(t, f, ada, bob, "hush")
		a.WaitType("dm") // every frame is cached, with its text
		for _, target := range hidden {
			if err := f.Cmds.SetHidden(ctx, events.UserID(mod.User.ID), target, true, "spoiler"); err != nil {
				t.Fatal(err)
			}
		}
		resume(t, f, "Cache marker")
	})
	t.Run("from the stream", func(t *testing.T) {
		f := forumtest.Start(t, forumtest.Options{Dir: dir})
		if _, ok := f.Proj.Since(after, 10); ok {
			t.Fatal("the events are still in memory: this would not read the stream")
		}
		resume(t, f, "Stream marker")
	})
}

// A resume after a user erased their account replays nothing of their
// name or text: what they wrote shows as "[deleted]" by "deleted user", as
// over HTTP, and the notifications they made are gone.
func TestWSResumeAfterErasure(t *testing.T) {
	t.Parallel()
	ctx := forumtest.Context(t)
	f := forumtest.Start(t, forumtest.Options{})
	ada, zed := f.SignUp("ada"), f.SignUp("zorrino")
	a := ada.DialWS("")
	after := a.Hello.Seq
	a.Close()
	for _, c := range []*forumtest.Client{ada, zed} {
		if err := f.Cmds.JoinRoom(ctx, events.UserID(c.User.ID), "general"); err != nil {
			t.Fatal(err)
		}
	}
	writes(t, f, ada, zed, "private")
	dmHTTP(ada, zed, "ada answers")

	// A first resume (the frames are cached) sees it all, then zed goes.
	w := ada.DialWS(fmt.Sprint("after=", after))
	ada.CreatePost("Before")
	secrets{}.replayUntil(t, w, "Before")
	if err := f.Cmds.Erase(ctx, events.UserID(zed.User.ID), forumtest.Password("zorrino")); err != nil {
		t.Fatal(err)
	}
	ada.CreatePost("Marker")
	w.WaitFor("the marker, live", func(fr forumtest.Frame) bool { return fr.Type == "post.created" && fr.Post(t).Title == "Marker" })

	for i := range 2 { // the second from what the first built again
		w := ada.DialWS(fmt.Sprint("after=", after))
		types := typesOf(secrets{"zorrino", "private"}.replayUntil(t, w, "Marker"))
		if got := strings.Count(types, "notification"); got != 0 {
			t.Errorf("resume %d: %d notifications of the erased user replayed (%v)", i, got, types)
		}
		if !strings.Contains(types, "room.system,post.created,post.created,comment.created,room.message,dm,dm") {
			t.Errorf("resume %d: replayed %v, want zed's items shown as deleted", i, types)
		}
	}
}

// A resume replays nothing of a user the reader blocks since: neither what
// they wrote nor the notifications they made.
func TestWSResumeBlockedNotifications(t *testing.T) {
	t.Parallel()
	ctx := forumtest.Context(t)
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	for _, c := range []*forumtest.Client{ada, bob} {
		if err := f.Cmds.JoinRoom(ctx, events.UserID(c.User.ID), "general"); err != nil {
			t.Fatal(err)
		}
	}
	a := ada.DialWS("")
	after := a.Hello.Seq
	writes(t, f, ada, bob, "pest")
	a.WaitType("dm") // cached
	a.Close()
	if err := f.Cmds.Block(ctx, events.UserID(ada.User.ID), events.UserID(bob.User.ID), true); err != nil {
		t.Fatal(err)
	}
	ada.CreatePost("Marker")
	w := ada.DialWS(fmt.Sprint("after=", after))
	types := typesOf(secrets{"pest title", "pest body", "pest comment", "pest room"}.replayUntil(t, w, "Marker"))
	if strings.Contains(types, "notification") {
		t.Errorf("replayed %v: a notification of a blocked user", types)
	}
}
