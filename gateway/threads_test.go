package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
)

// A hidden post hides its thread: to anyone but moderators its comments
// answer 404 as a list and one by one, they leave search and their
// notifications go; the post takes no edit and no vote, nor do its
// comments (409 conflict, the log unmoved). Restoring the post brings the
// thread back.
func TestHiddenPostHidesItsThread(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob, cat := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cat")
	const mark = "threadmarkzz"
	post := mkPost(ann, "A thread")
	c := mkComment(bob, post.ID, mark+" says hi to @cat")
	if notes, _ := notificationsOf(t, cat); len(notes) != 1 {
		t.Fatalf("cat's mention before the hide: %+v", notes)
	}
	if _, body := f.Anon().Do("GET", "/api/search?q="+mark, nil); !bytes.Contains(body, []byte(c.ID)) {
		t.Fatalf("the comment is not found before the hide: %s", body)
	}
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", nil, http.StatusNoContent, nil)

	readers := map[string]*forumtest.Client{"anonymous": f.Anon(), "the post's author": ann, "the comment's author": bob, "a member": cat}
	for name, r := range readers {
		for _, path := range []string{"/api/posts/" + post.ID + "/comments", "/api/comments/" + c.ID} {
			if status, body := r.Do("GET", path, nil); status != http.StatusNotFound || bytes.Contains(body, []byte(mark)) {
				t.Errorf("%s GET %s: %d %s", name, path, status, body)
			}
		}
		if status, body := r.Do("GET", "/api/search?q="+mark, nil); status != http.StatusOK || bytes.Contains(body, []byte(c.ID)) {
			t.Errorf("%s searches the thread: %d %s", name, status, body)
		}
	}
	for _, path := range []string{"/api/posts/" + post.ID + "/comments", "/api/comments/" + c.ID} {
		if status, body := mod.Do("GET", path, nil); status != http.StatusOK || !bytes.Contains(body, []byte(mark)) {
			t.Errorf("the moderator GET %s: %d %s", path, status, body)
		}
	}
	if notes, _ := notificationsOf(t, cat); len(notes) != 0 {
		t.Errorf("cat keeps the mention from the hidden thread: %+v", notes)
	}
	// A comment that raced the hide (decided by an instance that had not
	// applied it yet) stays out of search with its thread.
	raced := appendComment(t, f, bob, post.ID, mark+" raced")
	if status, body := cat.Do("GET", "/api/search?q="+mark, nil); status != http.StatusOK || bytes.Contains(body, []byte(raced)) {
		t.Errorf("a comment that raced the hide is found: %d %s", status, body)
	}
	refuseInThread(t, f, []threadWrite{
		{ann, "PATCH", "/api/posts/" + post.ID, map[string]any{"title": "A thread", "body": "sneaky edit"}},
		{bob, "PUT", "/api/posts/" + post.ID + "/vote", map[string]any{"value": 1}},
		{cat, "PUT", "/api/comments/" + c.ID + "/vote", map[string]any{"value": -1}},
		{bob, "PATCH", "/api/comments/" + c.ID, map[string]any{"body": "sneaky comment edit"}},
	})

	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/restore", nil, http.StatusNoContent, nil)
	cat.MustDo("GET", "/api/comments/"+c.ID, nil, http.StatusOK, nil)
	if _, body := cat.Do("GET", "/api/posts/"+post.ID+"/comments", nil); !bytes.Contains(body, []byte(mark)) {
		t.Errorf("the restored thread: %s", body)
	}
	if _, body := f.Anon().Do("GET", "/api/search?q="+mark, nil); !bytes.Contains(body, []byte(c.ID)) {
		t.Errorf("the restored thread is not found: %s", body)
	}
	cat.MustDo("PUT", "/api/comments/"+c.ID+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)
	ann.MustDo("PATCH", "/api/posts/"+post.ID, map[string]any{"body": "open again"}, http.StatusOK, nil)
}

// appendComment writes a comment by c on post straight to the log, as an
// instance whose read models lag would, and waits until it is applied.
func appendComment(t *testing.T, f *forumtest.Forum, c *forumtest.Client, post, body string) string {
	t.Helper()
	id := events.NewID(time.Now())
	appendApplied(t, f, id, events.CommentCreated, c.User.ID, events.CommentCreatedData{CommentID: id, PostID: post, AuthorID: c.User.ID, Body: body})
	return id
}

