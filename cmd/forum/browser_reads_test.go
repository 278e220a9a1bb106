package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"forum/internal/forumtest"
)

// Reading in the browser: bob has read a long thread up to a comment; his
// feed shows its unread comments, and the count rises live as ann
// comments; the Unread view lists it (and passes axe); opening the post
// jumps to the first unread comment, past the first page, and the position
// bob reads to goes back to the server as he looks.
func browserReads(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ann"), signUp(e.srv, "bob")
	postID := createPost(e.srv, a.Token, "A long thread", "Many answers below.", "general")
	var comments []string
	for i := range 25 {
		var c struct {
			Comment struct {
				ID string `json:"id"`
			} `json:"comment"`
		}
		e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", a.Token, map[string]any{"body": fmt.Sprintf("Answer %d", i+1)}, http.StatusCreated, &c)
		comments = append(comments, c.Comment.ID)
	}
	e.srv.mustDo("POST", "/api/posts/"+postID+"/read", b.Token, map[string]any{"up_to_comment": comments[21]}, http.StatusNoContent, nil)
	fresh := createPost(e.srv, a.Token, "Not opened yet", "A post bob has not seen.", "general")
	upToDate := createPost(e.srv, a.Token, "Read to the end", "Nothing more to read.", "general")
	e.srv.mustDo("POST", "/api/posts/"+upToDate+"/read", b.Token, map[string]any{"up_to_comment": nil}, http.StatusNoContent, nil)

	bob := e.newTab("bob")
	bob.signIn("bob")
	bob.open("/", "feed")
	bob.waitLive()
	card := func(id string) string {
		return fmt.Sprintf(`document.querySelector('#feed article.post-card[data-id=%q]')`, id)
	}
	bob.waitJS("3 unread comments on the thread", card(postID)+`?.querySelector('.unread-badge')?.textContent === '3 unread comments'`)
	bob.waitJS("the post bob never opened marked new", card(fresh)+`?.querySelector('.new-badge')?.textContent === 'New'`)
	bob.waitJS("the counts of bob's lists", `document.getElementById('unread-count')?.textContent === '1' && document.getElementById('new-count')?.textContent === '1'`)

	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", a.Token, map[string]any{"body": "One more answer"}, http.StatusCreated, nil)
	bob.waitJS("4 unread comments, live", card(postID)+`?.querySelector('.unread-badge')?.textContent === '4 unread comments'`)

	// A post that comes live is new to bob, with its bookmark toggle, as it would be after a reload.
	live := createPost(e.srv, a.Token, "Written while bob looks", "Fresh off the press.", "general")
	bob.waitJS("the new-posts banner", `!document.getElementById('new-posts-banner').hidden`)
	bob.click("#new-posts-banner")
	bob.waitJS("the live post marked new", card(live)+`?.querySelector('.new-badge')?.textContent === 'New'`)
	bob.waitJS("the live post's bookmark toggle", card(live)+`?.querySelector('.bookmark-toggle')?.getAttribute('aria-pressed') === 'false'`)
	if got := bob.text(`#feed article.post-card[data-id="` + live + `"] .bookmark-toggle`); got != "☆ Bookmark “Written while bob looks”" {
		t.Errorf("the bookmark toggle of a row reads %q, want an outlined star and the post's title", got)
	}
	if got := bob.text(`#feed article.post-card[data-id="` + live + `"] .topic-activity time`); got != "now" && got != "1m" {
		t.Errorf("a row's activity time reads %q, want it compact", got)
	}
	bob.waitJS("one more post new to bob, live", `document.getElementById('new-count')?.textContent === '2'`)

	bob.open("/unread", "unread")
	bob.waitJS("the thread in the Unread view", `[...document.querySelectorAll('#unread-posts article.post-card')].map((c) => c.dataset.id).join() === `+fmt.Sprintf("%q", postID))
	axeClean(t, bob, "the Unread view")
	// A comment on a post bob had read to the end puts it on his Unread list, live.
	bob.waitLive()
	e.srv.mustDo("POST", "/api/posts/"+upToDate+"/comments", a.Token, map[string]any{"body": "A late answer"}, http.StatusCreated, nil)
	bob.waitJS("the post read to the end now unread, live", fmt.Sprintf(`document.querySelector('#unread-posts article.post-card[data-id=%q] .unread-badge')?.textContent === '1 unread comment'`, upToDate))

	bob.click(fmt.Sprintf(`#unread-posts article.post-card[data-id=%q] .post-card-title a`, postID))
	bob.waitView("post")
	first := "comment-" + comments[22]
	bob.waitJS("the first unread comment in focus", fmt.Sprintf(`document.activeElement?.id === %q && document.getElementById(%q).classList.contains('target')`, first, first))
	if n := bob.count(`#comments .comment[data-id]`); n >= 26 {
		t.Errorf("opening at the first unread loaded all %d comments", n)
	}
	var got struct {
		Post struct {
			UnreadComments int `json:"unread_comments"`
		} `json:"post"`
	}
	if !forumtest.WaitUntil(15*time.Second, func() bool {
		e.srv.mustDo("GET", "/api/posts/"+postID, b.Token, nil, http.StatusOK, &got)
		return got.Post.UnreadComments < 4
	}) {
		t.Errorf("bob still has %d unread comments after reading them", got.Post.UnreadComments)
	}

	// A post written while bob looks at the posts new to him joins them.
	bob.open("/fresh", "fresh")
	bob.waitLive()
	later := createPost(e.srv, a.Token, "Later still", "Another one.", "general")
	bob.waitJS("the new post new to bob, live", fmt.Sprintf(`!!document.querySelector('#fresh-posts article.post-card[data-id=%q] .new-badge')`, later))
}
