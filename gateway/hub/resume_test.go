package hub_test

import (
	"fmt"
	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"net/http"
	"sync"
	"testing"
)

// expectFrames checks that w's next frames (presence aside) are exactly
// want, as "type:id" with the id of the post, comment or message they show.
func expectFrames(t *testing.T, w *forumtest.WSClient, after uint64, want []string) {
	t.Helper()
	last := after
	for i, exp := range want {
		fr := w.NextSkipping("presence")
		if fr.Seq <= last {
			t.Fatalf("frame %d: %s has seq %d, not above %d", i, fr, fr.Seq, last)
		}
		last = fr.Seq
		if got := frameKey(t, fr); got != exp {
			t.Fatalf("frame %d: got %s, want %s (%s)", i, got, exp, fr)
		}
	}
}

// frameKey names a frame as "type:id".
func frameKey(t *testing.T, fr forumtest.Frame) string {
	t.Helper()
	var v struct {
		ID      string `json:"id"`
		Post    struct{ ID string }
		Comment struct{ ID string }
		Message struct{ ID string }
		UpTo    string `json:"up_to"`
	}
	fr.Decode(t, &v)
	id := v.ID + v.Post.ID + v.Comment.ID + v.Message.ID + v.UpTo
	if fr.Type == "post.edited" || fr.Type == "post.deleted" || fr.Type == "comment.deleted" {
		id = v.Post.ID + v.Comment.ID
	}
	return fr.Type + ":" + id
}

func dmHTTP(c *forumtest.Client, to *forumtest.Client, body string) string {
	c.F.T.Helper()
	var out struct {
		Message struct{ ID string }
	}
	c.MustDo("POST", "/api/chats/"+to.User.ID+"/messages", map[string]any{"body": body}, http.StatusCreated, &out)
	return out.Message.ID
}

func TestWSResume(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	ctx := t.Context()
	a := ada.DialWS("")
	first := bob.CreatePost("seen live")
	last := a.WaitType("post.created").Seq
	a.Close()
	forumtest.Eventually(t, "ada to go", func() bool { return f.GW.Hub().LocalConns(events.UserID(ada.User.ID)) == 0 })

	// While ada is away.
	p := bob.CreatePost("missed")
	c, err := f.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(cyd.User.ID), PostID: events.PostID(p), Body: "a comment"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Cmds.Vote(ctx, commands.VoteInput{Voter: events.UserID(cyd.User.ID), Target: events.Target{Kind: events.KindPost, ID: first}, Value: -1}); err != nil {
		t.Fatal(err)
	}
	toAda := dmHTTP(bob, ada, "for ada")
	toCyd := dmHTTP(bob, cyd, "not for ada")
	cyd.MustDo("POST", "/api/chats/"+bob.User.ID+"/read", map[string]any{"up_to": toCyd}, http.StatusNoContent, nil)
	cyd.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "in a room ada has not joined"}, http.StatusCreated, nil)
	fromAda := dmHTTP(ada, bob, "ada writes from her phone")
	ada.MustDo("POST", "/api/chats/"+bob.User.ID+"/read", map[string]any{"up_to": toAda}, http.StatusNoContent, nil)
	if err := f.Cmds.DeleteComment(ctx, events.UserID(cyd.User.ID), c); err != nil {
		t.Fatal(err)
	}
	want := []string{"post.created:" + p, "comment.created:" + string(c), "post.voted:" + first, "dm:" + toAda, "dm:" + fromAda, "read:" + toAda, "comment.deleted:" + string(c)}

	// Resume: exactly the missed events she may see, once, in order, then live.
	a = ada.DialWS(fmt.Sprint("after=", last))
	expectFrames(t, a, last, want)
	live := bob.CreatePost("live again")
	expectFrames(t, a, last, []string{"post.created:" + live})

	// Resuming from the present replays nothing; from beyond it, the same.
	for _, after := range []uint64{f.Proj.Seq(), 1 << 40} {
		w := ada.DialWS(fmt.Sprint("after=", after))
		id := bob.CreatePost(fmt.Sprint("after ", after))
		expectFrames(t, w, 0, []string{"post.created:" + id})
	}
}

// A resume while events keep coming gets each of them once: the replay and
// the live frames meet without a gap or an overlap.
func TestWSResumeWhileBusy(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	bob.CreatePost("start")
	after := a.WaitType("post.created").Seq
	a.Close()

	const n = 60
	ids := make(chan string, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			ids <- bob.CreatePost(fmt.Sprint("busy ", i))
		}
		close(ids)
	})
	var resumed *forumtest.WSClient
	var posted []string
	for id := range ids {
		posted = append(posted, id)
		if len(posted) == n/3 {
			resumed = ada.DialWS(fmt.Sprint("after=", after))
		}
	}
	wg.Wait()
	want := make([]string, len(posted))
	for i, id := range posted {
		want[i] = "post.created:" + id
	}
	expectFrames(t, resumed, after, want)
	end := bob.CreatePost("end")
	expectFrames(t, resumed, after, []string{"post.created:" + end})
}

// After a restart the events are no longer in memory: the resume reads them
// from the stream.
func TestWSResumeAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var ada, bob *forumtest.Client
	var last uint64
	var want []string
	t.Run("before", func(t *testing.T) {
		f := forumtest.Start(t, forumtest.Options{Dir: dir})
		a, b := f.SignUp("ada"), f.SignUp("bob")
		ada, bob = a, b
		w := a.DialWS("")
		last = w.Hello.Seq
		w.Close()
		p := b.CreatePost("while ada was away")
		want = append(want, "post.created:"+p, "dm:"+dmHTTP(b, a, "see you after the restart"))
	})
	f := forumtest.Start(t, forumtest.Options{Dir: dir})
	if f.Proj.Seq() <= last {
		t.Fatalf("restarted at %d, want past %d", f.Proj.Seq(), last)
	}
	if _, ok := f.Proj.Since(last, 10); ok {
		t.Fatal("the events are still in memory: this test would not read the stream")
	}
	ada, bob = ada.As(f), bob.As(f)
	w := ada.DialWS(fmt.Sprint("after=", last))
	expectFrames(t, w, last, want)
	live := bob.CreatePost("after the restart")
	expectFrames(t, w, last, []string{"post.created:" + live})
}

func TestWSResync(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	f.GW.Hub().SetMaxReplay(3)
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	last := a.Hello.Seq
	a.Close()
	for i := range 5 {
		bob.CreatePost(fmt.Sprint("post ", i))
	}
	a = ada.DialWS(fmt.Sprint("after=", last))
	if fr := a.NextSkipping("presence"); fr.Type != "resync" {
		t.Fatalf("got %s, want resync", fr)
	}
	live := bob.CreatePost("live")
	expectFrames(t, a, 0, []string{"post.created:" + live})
}
