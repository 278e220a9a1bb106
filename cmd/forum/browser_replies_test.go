package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Replies in the browser: bob replies to ada's comment with Reply, quotes a
// selection of it with Quote, and his comment says "in reply to @ada", which
// scrolls to her comment and highlights it; Copy link puts the comment's
// permalink on the clipboard; a permalink opens a post of more comments than
// a page at that comment, with the comments before it behind a gap; a
// reply to a comment deleted meanwhile is refused beside the replying line,
// and following a reply to it says it is gone; axe finds nothing serious
// on the post with these controls.
func browserReplies(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	postID := createPost(e.srv, a.Token, "The engine", "Notes.", "general")
	var first struct{ Comment struct{ ID string } }
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", a.Token, map[string]any{"body": "It weaves algebraic patterns. Loops are easy."}, http.StatusCreated, &first)
	var filler []string
	for i := range 24 {
		var c struct{ Comment struct{ ID string } }
		e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", b.Token, map[string]any{"body": fmt.Sprintf("Filler %d", i)}, http.StatusCreated, &c)
		filler = append(filler, c.Comment.ID)
	}
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")
	target := "#comment-" + first.Comment.ID

	bob.open("/posts/"+postID, "post")
	bob.waitLive()
	bob.waitJS("the first page", `document.querySelectorAll('#comments .comment[data-id]').length === 20`)
	bob.click(target + " .reply-comment")
	bob.waitJS("the replying line", `!document.getElementById('replying-to').hidden && document.activeElement === document.querySelector('#comment-form textarea')`)
	if got := bob.text(`#replying-to`); got != "Replying to @ada ✕" {
		t.Errorf("the replying line says %q", got)
	}
	// ✕ ends the reply; a quote answers the comment quoted all the same.
	bob.click(`#replying-to .replying-cancel`)
	bob.waitJS("the reply ended", `document.getElementById('replying-to').hidden`)
	// Select "algebraic patterns" in ada's comment, then Quote.
	bob.js(fmt.Sprintf(`(() => {
		const body = document.querySelector(%q);
		const text = [...body.querySelectorAll('*')].flatMap((el) => [...el.childNodes]).find((n) => n.nodeType === 3 && n.data.includes('algebraic'));
		const at = text.data.indexOf('algebraic patterns');
		const range = document.createRange();
		range.setStart(text, at);
		range.setEnd(text, at + 'algebraic patterns'.length);
		getSelection().removeAllRanges();
		getSelection().addRange(range);
	})()`, target+" .comment-body"))
	bob.menuPick(target+" .comment-more .menu-button", target+" .comment-more .quote-comment")
	quote := fmt.Sprintf("[@ada wrote:](/posts/%s?comment=%s)\n> algebraic patterns\n\n", postID, first.Comment.ID)
	bob.waitJS("the quote in the box", fmt.Sprintf(`document.querySelector('#comment-form textarea').value === %q`, quote))
	if got := bob.text(`#replying-to`); got != "Replying to @ada ✕" {
		t.Errorf("after a quote the replying line says %q", got)
	}
	bob.typeInto(`#comment-form textarea`, "Indeed.")
	bob.click(`#comment-form button[type=submit]`)
	bob.waitJS("the reply shown", `document.querySelector('#comments .comment[data-id]:last-of-type .in-reply-to')?.textContent === 'in reply to @ada'`)
	bob.waitJS("the form reset", `document.getElementById('replying-to').hidden && document.querySelector('#comment-form textarea').value === ''`)
	replyID := bob.js(`document.querySelector('#comments .comment[data-id]:last-of-type').dataset.id`)
	var reply struct {
		Comment struct {
			Body    string
			ReplyTo *struct{ ID string } `json:"reply_to"`
		}
	}
	e.srv.mustDo("GET", "/api/comments/"+replyID, "", nil, http.StatusOK, &reply)
	if reply.Comment.ReplyTo == nil || reply.Comment.ReplyTo.ID != first.Comment.ID || reply.Comment.Body != quote+"Indeed." {
		t.Errorf("the stored reply: %+v", reply.Comment)
	}
	// The quote renders as a quote, its attribution a link to the comment.
	bob.waitJS("the rendered quote", fmt.Sprintf(`(() => {
		const c = document.getElementById('comment-%s');
		return c.querySelector('.comment-body blockquote')?.textContent.trim() === 'algebraic patterns' &&
			c.querySelector('.comment-body a')?.getAttribute('href') === %q;
	})()`, replyID, fmt.Sprintf("/posts/%s?comment=%s", postID, first.Comment.ID)))

	// "in reply to @ada" scrolls to her comment and highlights it.
	bob.js(`scrollTo(0, document.body.scrollHeight)`)
	bob.click(fmt.Sprintf(`#comment-%s .in-reply-to`, replyID))
	bob.waitJS("ada's comment highlighted in view", fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const r = el.getBoundingClientRect();
		return el.classList.contains('target') && r.top >= 0 && r.bottom <= innerHeight;
	})()`, target))
	if got := bob.js(`location.pathname + location.search`); got != fmt.Sprintf("/posts/%s?comment=%s", postID, first.Comment.ID) {
		t.Errorf("following the reply left the address at %s", got)
	}

	copyLink(t, bob, target, fmt.Sprintf("%s/posts/%s?comment=%s", bob.base, postID, first.Comment.ID))

	// A permalink past the first page opens there, the comments before it
	// behind a gap that loads them.
	far := filler[22]
	ada.open(fmt.Sprintf("/posts/%s?comment=%s", postID, far), "post")
	ada.waitJS("the far comment highlighted", fmt.Sprintf(`document.getElementById('comment-%s')?.classList.contains('target')`, far))
	if n := ada.count(`#comments .comment[data-id]`); n >= 26 {
		t.Errorf("the permalink loaded all %d comments", n)
	}
	ada.click(`#comments .comments-gap button`)
	ada.waitJS("every comment in order, the gap closed", `(() => {
		const seqs = [...document.querySelectorAll('#comments .comment[data-id]')].map((el) => Number(el.dataset.seq));
		return seqs.length === 26 && seqs.every((s, i) => i === 0 || seqs[i - 1] < s) && !document.querySelector('.comments-gap');
	})()`)

	// Ada deletes her comment while bob replies to it: his reply is refused
	// beside the replying line, ✕ ends the reply, and following his earlier
	// reply to it says it is gone.
	bob.click(target + " .reply-comment")
	bob.typeInto(`#comment-form textarea`, "Too late")
	e.srv.mustDo("DELETE", "/api/comments/"+first.Comment.ID, a.Token, nil, http.StatusNoContent, nil)
	bob.waitJS("the comment removed, live", fmt.Sprintf(`document.querySelector(%q).classList.contains('removed')`, target))
	bob.click(`#comment-form button[type=submit]`)
	bob.waitJS("the refusal beside the replying line", `(() => {
		const slot = document.querySelector('#comment-form .field-error[data-field=reply_to]');
		return !slot.hidden && slot.textContent === 'the comment replied to is no longer shown';
	})()`)
	bob.click(`#replying-to .replying-cancel`)
	bob.waitJS("the reply ended", `document.getElementById('replying-to').hidden && document.querySelector('#comment-form .field-error[data-field=reply_to]').hidden &&
		document.querySelector('#comment-form textarea').value === 'Too late'`)
	bob.click(fmt.Sprintf(`#comment-%s .in-reply-to`, replyID))
	bob.waitJS("the gone toast", `[...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent.startsWith('That comment is gone'))`)

	repliesAxe(t, bob, target)
}

