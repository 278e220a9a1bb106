package gateway_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// commentIDs reads a page of comments at path as c and returns their ids
// and the next cursor ("" on the last page).
func commentIDs(c *forumtest.Client, path string) ([]string, string) {
	c.F.T.Helper()
	var page projections.Page[projections.Comment]
	c.MustDo("GET", path, nil, http.StatusOK, &page)
	var ids []string
	for _, cm := range page.Items {
		ids = append(ids, cm.ID)
	}
	next := ""
	if page.Next != nil {
		next = *page.Next
	}
	return ids, next
}

// GET /api/posts/{id}/comments?from= starts the page at that comment and
// pages on from there with the usual cursor; a comment of another post, an
// unknown one or a from with a cursor answer 400 field from; a hidden post
// answers 404 whatever from names.
func TestCommentsFrom(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	post, other := mkPost(ann, "Thread").ID, mkPost(ann, "Other").ID
	var all []string
	for _, body := range []string{"one", "two", "three", "four", "five"} {
		all = append(all, mkComment(bob, post, body).ID)
	}
	elsewhere := mkComment(bob, other, "elsewhere").ID
	base := "/api/posts/" + post + "/comments"

	got, next := commentIDs(bob, base+"?limit=2&from="+all[1])
	if strings.Join(got, ",") != strings.Join(all[1:3], ",") || next == "" {
		t.Fatalf("from the second, limit 2: %v next %q, want %v and a next page", got, next, all[1:3])
	}
	got, next = commentIDs(bob, base+"?limit=2&cursor="+url.QueryEscape(next))
	if strings.Join(got, ",") != strings.Join(all[3:5], ",") || next != "" {
		t.Fatalf("page after from: %v next %q, want %v and no more", got, next, all[3:5])
	}
	got, _ = commentIDs(f.Anon(), base+"?from="+all[4])
	if strings.Join(got, ",") != all[4] {
		t.Fatalf("from the last, anonymous: %v, want [%s]", got, all[4])
	}

	for name, query := range map[string]string{
		"another post's comment": "?from=" + elsewhere,
		"unknown comment":        "?from=" + unknownID,
		"not an id":              "?from=x",
		"the post itself":        "?from=" + post,
		"with a cursor":          "?from=" + all[1] + "&cursor=" + url.QueryEscape(next+"MQ"),
	} {
		status, body := bob.Do("GET", base+query, nil)
		if status != http.StatusBadRequest || !strings.Contains(string(body), fieldIs("from")) {
			t.Errorf("%s: %d %s, want 400 field from", name, status, body)
		}
	}

	boss.MustDo("POST", "/api/mod/posts/"+post+"/hide", map[string]any{"reason": "spam"}, http.StatusNoContent, nil)
	for _, from := range []string{all[1], elsewhere} {
		if status, body := bob.Do("GET", base+"?from="+from, nil); status != http.StatusNotFound {
			t.Errorf("hidden post from %s: %d %s, want 404", from, status, body)
		}
	}
	if got, _ := commentIDs(boss, base+"?from="+all[3]); strings.Join(got, ",") != strings.Join(all[3:], ",") {
		t.Errorf("moderator on a hidden post: %v, want %v", got, all[3:])
	}
}

// readUpTo has c read post up to comment upTo ("" for none): 204.
func readUpTo(c *forumtest.Client, post, upTo string) {
	c.F.T.Helper()
	body := map[string]any{"up_to_comment": nil}
	if upTo != "" {
		body["up_to_comment"] = upTo
	}
	c.MustDo("POST", "/api/posts/"+post+"/read", body, http.StatusNoContent, nil)
}