// appendApplied writes an event of type typ about id by actor straight to
// the log, bypassing the gateway's checks, and waits until it is applied.
func appendApplied(t *testing.T, f *forumtest.Forum, id string, typ events.Type, actor string, data any) {
	t.Helper()
	ctx := forumtest.Context(t)
	env, err := events.New(id, typ, time.Now(), actor, data)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := f.Store.Append(ctx, typ.Subject(id), env)
	if err == nil {
		err = f.Proj.WaitFor(ctx, ack.Seq)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// threadWrite is one write a hidden thread refuses.
type threadWrite struct {
	c            *forumtest.Client
	method, path string
	body         any
}

// refuseInThread checks that each write answers 409 conflict naming the
// hide, and that none of them reaches the log.
func refuseInThread(t *testing.T, f *forumtest.Forum, writes []threadWrite) {
	t.Helper()
	ctx := forumtest.Context(t)
	before, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		status, body := w.c.Do(w.method, w.path, w.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &e)
		if status != http.StatusConflict || e.Error.Code != "conflict" || !strings.Contains(e.Error.Message, "hidden") {
			t.Errorf("%s %s %s in a hidden thread: %d %s", w.c.User.Nickname, w.method, w.path, status, body)
		}
	}
	if after, err := f.Store.LastSeq(ctx); err != nil || after != before {
		t.Errorf("the log moved from %d to %d (%v)", before, after, err)
	}
}

// A resumed WebSocket replays nothing of a comment under a post hidden
// since: the API answers 404 for it, so no frame names it. Once the post
// is restored, a resume replays the comment with its text again.
func TestWSResumeHidesTheThread(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob, cat := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cat")
	const mark = "resumemarkzz"
	post := mkPost(ann, "A thread to hide")
	ctx := forumtest.Context(t)
	after, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live := cat.DialWS("") // fans the comment out, so its frame is cached
	c := mkComment(bob, post.ID, mark+" in the thread")
	live.WaitType("comment.created")
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", nil, http.StatusNoContent, nil)
	marker := mkPost(ann, "Marker after the hide")

	for _, reader := range []*forumtest.Client{cat, ann, bob} {
		w := reader.DialWS(fmt.Sprintf("after=%d", after))
		w.WaitFor("the marker post", func(fr forumtest.Frame) bool {
			if strings.Contains(fr.String(), mark) || strings.Contains(fr.String(), c.ID) {
				t.Errorf("a frame resumed by %s shows the hidden thread: %s", reader.User.Nickname, fr)
			}
			return fr.Type == "post.created" && fr.Post(t).ID == marker.ID
		})
	}

	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/restore", nil, http.StatusNoContent, nil)
	marker = mkPost(ann, "Marker after the restore")
	seen := false
	w := cat.DialWS(fmt.Sprintf("after=%d", after))
	w.WaitFor("the marker post", func(fr forumtest.Frame) bool {
		seen = seen || fr.Type == "comment.created" && strings.Contains(fr.String(), mark)
		return fr.Type == "post.created" && fr.Post(t).ID == marker.ID
	})
	if !seen {
		t.Error("a resume after the restore does not replay the comment")
	}
}

// A hidden post counts no comments to anyone but moderators, as its thread
// answers 404 to them; a comment of its thread answers a flag 404 as it
// does a read (409 to a moderator, the thread being closed), and the post
// itself, hidden already, answers a flag 409. Nothing reaches the log.
func TestHiddenThreadNeitherCountsNorTakesFlags(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob, cat := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cat")
	post := mkPost(ann, "A thread to count")
	c := mkComment(bob, post.ID, "a comment to count")
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", nil, http.StatusNoContent, nil)

	var got struct {
		Post struct {
			CommentCount int `json:"comment_count"`
		}
	}
	for _, r := range []*forumtest.Client{f.Anon(), ann, bob, cat} {
		r.MustDo("GET", "/api/posts/"+post.ID, nil, http.StatusOK, &got)
		if got.Post.CommentCount != 0 {
			t.Errorf("%q reads the hidden post's comment_count %d", r.User.Nickname, got.Post.CommentCount)
		}
	}
	mod.MustDo("GET", "/api/posts/"+post.ID, nil, http.StatusOK, &got)
	if got.Post.CommentCount != 1 {
		t.Errorf("the moderator reads comment_count %d", got.Post.CommentCount)
	}

	ctx := forumtest.Context(t)
	before, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reason := map[string]any{"reason": "spam"}
	for _, tc := range []struct {
		c      *forumtest.Client
		path   string
		status int
	}{
		{cat, "/api/comments/" + c.ID + "/flag", http.StatusNotFound},
		{ann, "/api/comments/" + c.ID + "/flag", http.StatusNotFound},
		{mod, "/api/comments/" + c.ID + "/flag", http.StatusConflict},
		{cat, "/api/posts/" + post.ID + "/flag", http.StatusConflict},
		{mod, "/api/posts/" + post.ID + "/flag", http.StatusConflict},
	} {
		if status, body := tc.c.Do("POST", tc.path, reason); status != tc.status {
			t.Errorf("%s flags %s: %d %s, want %d", tc.c.User.Nickname, tc.path, status, body, tc.status)
		}
	}
	if after, err := f.Store.LastSeq(ctx); err != nil || after != before {
		t.Errorf("the log moved from %d to %d (%v)", before, after, err)
	}
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/restore", nil, http.StatusNoContent, nil)
	cat.MustDo("POST", "/api/comments/"+c.ID+"/flag", reason, http.StatusCreated, nil)
	cat.MustDo("POST", "/api/posts/"+post.ID+"/flag", reason, http.StatusCreated, nil)
}
