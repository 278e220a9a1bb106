package main

import (
	"fmt"
	"net/http"
	"testing"
)

// A reply to a comment by a user the reader blocks says "in reply to a
// user you block", naming nobody and leading nowhere, on the post's page
// and when it comes live; the comment itself shows as any other.
func browserReplyToBlocked(t *testing.T, e *browserEnv) {
	g, l, k := signUp(e.srv, "grace"), signUp(e.srv, "linus"), signUp(e.srv, "ken")
	postID := createPost(e.srv, k.Token, "Kernels", "Notes.", "general")
	var first, reply struct{ Comment struct{ ID string } }
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", l.Token, map[string]any{"body": "Talk is cheap."}, http.StatusCreated, &first)
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", k.Token, map[string]any{"body": "Show the code, then.", "reply_to": first.Comment.ID}, http.StatusCreated, &reply)
	e.srv.mustDo("PUT", "/api/users/"+l.User.ID+"/block", g.Token, nil, http.StatusNoContent, nil)
	grace := e.newTab("grace")
	grace.signIn("grace")

	grace.open("/posts/"+postID, "post")
	grace.waitLive()
	const says = `(id) => { const el = document.querySelector('#comment-' + id + ' .in-reply-to');
		return el?.textContent === 'in reply to a user you block' && el.tagName === 'SPAN' && !!document.querySelector('#comment-' + id + ' .comment-body'); }`
	grace.waitJS("the reply on the page", fmt.Sprintf("(%s)(%q)", says, reply.Comment.ID))
	var live struct{ Comment struct{ ID string } }
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", k.Token, map[string]any{"body": "Still waiting.", "reply_to": first.Comment.ID}, http.StatusCreated, &live)
	grace.waitJS("the reply come live", fmt.Sprintf("(%s)(%q)", says, live.Comment.ID))
	if n := eval[int](grace, `document.querySelectorAll('#comments .comment[data-id]').length`); n != 2 {
		t.Errorf("grace is shown %d comments, want ken's 2", n)
	}
}
