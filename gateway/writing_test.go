package gateway_test

import (
	"net/http"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// Every body is Markdown, rendered by the server into body_html: in the
// answer to its creation, in every read, and in the rendering a preview
// shows.
func TestBodiesAreRenderedMarkdown(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	const body = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) https://e.com"
	const want = `<p><strong>bold</strong> &lt;script&gt;alert(1)&lt;/script&gt; x <a rel="nofollow ugc noopener" href="https://e.com">https://e.com</a></p>`

	var created struct{ Post projections.Post }
	alice.MustDo("POST", "/api/posts", map[string]any{"title": "T", "body": body, "categories": []string{"general"}}, http.StatusCreated, &created)
	if created.Post.Body != body || created.Post.BodyHTML != want {
		t.Errorf("created post: body %q, body_html %q; want %q", created.Post.Body, created.Post.BodyHTML, want)
	}
	var read struct{ Post projections.Post }
	alice.MustDo("GET", "/api/posts/"+created.Post.ID, nil, http.StatusOK, &read)
	if read.Post.BodyHTML != want {
		t.Errorf("read post: body_html %q, want %q", read.Post.BodyHTML, want)
	}
	var edited struct{ Post projections.Post }
	alice.MustDo("PATCH", "/api/posts/"+created.Post.ID, map[string]any{"body": "~~old~~ new"}, http.StatusOK, &edited)
	if edited.Post.BodyHTML != "<p><del>old</del> new</p>" {
		t.Errorf("edited post: body_html %q", edited.Post.BodyHTML)
	}

	var comment struct{ Comment projections.Comment }
	bob.MustDo("POST", "/api/posts/"+created.Post.ID+"/comments", map[string]any{"body": body}, http.StatusCreated, &comment)
	if comment.Comment.BodyHTML != want {
		t.Errorf("comment: body_html %q, want %q", comment.Comment.BodyHTML, want)
	}
	var dm struct{ Message projections.Message }
	bob.MustDo("POST", "/api/chats/"+alice.User.ID+"/messages", map[string]any{"body": body}, http.StatusCreated, &dm)
	if dm.Message.BodyHTML != want {
		t.Errorf("message: body_html %q, want %q", dm.Message.BodyHTML, want)
	}
	var history struct{ Items []projections.Message }
	alice.MustDo("GET", "/api/chats/"+bob.User.ID+"/messages", nil, http.StatusOK, &history)
	if len(history.Items) != 1 || history.Items[0].BodyHTML != want {
		t.Errorf("history: %+v", history.Items)
	}

	var preview struct {
		BodyHTML string `json:"body_html"`
	}
	alice.MustDo("POST", "/api/preview", map[string]any{"body": body}, http.StatusOK, &preview)
	if preview.BodyHTML != want {
		t.Errorf("preview: %q, want %q", preview.BodyHTML, want)
	}
	if status, _ := alice.Do("POST", "/api/preview", map[string]any{"body": ""}); status != http.StatusBadRequest {
		t.Errorf("preview of nothing: %d, want 400", status)
	}
	if status, _ := f.Anon().Do("POST", "/api/preview", map[string]any{"body": "x"}); status != http.StatusUnauthorized {
		t.Errorf("anonymous preview: %d, want 401", status)
	}
}