// POST /api/posts/{id}/read and the reader's lists: signed in only, a
// comment of the post or null, 404 for a hidden post; posts count their
// distinct readers; ?filter=new lists posts never opened made since the
// reader signed up, ?filter=unread posts opened with newer comments, each
// in a category too, paged.
func TestReadTracking(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) {
		c.Admins = []string{"boss"}
		c.ReadEvery = time.Nanosecond // every move is written: coalescing is the commands' test
	}})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	old := mkPost(ann, "Before cid").ID
	cid := f.SignUp("cid")
	general, help := mkPost(ann, "General").ID, mkPost(ann, "Help", "help").ID
	third := mkPost(bob, "Third").ID
	own := mkPost(cid, "Cid's own").ID
	c1 := mkComment(bob, general, "first").ID
	other := mkComment(bob, help, "on help").ID

	for _, bad := range []struct {
		name, path string
		body       any
		status     int
		field      string
		who        *forumtest.Client
	}{
		{"anonymous read", "/api/posts/" + general + "/read", map[string]any{"up_to_comment": nil}, 401, "", f.Anon()},
		{"another post's comment", "/api/posts/" + general + "/read", map[string]any{"up_to_comment": other}, 400, "up_to_comment", cid},
		{"unknown comment", "/api/posts/" + general + "/read", map[string]any{"up_to_comment": unknownID}, 400, "up_to_comment", cid},
		{"empty comment", "/api/posts/" + general + "/read", map[string]any{"up_to_comment": ""}, 400, "up_to_comment", cid},
		{"wrong type", "/api/posts/" + general + "/read", map[string]any{"up_to_comment": 3}, 400, "up_to_comment", cid},
		{"unknown post", "/api/posts/" + unknownID + "/read", map[string]any{"up_to_comment": nil}, 404, "", cid},
	} {
		status, body := bad.who.Do("POST", bad.path, bad.body)
		if status != bad.status || (bad.field != "" && !strings.Contains(string(body), fieldIs(bad.field))) {
			t.Errorf("%s: %d %s, want %d field %q", bad.name, status, body, bad.status, bad.field)
		}
	}
	for _, q := range []string{"?filter=unread", "?filter=new"} {
		if status, _ := f.Anon().Do("GET", "/api/posts"+q, nil); status != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d, want 401", q, status)
		}
	}
	if status, body := cid.Do("GET", "/api/posts?filter=bogus", nil); status != 400 || !strings.Contains(string(body), fieldIs("filter")) {
		t.Errorf("unknown filter: %d %s, want 400 field filter", status, body)
	}
	for _, field := range []string{"sort=top", "sort=new", "period=week", "author=" + ann.User.ID, "liked_by=" + ann.User.ID, "disliked_by=" + ann.User.ID} {
		name, _, _ := strings.Cut(field, "=")
		if status, body := cid.Do("GET", "/api/posts?filter=new&"+field, nil); status != 400 || !strings.Contains(string(body), fieldIs(name)) {
			t.Errorf("filter with %s: %d %s, want 400 field %s", field, status, body, name)
		}
	}

	wantOnce(t, "cid's new posts", feedIDs(cid, "/api/posts?filter=new"), []string{third, help, general})
	wantOnce(t, "cid's new posts in help", feedIDs(cid, "/api/posts?filter=new&category=help"), []string{help})
	wantOnce(t, "cid's new posts in an unknown category, as on the feed", feedIDs(cid, "/api/posts?filter=new&category=nosuch"), nil)
	wantOnce(t, "cid's unread in an unknown category, as on the feed", feedIDs(cid, "/api/posts?filter=unread&category=nosuch"), nil)
	readUpTo(cid, general, c1)
	readUpTo(cid, help, "")
	readUpTo(bob, general, "")
	wantOnce(t, "cid's new posts after reading", feedIDs(cid, "/api/posts?filter=new"), []string{third})
	wantOnce(t, "cid's unread: help opened, its comment not read", feedIDs(cid, "/api/posts?filter=unread"), []string{help})
	readUpTo(cid, help, other)
	wantOnce(t, "cid's unread, all read", feedIDs(cid, "/api/posts?filter=unread"), nil)
	mkComment(bob, general, "second")
	mkComment(ann, help, "answer")
	// Writing a comment counts as reading the post up to it: a post cid
	// commented on without opening it is no longer new to them.
	mkComment(cid, third, "cid's own comment, on a post cid never opened")
	wantOnce(t, "cid's new posts after commenting", feedIDs(cid, "/api/posts?filter=new"), nil)
	wantOnce(t, "cid's unread", feedIDs(cid, "/api/posts?filter=unread"), []string{general, help})
	// A post's author has read it from its creation: a comment on it is
	// unread to them, in the marks and on the unread list alike.
	onOwn := mkComment(bob, own, "on cid's post").ID
	wantOnce(t, "cid's unread with a comment on their own post", feedIDs(cid, "/api/posts?filter=unread"), []string{own, general, help})
	readUpTo(cid, own, onOwn)
	wantOnce(t, "cid's unread in help", feedIDs(cid, "/api/posts?filter=unread&category=help"), []string{help})
	wantMarks := map[string]projections.Mine{general: {Read: true, UnreadComments: 1}, help: {Read: true, UnreadComments: 1},
		third: {Read: true, UnreadComments: 0}, own: {Read: true, UnreadComments: 0}}
	for _, path := range []string{"/api/posts?limit=50", "/api/posts?filter=unread"} {
		var page projections.Page[projections.Post]
		cid.MustDo("GET", path, nil, http.StatusOK, &page)
		for _, p := range page.Items {
			if want, ok := wantMarks[p.ID]; ok && (p.Mine == nil || p.Read != want.Read || p.UnreadComments != want.UnreadComments) {
				t.Errorf("%s: post %q carries %+v, want %+v", path, p.Title, p.Mine, want)
			}
		}
	}

	var got struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+general, nil, http.StatusOK, &got)
	if got.Post.ViewCount != 3 {
		t.Errorf("view_count %d, want 3 (ann who wrote it, bob and cid)", got.Post.ViewCount)
	}
	boss.MustDo("POST", "/api/mod/posts/"+general+"/hide", map[string]any{"reason": "spam"}, http.StatusNoContent, nil)
	if status, body := cid.Do("POST", "/api/posts/"+general+"/read", map[string]any{"up_to_comment": nil}); status != http.StatusNotFound {
		t.Errorf("read of a hidden post: %d %s, want 404", status, body)
	}
	wantOnce(t, "cid's unread without the hidden post", feedIDs(cid, "/api/posts?filter=unread"), []string{help})
	cid.MustDo("PUT", "/api/posts/"+help+"/watch", map[string]any{"level": "muted"}, http.StatusNoContent, nil)
	wantOnce(t, "cid's unread without the muted post", feedIDs(cid, "/api/posts?filter=unread"), nil)
	fourth := mkPost(bob, "Fourth").ID
	wantOnce(t, "cid's new posts", feedIDs(cid, "/api/posts?filter=new"), []string{fourth})
	cid.MustDo("PUT", "/api/categories/general/watch", map[string]any{"level": "muted"}, http.StatusNoContent, nil)
	wantOnce(t, "cid's new posts, general muted", feedIDs(cid, "/api/posts?filter=new"), nil)
	for _, id := range []string{old, own} {
		if slices.Contains(feedIDs(cid, "/api/posts?filter=new"), id) {
			t.Errorf("post %s in cid's new posts: made before cid signed up, or by cid", id)
		}
	}
}

