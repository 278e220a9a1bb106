package gateway_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// feedIDs reads every page of a list of posts (path with its query, limit
// 2) as c and returns the ids in the order shown, the first page's first.
func feedIDs(c *forumtest.Client, path string) []string {
	c.F.T.Helper()
	var ids []string
	cursor := ""
	for range 50 {
		var page projections.Page[projections.Post]
		c.MustDo("GET", path+"&limit=2&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &page)
		for _, p := range page.Items {
			ids = append(ids, p.ID)
		}
		if page.Next == nil {
			return ids
		}
		cursor = *page.Next
	}
	c.F.T.Fatalf("%s: more than 50 pages", path)
	return nil
}

// firstIDs returns the ids of the first page of a list (limit 2).
func firstIDs(c *forumtest.Client, path string) []string {
	c.F.T.Helper()
	var page projections.Page[projections.Post]
	c.MustDo("GET", path+"&limit=2", nil, http.StatusOK, &page)
	var ids []string
	for _, p := range page.Items {
		ids = append(ids, p.ID)
	}
	return ids
}

// wantOnce fails unless every id of want shows exactly once in got.
func wantOnce(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d posts %v, want %d", what, len(got), got, len(want))
	}
	for _, id := range want {
		if n := strings.Count(strings.Join(got, ","), id); n != 1 {
			t.Errorf("%s: post %s shows %d times", what, id, n)
		}
	}
}

