package gateway_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