// copyLink presses Copy link on the comment sel and checks the clipboard
// holds want, and that a toast says so.
func copyLink(t *testing.T, p *tab, sel, want string) {
	t.Helper()
	p.do("allow the clipboard", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := cdp.Call(ctx, tg, browser.SetPermission, browser.SetPermissionParams{Permission: &browser.PermissionDescriptor{Name: name},
				Setting: browser.PermissionSettingGranted, Origin: p.base, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
			if err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	p.menuPick(sel+" .comment-more .menu-button", sel+" .comment-more .copy-link")
	p.waitJS("the copied toast", `[...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent === 'Link copied to the clipboard.')`)
	if got := eval[string](p, `navigator.clipboard.readText()`); got != want {
		t.Errorf("the clipboard holds %q, want %q", got, want)
	}
}

// repliesAxe runs axe on the post view with the reply controls, the
// replying line and an "in reply to" link shown.
func repliesAxe(t *testing.T, p *tab, sel string) {
	t.Helper()
	p.js(`scrollTo(0, 0)`)
	p.click(`#comments .comment[data-id]:last-of-type .reply-comment`)
	p.waitJS("the replying line", `!document.getElementById('replying-to').hidden`)
	p.screenshot("replies")
	axeClean(t, p, "the post with replies")
}