// postRead sends POST /api/posts/{post}/read up to upTo as c and returns
// the status and the Retry-After header.
func postRead(t *testing.T, c *forumtest.Client, post, upTo string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.F.URL+"/api/posts/"+post+"/read", strings.NewReader(`{"up_to_comment":"`+upTo+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// A position sent again within the interval answers 204 like any other,
// with no Retry-After, and is written when the interval ends.
func TestReadTooSoonHeld(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.ReadEvery = 500 * time.Millisecond }})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(ann, "Thread").ID
	c1, c2 := mkComment(ann, post, "one").ID, mkComment(ann, post, "two").ID
	if status, again := postRead(t, bob, post, c1); status != http.StatusNoContent || again != "" {
		t.Errorf("first opening: %d Retry-After %q, want 204 and none", status, again)
	}
	if status, again := postRead(t, bob, post, c2); status != http.StatusNoContent || again != "" {
		t.Errorf("further at once: %d Retry-After %q, want 204 and none", status, again)
	}
	var got struct{ Post projections.Post }
	forumtest.Eventually(t, "the held position written", func() bool {
		bob.MustDo("GET", "/api/posts/"+post, nil, http.StatusOK, &got)
		return got.Post.UnreadComments == 0 && got.Post.FirstUnread == nil
	})
}
