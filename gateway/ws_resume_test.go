package gateway

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// expectFrames checks that w's next frames (presence aside) are exactly
// want, as "type:id" with the id of the post, comment or message they show.
func expectFrames(t *testing.T, w *wsClient, after uint64, want []string) {
	t.Helper()
	last := after
	for i, exp := range want {
		fr := w.nextSkipping("presence")
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
func frameKey(t *testing.T, fr wsFrame) string {
	t.Helper()
	var v struct {
		ID      string `json:"id"`
		Post    struct{ ID string }
		Comment struct{ ID string }
		Message struct{ ID string }
		UpTo    string `json:"up_to"`
	}
	fr.decode(t, &v)
	id := v.ID + v.Post.ID + v.Comment.ID + v.Message.ID + v.UpTo
	if fr.Type == "post.edited" || fr.Type == "post.deleted" || fr.Type == "comment.deleted" {
		id = v.Post.ID + v.Comment.ID
	}
	return fr.Type + ":" + id
}

func (c *client) dmHTTP(to *client, body string) string {
	c.f.t.Helper()
	var out struct {
		Message struct{ ID string }
	}
	c.mustDo("POST", "/api/chats/"+to.User.ID+"/messages", map[string]any{"body": body}, http.StatusCreated, &out)
	return out.Message.ID
}

func TestWSResume(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob, cyd := f.signup("ada"), f.signup("bob"), f.signup("cyd")
	ctx := t.Context()
	a := ada.dialWS("")
	first := bob.wsPost("seen live")
	last := a.waitType("post.created").Seq
	a.close()
	eventually(t, "ada to go", func() bool { return f.localConns(ada.User.ID) == 0 })

	// While ada is away.
	p := bob.wsPost("missed")
	c, err := f.Cmds.CreateComment(ctx, cyd.User.ID, p, "a comment")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Cmds.Vote(ctx, cyd.User.ID, "post", first, -1); err != nil {
		t.Fatal(err)
	}
	toAda := bob.dmHTTP(ada, "for ada")
	toCyd := bob.dmHTTP(cyd, "not for ada")
	cyd.mustDo("POST", "/api/chats/"+bob.User.ID+"/read", map[string]any{"up_to": toCyd}, http.StatusNoContent, nil)
	cyd.mustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "in a room ada has not joined"}, http.StatusCreated, nil)
	fromAda := ada.dmHTTP(bob, "ada writes from her phone")
	ada.mustDo("POST", "/api/chats/"+bob.User.ID+"/read", map[string]any{"up_to": toAda}, http.StatusNoContent, nil)
	if err := f.Cmds.DeleteComment(ctx, cyd.User.ID, c); err != nil {
		t.Fatal(err)
	}
	want := []string{"post.created:" + p, "comment.created:" + c, "post.voted:" + first, "dm:" + toAda, "dm:" + fromAda, "read:" + toAda, "comment.deleted:" + c}

	// Resume: exactly the missed events she may see, once, in order, then live.
	a = ada.dialWS(fmt.Sprint("after=", last))
	expectFrames(t, a, last, want)
	live := bob.wsPost("live again")
	expectFrames(t, a, last, []string{"post.created:" + live})

	// Resuming from the present replays nothing; from beyond it, the same.
	for _, after := range []uint64{f.Proj.Seq(), 1 << 40} {
		w := ada.dialWS(fmt.Sprint("after=", after))
		id := bob.wsPost(fmt.Sprint("after ", after))
		expectFrames(t, w, 0, []string{"post.created:" + id})
	}
}

// A resume while events keep coming gets each of them once: the replay and
// the live frames meet without a gap or an overlap.
func TestWSResumeWhileBusy(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	bob.wsPost("start")
	after := a.waitType("post.created").Seq
	a.close()

	const n = 60
	ids := make(chan string, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			ids <- bob.wsPost(fmt.Sprint("busy ", i))
		}
		close(ids)
	})
	var resumed *wsClient
	var posted []string
	for id := range ids {
		posted = append(posted, id)
		if len(posted) == n/3 {
			resumed = ada.dialWS(fmt.Sprint("after=", after))
		}
	}
	wg.Wait()
	want := make([]string, len(posted))
	for i, id := range posted {
		want[i] = "post.created:" + id
	}
	expectFrames(t, resumed, after, want)
	end := bob.wsPost("end")
	expectFrames(t, resumed, after, []string{"post.created:" + end})
}

// After a restart the events are no longer in memory: the resume reads them
// from the stream.
func TestWSResumeAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var ada, bob client
	var last uint64
	var want []string
	t.Run("before", func(t *testing.T) {
		f := newForum(t, forumOptions{dir: dir})
		a, b := f.signup("ada"), f.signup("bob")
		ada, bob = *a, *b
		w := a.dialWS("")
		last = w.hello.Seq
		w.close()
		p := b.wsPost("while ada was away")
		want = append(want, "post.created:"+p, "dm:"+b.dmHTTP(a, "see you after the restart"))
	})
	f := newForum(t, forumOptions{dir: dir})
	if f.Proj.Seq() <= last {
		t.Fatalf("restarted at %d, want past %d", f.Proj.Seq(), last)
	}
	if _, ok := f.Proj.Since(last, 10); ok {
		t.Fatal("the events are still in memory: this test would not read the stream")
	}
	ada.f, bob.f = f, f
	w := ada.dialWS(fmt.Sprint("after=", last))
	expectFrames(t, w, last, want)
	live := bob.wsPost("after the restart")
	expectFrames(t, w, last, []string{"post.created:" + live})
}

func TestWSResync(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	f.GW.hub.maxReplay.Store(3)
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	last := a.hello.Seq
	a.close()
	for i := range 5 {
		bob.wsPost(fmt.Sprint("post ", i))
	}
	a = ada.dialWS(fmt.Sprint("after=", last))
	if fr := a.nextSkipping("presence"); fr.Type != "resync" {
		t.Fatalf("got %s, want resync", fr)
	}
	live := bob.wsPost("live")
	expectFrames(t, a, 0, []string{"post.created:" + live})
}