// Moderators pin a post globally (first on every list) or in its
// categories (first on their lists): on the first page only, never again
// further down; the post carries "pinned", open pages get a "pinned"
// frame, the moderation log records it, and a pin or unpin done twice
// changes nothing.
func TestPins(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	var general []string // newest first
	for _, title := range []string{"One", "Two", "Three", "Four", "Five"} {
		general = slices.Insert(general, 0, mkPost(ann, title).ID)
	}
	help := mkPost(bob, "Help me", "help").ID
	oldest, second := general[4], general[3]
	bobWS := bob.DialWS("")

	for _, bad := range []struct {
		who  *forumtest.Client
		url  string
		body any
		want int
	}{
		{ann, "/api/mod/posts/" + oldest + "/pin", map[string]any{"scope": "global"}, 403},
		{ann, "/api/mod/posts/" + oldest + "/unpin", nil, 403},
		{boss, "/api/mod/posts/" + oldest + "/pin", map[string]any{"scope": "everywhere"}, 400},
		{boss, "/api/mod/posts/" + oldest + "/pin", map[string]any{}, 400},
		{boss, "/api/mod/posts/01jq8r4m2v6e3k0tdw5x7y9zab/pin", map[string]any{"scope": "global"}, 404},
		{boss, "/api/mod/posts/nope/pin", map[string]any{"scope": "global"}, 404},
		{boss, "/api/mod/posts/01jq8r4m2v6e3k0tdw5x7y9zab/unpin", nil, 404},
	} {
		if status, body := bad.who.Do("POST", bad.url, bad.body); status != bad.want {
			t.Errorf("POST %s %v: %d %s, want %d", bad.url, bad.body, status, body, bad.want)
		}
	}

	boss.MustDo("POST", "/api/mod/posts/"+oldest+"/pin", map[string]any{"scope": "global"}, http.StatusNoContent, nil)
	fr := bobWS.WaitType("pinned")
	if p := fr.Post(t); p.ID != oldest || p.Pinned == nil || *p.Pinned != "global" {
		t.Errorf("pinned frame %s", fr)
	}
	boss.MustDo("POST", "/api/mod/posts/"+second+"/pin", map[string]any{"scope": "category"}, http.StatusNoContent, nil)
	if p := bobWS.WaitType("pinned").Post(t); p.ID != second || p.Pinned == nil || *p.Pinned != "category" {
		t.Errorf("pinned frame of the category pin: %+v", p)
	}
	var log projections.Page[projections.ModAction]
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	logged := len(log.Items)
	// Twice changes nothing: no event, no log entry.
	boss.MustDo("POST", "/api/mod/posts/"+oldest+"/pin", map[string]any{"scope": "global"}, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+help+"/unpin", nil, http.StatusNoContent, nil)
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	if len(log.Items) != logged {
		t.Errorf("a pin done twice and an unpin of a post not pinned logged %d entries, want %d", len(log.Items), logged)
	}

	// The post object says where it is pinned, null when it is not.
	var got struct{ Post projections.Post }
	bob.MustDo("GET", "/api/posts/"+oldest, nil, http.StatusOK, &got)
	if got.Post.Pinned == nil || *got.Post.Pinned != "global" {
		t.Errorf("the pinned post: %+v", got.Post)
	}
	if _, body := bob.Do("GET", "/api/posts/"+help, nil); !bytes.Contains(body, []byte(`"pinned":null`)) {
		t.Errorf("a post not pinned: %s", body)
	}

	// The feed: the global pin first, then the rest newest first; the
	// category pin in its place. Every post once, pinned ones included.
	for _, who := range []*forumtest.Client{f.Anon(), bob} {
		if first := firstIDs(who, "/api/posts?"); !slices.Equal(first, []string{oldest, help, general[0]}) {
			t.Errorf("the feed's first page: %v, want %v", first, []string{oldest, help, general[0]})
		}
		wantOnce(t, "the feed", feedIDs(who, "/api/posts?"), append([]string{help}, general...))
		// The category: both pins first, global before category.
		if first := firstIDs(who, "/api/posts?category=general"); !slices.Equal(first, []string{oldest, second, general[0], general[1]}) {
			t.Errorf("general's first page: %v", first)
		}
		wantOnce(t, "general", feedIDs(who, "/api/posts?category=general"), general)
		// Another category: the global pin only.
		if first := firstIDs(who, "/api/posts?category=help"); !slices.Equal(first, []string{oldest, help}) {
			t.Errorf("help's first page: %v", first)
		}
	}
	// Lists filtered otherwise are not led by pins.
	if first := firstIDs(bob, "/api/posts?author="+ann.User.ID); !slices.Equal(first, general[:2]) {
		t.Errorf("ann's posts: %v, want %v", first, general[:2])
	}

	// A pinned post hidden leaves every list; deleted, it is no longer
	// pinned and cannot be pinned again.
	boss.MustDo("POST", "/api/mod/posts/"+second+"/hide", nil, http.StatusNoContent, nil)
	if first := firstIDs(bob, "/api/posts?category=general"); slices.Contains(first, second) {
		t.Errorf("the hidden pinned post is listed: %v", first)
	}
	ann.MustDo("DELETE", "/api/posts/"+oldest, nil, http.StatusNoContent, nil)
	if first := firstIDs(bob, "/api/posts?"); !slices.Equal(first, []string{help, general[0]}) {
		t.Errorf("the feed after the pinned post's deletion: %v", first)
	}
	bob.MustDo("GET", "/api/posts/"+oldest, nil, http.StatusOK, &got)
	if got.Post.Pinned != nil {
		t.Errorf("a deleted post stays pinned: %+v", got.Post)
	}
	if status, _ := boss.Do("POST", "/api/mod/posts/"+oldest+"/pin", map[string]any{"scope": "global"}); status != http.StatusNotFound {
		t.Errorf("pinning a deleted post: %d", status)
	}

	// Unpinned, the post goes back to its place; the log has every step.
	boss.MustDo("POST", "/api/mod/posts/"+help+"/pin", map[string]any{"scope": "category"}, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+help+"/pin", map[string]any{"scope": "global"}, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+help+"/unpin", nil, http.StatusNoContent, nil)
	if p := bobWS.WaitFor("the unpin", func(fr forumtest.Frame) bool { return fr.Type == "pinned" && fr.Post(t).Pinned == nil }).Post(t); p.ID != help {
		t.Errorf("unpinned frame of %s", p.ID)
	}
	wantOnce(t, "general after the unpin", feedIDs(bob, "/api/posts?category=general"), general[:3])
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	var actions []string
	for _, a := range log.Items {
		if a.Target.Kind == "post" {
			actions = append(actions, a.Action+":"+a.Reason)
		}
	}
	if got := strings.Join(actions, ","); got != "unpin:,pin:global,pin:category,hide:,pin:category,pin:global" {
		t.Errorf("the moderation log, newest first: %s", got)
	}
}

