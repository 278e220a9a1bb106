package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// pressKey presses key in the focused element as a keyboard does: a key
// down (with the character it types, if any) and a key up.
func (p *tab) pressKey(key, code string, vk int64, text string) {
	p.t.Helper()
	p.do("press "+key, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventTypeRawKeyDown
		if text != "" {
			down = input.DispatchKeyEventTypeKeyDown
		}
		for _, typ := range []input.DispatchKeyEventType{down, input.DispatchKeyEventTypeKeyUp} {
			params := input.DispatchKeyEventParams{Type: typ, Key: key, Code: code, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk}
			if typ == input.DispatchKeyEventTypeKeyDown {
				params.Text = text
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, params); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		return nil
	}))
}

// chip is the JS of the reaction chip name in the bar under sel.
func chip(sel, name string) string {
	return fmt.Sprintf(`document.querySelector(%q)?.querySelector('.reactions .reaction-chip[data-name=%q]')`, sel, name)
}

// Reactions in the browser: ann reacts to a post with the keyboard alone
// (the "+" opens the picker, arrows move, Enter picks, focus comes back),
// and bob sees the count change live; bob's reaction shows pressed for him
// and counts for ann live; who reacted shows on focus; a comment and a
// direct message take reactions too, live on the other side; at a phone's
// width the bar and its open picker stay inside the page, and axe finds
// nothing serious with them.
func browserReactions(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ann"), signUp(e.srv, "bob")
	postID := createPost(e.srv, a.Token, "React to this", "A post to react to.", "general")
	var c struct{ Comment struct{ ID string } }
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", b.Token, map[string]any{"body": "A comment"}, http.StatusCreated, &c)
	e.srv.mustDo("POST", "/api/chats/"+b.User.ID+"/messages", a.Token, map[string]any{"body": "Hello bob"}, http.StatusCreated, nil)
	ann, bob := e.newTab("ann"), e.newTab("bob")
	ann.signIn("ann")
	bob.signIn("bob")
	for _, p := range []*tab{ann, bob} {
		p.open("/posts/"+postID, "post")
		p.waitLive()
	}
	post := ".post-full"
	heart := chip(post, "heart")

	// The keyboard: focus "+", Enter opens the picker on its first
	// reaction, → moves to Heart, Enter picks it and focus goes back.
	ann.js(`document.querySelector('.post-full .reaction-add').focus()`)
	ann.pressKey("Enter", "Enter", 13, "\r")
	ann.waitJS("the picker open on its first reaction", `(() => {
		const add = document.querySelector('.post-full .reaction-add');
		const picker = document.getElementById(add.getAttribute('aria-controls'));
		return !picker.hidden && add.getAttribute('aria-expanded') === 'true' && document.activeElement === picker.querySelector('.reaction-option');
	})()`)
	ann.pressKey("ArrowRight", "ArrowRight", 39, "")
	ann.waitJS("Heart focused", `document.activeElement?.dataset.name === 'heart'`)
	ann.pressKey("Enter", "Enter", 13, "\r")
	ann.waitJS("the heart chip pressed, the picker closed, focus back on +", fmt.Sprintf(`(() => {
		const c = %s, add = document.querySelector('.post-full .reaction-add');
		return c?.getAttribute('aria-pressed') === 'true' && c.querySelector('.count').textContent === '1' &&
			add.getAttribute('aria-expanded') === 'false' && document.activeElement === add;
	})()`, heart))
	bob.waitJS("ann's heart, live", fmt.Sprintf(`%s?.querySelector('.count').textContent === '1' && %s.getAttribute('aria-pressed') === 'false'`, heart, heart))

	// Bob adds his: pressed for him, counted live for ann.
	bob.click(post + ` .reaction-chip[data-name="heart"]`)
	bob.waitJS("bob's heart pressed", fmt.Sprintf(`%s?.getAttribute('aria-pressed') === 'true' && %s.querySelector('.count').textContent === '2'`, heart, heart))
	ann.waitJS("two hearts, live, ann's still pressed", fmt.Sprintf(`%s?.querySelector('.count').textContent === '2' && %s.getAttribute('aria-pressed') === 'true'`, heart, heart))
	bob.js(heart + `.focus()`)
	bob.waitJS("who reacted, in a tip shown on focus", fmt.Sprintf(`(() => {
		const c = %s, tip = document.getElementById(c?.getAttribute('aria-describedby'));
		return tip?.getAttribute('role') === 'tooltip' && !tip.hidden && tip.offsetHeight > 0 && tip.textContent === 'Heart: ann, bob';
	})()`, heart))
	// Mine is a pill filled in the accent colour, anyone else's is not; the add button is a drawn icon.
	bob.waitJS("bob's heart filled in the accent colour, ann's hooray-free bar plain", fmt.Sprintf(`(() => {
		const c = %s, probe = document.createElement('span');
		probe.style.backgroundColor = 'var(--accent)';
		document.body.append(probe);
		const accent = getComputedStyle(probe).backgroundColor;
		probe.remove();
		const add = document.querySelector('.post-full .reaction-add');
		return getComputedStyle(c).backgroundColor === accent && parseFloat(getComputedStyle(c).borderTopLeftRadius) >= 10 &&
			add.querySelector('svg') !== null && !add.textContent.includes('🙂');
	})()`, heart))
	bob.click(post + ` .reaction-chip[data-name="heart"]`)
	ann.waitJS("bob's heart gone, live", fmt.Sprintf(`%s?.querySelector('.count').textContent === '1'`, heart))
	bob.waitJS("bob's heart, no longer his, not filled", fmt.Sprintf(`%s?.getAttribute('aria-pressed') === 'false' && getComputedStyle(%s).backgroundColor !== getComputedStyle(document.querySelector('.post-full .reaction-add')).color`, heart, heart))

	// A comment: ann picks Hooray with the mouse; bob sees it.
	comment := "#comment-" + c.Comment.ID
	ann.click(comment + " .reaction-add")
	ann.click(comment + ` .reaction-option[data-name="tada"]`)
	bob.waitJS("ann's hooray on the comment, live", fmt.Sprintf(`%s?.querySelector('.count').textContent === '1'`, chip(comment, "tada")))

	// A direct message: bob reacts, ann sees it in her open conversation.
	ann.open("/chat/"+b.User.ID, "chat")
	bob.open("/chat/"+a.User.ID, "chat")
	for _, p := range []*tab{ann, bob} {
		p.waitLive()
		p.waitJS("the message", `!!document.querySelector('#messages .message[data-id] .reaction-add')`)
	}
	bob.click(`#messages .message[data-id] .reaction-add`)
	bob.click(`#messages .message[data-id] .reaction-option[data-name="eyes"]`)
	ann.waitJS("bob's eyes on the message, live", fmt.Sprintf(`%s?.querySelector('.count').textContent === '1'`, chip("#messages .message[data-id]", "eyes")))

	// A phone's width: the bar and its open picker inside the page.
	bob.setWidth(375)
	bob.open("/posts/"+postID, "post")
	bob.waitJS("the post's reactions", heart+` !== null`)
	bob.click(comment + " .reaction-add")
	bob.waitJS("the comment's picker open, inside the viewport", fmt.Sprintf(`(() => {
		const picker = document.querySelector(%q);
		const r = picker.getBoundingClientRect();
		return !picker.hidden && r.left >= 0 && r.right <= document.documentElement.clientWidth &&
			getComputedStyle(picker).position === 'absolute' && r.height < 60;
	})()`, comment+" .reaction-picker"))
	bob.pressKey("Escape", "Escape", 27, "")
	bob.waitJS("Escape closes the picker, focus back on the add button", fmt.Sprintf(`document.querySelector(%q).hidden && document.activeElement === document.querySelector(%q)`, comment+" .reaction-picker", comment+" .reaction-add"))
	bob.click(comment + " .reaction-add")
	bob.waitJS("the picker open again", fmt.Sprintf(`!document.querySelector(%q).hidden`, comment+" .reaction-picker"))
	bob.screenshot("reactions")

	// A one-line comment is short at a phone's width: votes, reactions and
	// Reply, the rest in a "…" menu that the keyboard works.
	bob.click(comment + " .reaction-add")
	if h := eval[float64](bob, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().height`, comment)); h > 140 {
		t.Errorf("a one-line comment is %.0f px tall at 375 px, want at most 140", h)
	}
	more := comment + " .comment-more .menu-button"
	bob.js(fmt.Sprintf(`document.querySelector(%q).focus()`, more))
	bob.pressKey("ArrowDown", "ArrowDown", 40, "")
	bob.waitJS("the menu open on its first item, inside the viewport", fmt.Sprintf(`(() => {
		const b = document.querySelector(%q), m = document.getElementById(b.getAttribute('aria-controls')), r = m.getBoundingClientRect();
		return b.getAttribute('aria-haspopup') === 'menu' && b.getAttribute('aria-expanded') === 'true' && !m.hidden &&
			r.left >= 0 && r.right <= document.documentElement.clientWidth && document.activeElement === m.querySelector('[role=menuitem]') &&
			[...m.querySelectorAll('[role=menuitem]')].map((i) => i.textContent).join() === 'Quote,Copy link,Edit,Delete';
	})()`, more))
	bob.pressKey("End", "End", 35, "")
	bob.waitJS("End on Delete", `document.activeElement?.textContent === 'Delete'`)
	bob.pressKey("ArrowDown", "ArrowDown", 40, "")
	bob.waitJS("down wraps to Quote", `document.activeElement?.textContent === 'Quote'`)
	bob.pressKey("Escape", "Escape", 27, "")
	bob.waitJS("Escape closes the menu, focus back on its button", fmt.Sprintf(`(() => {
		const b = document.querySelector(%q);
		return b.getAttribute('aria-expanded') === 'false' && document.activeElement === b;
	})()`, more))
	axeClean(t, bob, "the post with reactions")
}
