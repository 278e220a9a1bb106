package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// wantField fails unless body is a validation error about field.
func wantField(t *testing.T, what string, status int, body []byte, field string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Field string }
	}
	json.Unmarshal(body, &e)
	if status != http.StatusBadRequest || e.Error.Code != "validation" || e.Error.Field != field {
		t.Errorf("%s: %d %s, want 400 validation on %s", what, status, body, field)
	}
}

// GET /api/posts?sort=latest|top&period=: latest by last activity, top by
// score within a period, each paged with its own cursors; posts carry
// last_activity_at, last_commenter and participants; bad values answer
// 400 with their field.
func TestSortsOverHTTP(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	a, b, c := mkPost(ann, "One").ID, mkPost(ann, "Two").ID, mkPost(bob, "Three", "help").ID
	mkComment(bob, a, "a reply")
	bob.MustDo("PUT", "/api/posts/"+b+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)
	ann.MustDo("PUT", "/api/posts/"+c+"/vote", map[string]any{"value": -1}, http.StatusOK, nil)

	for _, who := range []*forumtest.Client{f.Anon(), bob} {
		if got := feedIDs(who, "/api/posts?sort=latest"); !slices.Equal(got, []string{a, c, b}) {
			t.Errorf("latest: %v, want %v", got, []string{a, c, b})
		}
		if got := feedIDs(who, "/api/posts?sort=latest&category=general"); !slices.Equal(got, []string{a, b}) {
			t.Errorf("general's latest: %v", got)
		}
		for _, q := range []string{"sort=top", "sort=top&period=all", "sort=top&period=day", "sort=top&period=week&category=general"} {
			want := []string{b, a, c}
			if strings.Contains(q, "general") {
				want = want[:2]
			}
			if got := feedIDs(who, "/api/posts?"+q); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
		if got := feedIDs(who, "/api/posts?sort=new"); !slices.Equal(got, []string{c, b, a}) {
			t.Errorf("new: %v", got)
		}
	}
	var got struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+a, nil, http.StatusOK, &got)
	if lc := got.Post.LastCommenter; lc == nil || lc.ID != bob.User.ID || got.Post.LastActivityAt <= got.Post.CreatedAt ||
		len(got.Post.Participants) != 2 || got.Post.Participants[1].Nickname != "bob" {
		t.Errorf("a commented post: %+v", got.Post)
	}
	if _, body := ann.Do("GET", "/api/posts/"+b, nil); !bytes.Contains(body, []byte(`"last_commenter":null`)) || !bytes.Contains(body, []byte(`"locked":false`)) {
		t.Errorf("a post without comments: %s", body)
	}

	for _, bad := range []struct{ query, field string }{
		{"sort=hot", "sort"}, {"sort=top&period=decade", "period"}, {"sort=latest&period=week", "period"}, {"period=day", "period"},
	} {
		status, body := bob.Do("GET", "/api/posts?"+bad.query, nil)
		wantField(t, bad.query, status, body, bad.field)
	}
	// A cursor of one sort given to another says so.
	var page projections.Page[projections.Post]
	bob.MustDo("GET", "/api/posts?sort=latest&limit=1", nil, http.StatusOK, &page)
	for _, q := range []string{"sort=new", "sort=top", "sort=top&period=week"} {
		status, body := f.Anon().Do("GET", "/api/posts?"+q+"&cursor="+url.QueryEscape(*page.Next), nil)
		wantField(t, "a latest cursor on "+q, status, body, "cursor")
		if !bytes.Contains(body, []byte("another sort")) {
			t.Errorf("a latest cursor on %s: %s", q, body)
		}
	}
	// Top within a period moves with the clock: never kept.
	resp, _ := get(t, f.URL+"/api/posts?sort=top&period=week")
	if resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("top of the week: ETag %q, Cache-Control %q", resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
	}
}

// Moderators lock a post (POST /api/mod/posts/{id}/lock, /unlock → 204):
// the post carries locked, open pages get a "locked" frame, the log
// records it; a member's comment on it answers 409, a moderator's goes
// through; a member's lock is 403 and stores nothing.
func TestLocks(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	p := mkPost(ann, "Heated").ID
	bobWS := bob.DialWS("")
	var log projections.Page[projections.ModAction]
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	logged := len(log.Items)

	for _, bad := range []struct {
		who  *forumtest.Client
		url  string
		want int
	}{
		{ann, "/api/mod/posts/" + p + "/lock", 403},
		{bob, "/api/mod/posts/" + p + "/unlock", 403},
		{f.Anon(), "/api/mod/posts/" + p + "/lock", 401},
		{boss, "/api/mod/posts/" + unknownID + "/lock", 404},
		{boss, "/api/mod/posts/nope/lock", 404},
	} {
		if status, body := bad.who.Do("POST", bad.url, nil); status != bad.want {
			t.Errorf("POST %s: %d %s, want %d", bad.url, status, body, bad.want)
		}
	}
	var got struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+p, nil, http.StatusOK, &got)
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	if got.Post.Locked || len(log.Items) != logged {
		t.Fatalf("refused locks stored something: locked %v, %d log entries (was %d)", got.Post.Locked, len(log.Items), logged)
	}

	boss.MustDo("POST", "/api/mod/posts/"+p+"/lock", nil, http.StatusNoContent, nil)
	if fr := bobWS.WaitType("locked"); fr.Post(t).ID != p || !fr.Post(t).Locked || !strings.Contains(fr.String(), `"participants":null`) {
		t.Errorf("locked frame %s", fr)
	}
	boss.MustDo("POST", "/api/mod/posts/"+p+"/lock", nil, http.StatusNoContent, nil) // twice: nothing more
	status, body := bob.Do("POST", "/api/posts/"+p+"/comments", map[string]any{"body": "but wait"})
	if code, _ := errorOf(t, body); status != http.StatusConflict || code != "conflict" || !bytes.Contains(body, []byte("locked")) {
		t.Errorf("a comment on a locked post: %d %s", status, body)
	}
	// A moderator too: they unlock to comment.
	if status, body := boss.Do("POST", "/api/posts/"+p+"/comments", map[string]any{"body": "Closed: see the rules."}); status != http.StatusConflict {
		t.Errorf("a moderator's comment on a locked post: %d %s, want 409", status, body)
	}
	ann.MustDo("GET", "/api/posts/"+p, nil, http.StatusOK, &got)
	if !got.Post.Locked || got.Post.CommentCount != 0 {
		t.Errorf("the locked post: locked %v, %d comments", got.Post.Locked, got.Post.CommentCount)
	}
	// Votes go on.
	bob.MustDo("PUT", "/api/posts/"+p+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)

	boss.MustDo("POST", "/api/mod/posts/"+p+"/unlock", nil, http.StatusNoContent, nil)
	if fr := bobWS.WaitFor("the unlock", func(fr forumtest.Frame) bool { return fr.Type == "locked" && !fr.Post(t).Locked }); fr.Post(t).ID != p {
		t.Errorf("unlocked frame %s", fr)
	}
	mkComment(bob, p, "thanks")
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	var actions []string
	for _, a := range log.Items[:len(log.Items)-logged] {
		actions = append(actions, a.Action+":"+a.Target.ID)
	}
	if want := []string{"unlock:" + p, "lock:" + p}; !slices.Equal(actions, want) {
		t.Errorf("the moderation log, newest first: %v, want %v", actions, want)
	}
}
