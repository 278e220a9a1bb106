package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// revisionsPage is one page of GET /api/posts/{id}/revisions.
type revisionsPage struct {
	Items []commands.Revision
	Next  *string
}

// A post's versions answer a page at a time, oldest first, as every list:
// 20 by default, at most 100, the next page by cursor; a cursor the server
// did not give out answers 400.
func TestRevisionsArePaged(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	post := mkPost(ann, "Often edited")
	const edits = 24
	for i := 1; i <= edits; i++ {
		ann.MustDo("PATCH", "/api/posts/"+post.ID, map[string]any{"body": fmt.Sprintf("version **%d**", i)}, http.StatusOK, nil)
	}
	base := "/api/posts/" + post.ID + "/revisions"
	var first revisionsPage
	f.Anon().MustDo("GET", base, nil, http.StatusOK, &first)
	if len(first.Items) != 20 || first.Next == nil || first.Items[0].Body != "Body of Often edited" || first.Items[19].Body != "version **19**" {
		t.Fatalf("the first page: %d items, next %v, %+v", len(first.Items), first.Next, first.Items)
	}
	var rest revisionsPage
	f.Anon().MustDo("GET", base+"?cursor="+url.QueryEscape(*first.Next), nil, http.StatusOK, &rest)
	if len(rest.Items) != edits+1-20 || rest.Next != nil || rest.Items[len(rest.Items)-1].Body != fmt.Sprintf("version **%d**", edits) {
		t.Fatalf("the last page: %d items, next %v", len(rest.Items), rest.Next)
	}
	if got := rest.Items[0].BodyHTML; got != "<p>version <strong>20</strong></p>" {
		t.Errorf("a version's HTML: %q", got)
	}
	var whole revisionsPage
	f.Anon().MustDo("GET", base+"?limit=1000", nil, http.StatusOK, &whole)
	if len(whole.Items) != edits+1 || whole.Next != nil {
		t.Errorf("limit=1000: %d items, next %v", len(whole.Items), whole.Next)
	}
	var two revisionsPage
	f.Anon().MustDo("GET", base+"?limit=2", nil, http.StatusOK, &two)
	if len(two.Items) != 2 || two.Next == nil {
		t.Errorf("limit=2: %d items, next %v", len(two.Items), two.Next)
	}
	for _, bad := range []string{"?cursor=nonsense", "?limit=many"} {
		if status, body := f.Anon().Do("GET", base+bad, nil); status != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s", bad, status, body)
		}
	}
	// A deleted post has no versions left to read.
	ann.MustDo("DELETE", "/api/posts/"+post.ID, nil, http.StatusNoContent, nil)
	if status, body := ann.Do("GET", base, nil); status != http.StatusNotFound {
		t.Errorf("a deleted post's versions: %d %s", status, body)
	}
}

// The versions are read models, rebuilt from the log like the rest: a
// fresh rebuild holds the same rows, and an erasure leaves [deleted] in
// them.
func TestRevisionsAreReadModels(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	post := mkPost(ann, "Kept versions")
	ann.MustDo("PATCH", "/api/posts/"+post.ID, map[string]any{"title": "Kept, edited", "body": "second _one_"}, http.StatusOK, nil)
	ctx := forumtest.Context(t)
	page, err := f.DB.Revisions(ctx, events.PostID(post.ID), projections.PageRequest{})
	if err != nil || len(page.Items) != 2 || page.Items[1].Title != "Kept, edited" || page.Items[1].BodyHTML != "<p>second <em>one</em></p>" {
		t.Fatalf("stored versions: %+v %v", page.Items, err)
	}
	r, ok, err := f.DB.RevisionAt(ctx, post.Seq)
	if err != nil || !ok || r.Body != "Body of Kept versions" || len(r.Categories) != 1 {
		t.Errorf("the version at the post's creation: %+v %v %v", r, ok, err)
	}
	ann.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("ann")}, http.StatusNoContent, nil)
	var got revisionsPage
	f.Anon().MustDo("GET", "/api/posts/"+post.ID+"/revisions", nil, http.StatusOK, &got)
	for _, v := range got.Items {
		if v.Title != projections.ErasedText || v.Body != projections.ErasedText || strings.Contains(v.BodyHTML, "one") {
			t.Errorf("an erased author's version: %+v", v)
		}
	}
	if len(got.Items) != 2 {
		t.Errorf("an erased author's versions: %+v", got.Items)
	}
}

// The moderators' queue renders no Markdown per read: a flagged post's
// version is the one the read models keep, a comment's is shown as escaped
// text.
func TestFlagQueueRendersNothing(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	var p struct{ Post projections.Post }
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "Flag me", "body": "a *post*", "categories": []string{"general"}}, http.StatusCreated, &p)
	c := mkComment(ann, p.Post.ID, "a **comment** <b>x</b>\nline")
	bob.MustDo("POST", "/api/posts/"+p.Post.ID+"/flag", map[string]any{"reason": "spam"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/comments/"+c.ID+"/flag", map[string]any{"reason": "spam"}, http.StatusCreated, nil)
	ann.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": "changed"}, http.StatusOK, nil)

	var q flagQueue
	mod.MustDo("GET", "/api/mod/flags?status=open", nil, http.StatusOK, &q)
	then := map[string]*commands.Version{}
	for _, it := range q.Items {
		then[string(it.Target.Kind)] = it.Then
	}
	if v := then["post"]; v == nil || v.Title != "Flag me" || v.Body != "a *post*" || v.BodyHTML != p.Post.BodyHTML {
		t.Errorf("the flagged post then: %+v, want the stored %q", v, p.Post.BodyHTML)
	}
	want := "<p>a **comment** &lt;b&gt;x&lt;/b&gt;<br>\nline</p>"
	if v := then["comment"]; v == nil || v.Body != "a **comment** <b>x</b>\nline" || v.BodyHTML != want {
		t.Errorf("the flagged comment then: %+v, want %q", v, want)
	}
}

// A page of versions holds at most 512 KiB of text: long versions end it
// early, and its cursor goes on from there until every version is read.
func TestRevisionsPageIsBoundedInBytes(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	post := mkPost(ann, "Long versions")
	const edits = 15
	for i := 1; i <= edits; i++ {
		ann.MustDo("PATCH", "/api/posts/"+post.ID, map[string]any{"body": strings.Repeat("x", 19990) + fmt.Sprint(i)}, http.StatusOK, nil)
	}
	var all []commands.Revision
	pages, cursor := 0, ""
	for {
		var page revisionsPage
		f.Anon().MustDo("GET", "/api/posts/"+post.ID+"/revisions?limit=100&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &page)
		size := 0
		for _, r := range page.Items {
			size += len(r.Title) + len(r.Body) + len(r.BodyHTML)
		}
		if size > 512<<10 || len(page.Items) == 0 {
			t.Fatalf("a page of %d versions holds %d bytes of text", len(page.Items), size)
		}
		all, pages = append(all, page.Items...), pages+1
		if page.Next == nil {
			break
		}
		cursor = *page.Next
	}
	if len(all) != edits+1 || pages < 2 || all[edits].Body != strings.Repeat("x", 19990)+fmt.Sprint(edits) {
		t.Errorf("%d versions in %d pages", len(all), pages)
	}
}
