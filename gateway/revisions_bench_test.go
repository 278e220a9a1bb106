package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// bomb is a body of nested quotes at the longest a post may be, the worst
// shape the Markdown renderer was shown (i varies it).
func bomb(i int) string {
	return strings.Repeat(">", 19998) + fmt.Sprintf("a%d", i%10)
}

// One anonymous read of the versions of a post edited 30 times with bombs
// (31 versions, one page of 100).
func BenchmarkRevisionsOfBombs(b *testing.B) {
	f := forumtest.Start(b, forumtest.Options{})
	ann := f.SignUp("ann")
	var p struct{ Post projections.Post }
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "Bomb", "body": bomb(0), "categories": []string{"general"}}, http.StatusCreated, &p)
	for i := 1; i <= 30; i++ {
		ann.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": bomb(i)}, http.StatusOK, nil)
	}
	anon := f.Anon()
	for b.Loop() {
		anon.MustDo("GET", "/api/posts/"+p.Post.ID+"/revisions?limit=100", nil, http.StatusOK, nil)
	}
}

// One page of the moderators' queue of 40 flagged bomb posts.
func BenchmarkFlagQueueOfBombs(b *testing.B) {
	f := forumtest.Start(b, forumtest.Options{})
	mod, ann, bob := moderatorOf(b, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	for i := range 40 {
		var p struct{ Post projections.Post }
		ann.MustDo("POST", "/api/posts", map[string]any{"title": "Bomb", "body": bomb(i), "categories": []string{"general"}}, http.StatusCreated, &p)
		bob.MustDo("POST", "/api/posts/"+p.Post.ID+"/flag", map[string]any{"reason": "bomb"}, http.StatusCreated, nil)
	}
	for b.Loop() {
		mod.MustDo("GET", "/api/mod/flags?status=open&limit=40", nil, http.StatusOK, nil)
	}
}
