package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Moderation and privacy in the browser: a member flags a post, an admin
// sees it in the queue as it was and as it is and hides it, and it leaves
// the member's pages; a member blocks another and downloads their data;
// deleting the account (with the password) signs out and leaves "deleted
// user" behind.
func browserModeration(t *testing.T, e *browserEnv) {
	signUp(e.srv, "boss")
	a, b := signUp(e.srv, "ann"), signUp(e.srv, "bob")
	spam := createPost(e.srv, b.Token, "Buy now", "Cheap pills here", "general")
	other := createPost(e.srv, b.Token, "Bob's second", "Another one", "general")
	mine := createPost(e.srv, a.Token, "Ann's post", "Ann writes annmarker text", "general")
	ann, boss := e.newTab("ann"), e.newTab("boss")
	ann.signIn("ann")
	boss.signIn("boss")

	ann.open("/posts/"+spam, "post")
	ann.click(`.post-actions .flag-button`)
	ann.click(`.post-actions .flag-form button[type=submit]`)
	ann.waitJS("flagged", `document.querySelector('.post-actions .flag-button').textContent === 'Flagged'`)

	boss.waitJS("the moderation link", `!!document.querySelector('.account .mod-link')`)
	boss.open("/mod", "mod")
	boss.waitJS("the flag in the queue", fmt.Sprintf(`document.querySelectorAll('#flag-queue .flag-item').length === 1 && document.querySelector('#flag-queue .flag-item').textContent.includes('Cheap pills here') && document.querySelector('#flag-queue a[href="/posts/%s"]') != null`, spam))
	boss.screenshot("mod-queue")
	boss.click(`#flag-queue .flag-hide`)
	boss.waitJS("the queue empty", `document.querySelectorAll('#flag-queue .flag-item').length === 0`)
	ann.waitJS("the post hidden for ann, live", `document.getElementById('post-title').textContent === 'Hidden by a moderator'`)
	ann.open("/", "feed")
	ann.waitJS("the feed without it", fmt.Sprintf(`document.querySelectorAll('#feed article.post-card').length === 2 && !document.querySelector('#feed article.post-card[data-id=%q]')`, spam))
	boss.open("/mod/log", "modlog")
	boss.waitJS("the hide in the log", `document.querySelector('#mod-log .mod-action[data-action=hide]') != null`)

	// Block bob: his posts leave ann's feed.
	ann.open("/users/"+b.User.ID, "profile")
	ann.waitJS("the block button", `document.getElementById('block-user')?.textContent === 'Block'`)
	ann.click(`#block-user`)
	ann.waitJS("blocked", `document.getElementById('block-user').textContent === 'Unblock'`)
	ann.open("/", "feed")
	ann.waitJS("bob's posts gone", fmt.Sprintf(`document.querySelectorAll('#feed article.post-card').length === 1 && !document.querySelector('#feed article.post-card[data-id=%q]')`, other))
	ann.open("/settings", "settings")
	ann.waitJS("bob among the blocked", `document.querySelector('#blocked-users')?.textContent.includes('bob')`)
	export := eval[string](ann, `fetch(document.getElementById('download-data').href).then((r) => r.text())`)
	if !strings.Contains(export, "annmarker") || !strings.Contains(export, "ann@example.com") {
		t.Errorf("the download lacks ann's data: %.200s", export)
	}
	ann.screenshot("settings")

	// Deleting the account.
	ann.fill(`#delete-account-form [name=password]`, password("ann"))
	ann.click(`#delete-account-form button[type=submit]`)
	ann.waitJS("signed out at the feed", `location.pathname === '/' && !!document.querySelector('#account a[href="/signin"]')`)
	var got struct {
		Post struct {
			Title  string
			Author struct{ Nickname string }
		}
	}
	e.srv.mustDo("GET", "/api/posts/"+mine, b.Token, nil, http.StatusOK, &got)
	if got.Post.Title != "[deleted]" || got.Post.Author.Nickname != "deleted user" {
		t.Errorf("ann's post after the erasure: %+v", got.Post)
	}
}