// A hidden post is neither pinned nor locked (409, nothing stored); one
// pinned and locked before it was hidden leaves page one of every list,
// and its unpin and unlock go through, their frames showing it concealed
// as members read it.
func TestHiddenPostsTakeNoPinOrLock(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	hidden, pinned, other := mkPost(ann, "Spam").ID, mkPost(ann, "Pinned").ID, mkPost(ann, "Other").ID
	boss.MustDo("POST", "/api/mod/posts/"+hidden+"/hide", nil, http.StatusNoContent, nil)
	var log projections.Page[projections.ModAction]
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	logged := len(log.Items)
	for _, try := range []struct {
		url  string
		body any
	}{{"/pin", map[string]any{"scope": "global"}}, {"/pin", map[string]any{"scope": "category"}}, {"/lock", nil}} {
		status, body := boss.Do("POST", "/api/mod/posts/"+hidden+try.url, try.body)
		if code, _ := errorOf(t, body); status != http.StatusConflict || code != "conflict" || !bytes.Contains(body, []byte("hidden")) {
			t.Errorf("POST %s %v of a hidden post: %d %s, want 409 conflict", try.url, try.body, status, body)
		}
	}
	var got struct{ Post projections.Post }
	boss.MustDo("GET", "/api/posts/"+hidden, nil, http.StatusOK, &got)
	boss.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	if got.Post.Pinned != nil || got.Post.Locked || len(log.Items) != logged {
		t.Errorf("refused pins and locks stored something: pinned %v, locked %v, %d log entries (was %d)", got.Post.Pinned, got.Post.Locked, len(log.Items), logged)
	}

	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/pin", map[string]any{"scope": "global"}, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/lock", nil, http.StatusNoContent, nil)
	for _, who := range []*forumtest.Client{f.Anon(), bob} {
		if first := firstIDs(who, "/api/posts?"); !slices.Equal(first, []string{pinned, other, hidden}[:2]) {
			t.Errorf("the feed's first page with the pin: %v", first)
		}
	}
	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/hide", nil, http.StatusNoContent, nil)
	for _, who := range []*forumtest.Client{f.Anon(), bob, boss} {
		if first := firstIDs(who, "/api/posts?"); slices.Contains(first, pinned) || slices.Contains(first, hidden) {
			t.Errorf("the feed's first page once the pinned post is hidden: %v", first)
		}
	}
	if bob.MustDo("GET", "/api/posts/"+pinned, nil, http.StatusOK, &got); !got.Post.Hidden || got.Post.Title != "" {
		t.Errorf("the hidden post to a member: %+v, want it concealed", got.Post)
	}

	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/restore", nil, http.StatusNoContent, nil)
	if first := firstIDs(bob, "/api/posts?"); len(first) == 0 || first[0] != pinned {
		t.Errorf("the feed's first page once the pinned post is restored: %v", first)
	}
	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/hide", nil, http.StatusNoContent, nil)

	bobWS := bob.DialWS("")
	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/unpin", nil, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+pinned+"/unlock", nil, http.StatusNoContent, nil)
	boss.MustDo("GET", "/api/posts/"+pinned, nil, http.StatusOK, &got)
	if got.Post.Pinned != nil || got.Post.Locked {
		t.Errorf("the hidden post unpinned and unlocked: pinned %v, locked %v", got.Post.Pinned, got.Post.Locked)
	}
	marker := mkPost(ann, "After").ID
	seen := 0
	bobWS.WaitFor("the later post", func(fr forumtest.Frame) bool {
		if strings.Contains(fr.String(), pinned) {
			if p := fr.Post(t); !p.Hidden || p.Title != "" || strings.Contains(fr.String(), "Pinned") {
				t.Errorf("a frame about the hidden post shows it: %s", fr)
			}
			seen++
		}
		return fr.Type == "post.created" && fr.Post(t).ID == marker
	})
	if seen != 2 {
		t.Errorf("%d frames of the unpin and unlock, want 2 (concealed as the post is to members)", seen)
	}
}
