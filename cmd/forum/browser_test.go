package main

// The single-page app in headless Chromium, driven from Go with chromedp
// against the real program. The scenarios share one Chromium; each has a
// forum of its own, and each user is a tab in a browser context of its own.
// The harness is in browser_harness_test.go.

import (
	"context"
	"fmt"
	"forum/internal/forumtest"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser runs the scenarios in one headless Chromium, each against a
// forum of its own and with users in browser contexts of their own.
func TestBrowser(t *testing.T) {
	browser := startChromium(t)
	for _, sc := range []struct {
		name  string
		run   func(*testing.T, *browserEnv)
		flags []string
	}{
		{"SignUpSignOut", browserSignUpSignOut, nil},
		{"LiveFeedAndVotes", browserLiveFeedAndVotes, nil},
		{"DirectMessages", browserDirectMessages, nil},
		{"InfiniteScroll", browserInfiniteScroll, nil},
		{"StoredXSS", browserStoredXSS, nil},
		{"Rooms", browserRooms, nil},
		{"Layout", browserLayout, nil},
		{"RepeatVisit", browserRepeatVisit, nil},
		{"MentionBell", browserMentionBell, nil},
		{"Search", browserSearch, nil},
		{"Drafts", browserDrafts, nil},
		{"Outbox", browserOutbox, nil},
		{"BackRestoresScroll", browserBackRestoresScroll, nil},
		{"SignUpErrors", browserSignUpErrors, nil},
		{"Accessibility", browserAccessibility, []string{"--admins", "ada"}},
		{"Moderation", browserModeration, []string{"--admins", "boss"}},
		{"Pins", browserPins, []string{"--admins", "boss"}},
		{"Replies", browserReplies, nil},
		{"ReplyToBlocked", browserReplyToBlocked, nil},
		{"Reactions", browserReactions, nil},
		{"Marks", browserMarks, nil},
		{"Reads", browserReads, nil},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, newBrowserEnv(t, browser, sc.flags...)) })
	}
	t.Run("ReadOnlyBanner", func(t *testing.T) { browserReadOnlyBanner(t, browser) })
}

// While the forum cannot reach NATS the SPA says it is read-only for now,
// and stops saying so by itself once NATS is back.
func browserReadOnlyBanner(t *testing.T, browser context.Context) {
	dir := t.TempDir()
	nats := forumtest.NATSServer(t, -1, dir)
	addr := nats.Addr().(*net.TCPAddr)
	e := newBrowserEnv(t, browser, "--nats-url", "nats://"+addr.String())
	signUp(e.srv, "ada")
	ada := e.newTab("ada")
	ada.signIn("ada")
	ada.waitLive()
	banner := `document.getElementById('read-only')`
	if eval[bool](ada, banner+`.hidden`) != true {
		t.Fatal("the read-only banner shows while NATS is up")
	}
	nats.Shutdown()
	nats.WaitForShutdown()
	ada.waitJS("the read-only banner", `!`+banner+`.hidden && getComputedStyle(`+banner+`).display !== 'none'`)
	forumtest.NATSServer(t, addr.Port, dir)
	ada.waitJS("the banner to go", banner+`.hidden`)
}

// fieldErrorBeside waits for the error of the named field of form to show,
// beside that field (in the same .field), with the field marked invalid, and
// returns its text.
func fieldErrorBeside(p *tab, form, field string) string {
	p.t.Helper()
	p.waitJS("the "+field+" error in #"+form, fmt.Sprintf(`(() => {
		const slot = document.querySelector('#%s .field-error[data-field=%q]');
		const input = document.querySelector('#%s [name=%q]');
		return slot && !slot.hidden && slot.textContent !== '' && slot.closest('.field') === input.closest('.field')
			&& input.getAttribute('aria-invalid') === 'true';
	})()`, form, field, form, field))
	return p.text(fmt.Sprintf(`#%s .field-error[data-field=%q]`, form, field))
}

func browserSignUpSignOut(t *testing.T, e *browserEnv) {
	ada, bob := e.newTab("ada"), e.newTab("bob")

	// A nickname the server refuses: the error shows beside the field.
	ada.open("/signup", "signup")
	ada.typeInto(`#signup-form [name=nickname]`, "no spaces!")
	ada.fill(`#signup-form [name=email]`, "ada@example.com")
	ada.fill(`#signup-form [name=password]`, password("ada"))
	ada.click(`#signup-form button[type=submit]`)
	if msg := fieldErrorBeside(ada, "signup-form", "nickname"); !strings.Contains(msg, "nickname") {
		t.Errorf("nickname error = %q", msg)
	}
	ada.clear(`#signup-form [name=nickname]`)
	ada.typeInto(`#signup-form [name=nickname]`, "ada")
	ada.click(`#signup-form button[type=submit]`)
	ada.waitView("feed")
	ada.waitJS("ada in the header", `document.querySelector('#account .me')?.textContent === 'ada' && !!document.getElementById('signout')`)
	ada.waitLive()

	// Nicknames are unique ignoring case.
	bob.open("/signup", "signup")
	bob.typeInto(`#signup-form [name=nickname]`, "ADA")
	bob.fill(`#signup-form [name=email]`, "bob@example.com")
	bob.fill(`#signup-form [name=password]`, password("bob"))
	bob.click(`#signup-form button[type=submit]`)
	if msg := fieldErrorBeside(bob, "signup-form", "nickname"); !strings.Contains(msg, "taken") {
		t.Errorf("taken nickname error = %q", msg)
	}
	if n := bob.count(`.field-error:not([hidden])`); n != 1 {
		t.Errorf("%d field errors shown, want 1", n)
	}
	bob.clear(`#signup-form [name=nickname]`)
	bob.typeInto(`#signup-form [name=nickname]`, "bob")
	bob.click(`#signup-form button[type=submit]`)
	bob.waitView("feed")
	bob.waitJS("bob in the header", `document.querySelector('#account .me')?.textContent === 'bob'`)

	// Signing out ends ada's session only: bob's cookies are his own.
	ada.click(`#signout`)
	ada.waitJS("the signed-out header", `!document.getElementById('signout') && !!document.querySelector('#account a[href="/signin"]')`)
	ada.waitJS("the WebSocket closed", `document.getElementById('conn-state').dataset.state === 'offline'`)
	if status := eval[int](ada, `fetch('/api/me').then((r) => r.status)`); status != http.StatusUnauthorized {
		t.Errorf("after sign-out /api/me = %d, want 401", status)
	}
	if status := eval[int](bob, `fetch('/api/me').then((r) => r.status)`); status != http.StatusOK {
		t.Errorf("the other user's /api/me = %d, want 200", status)
	}
	ada.open("/chat", "signin")
	if got := eval[string](ada, `location.pathname + location.search`); got != "/signin?next=%2Fchat" {
		t.Errorf("signed-out /chat went to %s, want /signin?next=%%2Fchat", got)
	}

	// A wrong password is refused; the right one signs in and goes on to ?next.
	ada.typeInto(`#signin-form [name=login]`, "ada")
	ada.typeInto(`#signin-form [name=password]`, "wrong-password")
	ada.click(`#signin-form button[type=submit]`)
	ada.waitJS("an error toast", `[...document.querySelectorAll('#toasts .toast-error')].length > 0`)
	ada.clear(`#signin-form [name=password]`)
	ada.typeInto(`#signin-form [name=password]`, password("ada"))
	ada.click(`#signin-form button[type=submit]`)
	ada.waitView("chat")
	ada.waitJS("bob among the contacts", `[...document.querySelectorAll('#contacts .contact-name')].some((el) => el.textContent === 'bob')`)

	// The search box lists the contacts whose nickname starts with what is typed.
	ada.typeInto(`#contacts-search`, "zz")
	ada.waitJS("no contact named zz…", `document.querySelectorAll('#contacts .contact').length === 0 && document.querySelector('#contacts-panel .list-status').textContent !== ''`)
	ada.clear(`#contacts-search`)
	ada.typeInto(`#contacts-search`, "B")
	ada.waitJS("bob found by prefix", `[...document.querySelectorAll('#contacts .contact-name')].map((el) => el.textContent).join() === 'bob'`)
	ada.clear(`#contacts-search`)
	ada.waitJS("every contact again", `[...document.querySelectorAll('#contacts .contact-name')].some((el) => el.textContent === 'bob')`)
}

// postCards returns the ids of the feed's cards, top to bottom.
func postCards(p *tab) []string {
	p.t.Helper()
	return p.ids(`#feed article.post-card`)
}

func browserLiveFeedAndVotes(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ada")
	signUp(e.srv, "bob")
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")
	bob.waitJS("the empty feed", `document.querySelector('.list-status')?.textContent === 'No posts yet.'`)
	bob.waitLive()

	// A post needs a category: the error shows beside the checkboxes.
	ada.click(`.site-nav a[href="/new-topic"]`)
	ada.waitView("new")
	ada.typeInto(`#post-form [name=title]`, "Hello from ada")
	ada.fill(`#post-form [name=body]`, "First post.\nSecond line.")
	ada.click(`#post-form button[type=submit]`)
	ada.waitJS("the categories error", `(() => {
		const slot = document.querySelector('#post-form .field-error[data-field=categories]');
		return slot && !slot.hidden && slot.closest('fieldset')?.querySelector('[name=categories]') != null;
	})()`)
	ada.click(`#post-form input[name=categories][value=general]`)
	ada.click(`#post-form button[type=submit]`)
	ada.waitView("post")
	ada.waitJS("the post", `document.getElementById('post-title')?.textContent === 'Hello from ada'`)
	if body := ada.text(`#post-body`); body != "First post.\nSecond line." {
		t.Errorf("post body = %q", body)
	}
	postID := eval[string](ada, `location.pathname.split('/')[2]`)

	// The other browser hears of it live, in the banner, and shows it on a click.
	bob.waitJS("the new-posts banner", `(() => {
		const b = document.getElementById('new-posts-banner');
		return b && !b.hidden && b.textContent.includes('1 new post');
	})()`)
	if n := bob.count(`#feed article.post-card`); n != 0 {
		t.Errorf("the feed shows %d cards before the banner is clicked", n)
	}
	bob.click(`#new-posts-banner`)
	bob.waitJS("the new card", fmt.Sprintf(`document.querySelector('#feed article.post-card')?.dataset.id === %q`, postID))
	if bob.js(`document.getElementById('new-posts-banner').hidden`) != "true" {
		t.Error("the banner still shows after the click")
	}
	if title := bob.text(`#feed article.post-card .post-card-title`); title != "Hello from ada" {
		t.Errorf("card title = %q", title)
	}
	generalCount := bob.text(`.category-list a[href="/c/general"] .count`)
	if generalCount != "1" {
		t.Errorf("the General badge says %s, want 1", generalCount)
	}

	// Votes: mine is pressed; the other browser's counts follow live.
	bob.click(fmt.Sprintf(`#feed article.post-card[data-id=%q] .post-card-title a`, postID))
	bob.waitView("post")
	bob.waitJS("the post's votes", `document.querySelector('#like-post .count')?.textContent === '0'`)
	ada.click(`#like-post`)
	ada.waitJS("ada's like", `(() => {
		const b = document.getElementById('like-post');
		return b.getAttribute('aria-pressed') === 'true' && b.querySelector('.count').textContent === '1';
	})()`)
	bob.waitJS("ada's like, live", `document.querySelector('#like-post .count').textContent === '1'`)
	if pressed := bob.js(`document.getElementById('like-post').getAttribute('aria-pressed')`); pressed != "false" {
		t.Errorf("bob's like button is aria-pressed=%s before he votes", pressed)
	}
	bob.click(`#dislike-post`)
	bob.waitJS("bob's dislike", `document.getElementById('dislike-post').getAttribute('aria-pressed') === 'true'
		&& document.querySelector('#dislike-post .count').textContent === '1'`)
	ada.waitJS("bob's dislike, live", `document.querySelector('#dislike-post .count').textContent === '1'`)
	// Clicking the pressed button takes the vote back.
	ada.click(`#like-post`)
	ada.waitJS("ada's like taken back", `document.getElementById('like-post').getAttribute('aria-pressed') === 'false'
		&& document.querySelector('#like-post .count').textContent === '0'`)
	bob.waitJS("the like taken back, live", `document.querySelector('#like-post .count').textContent === '0'`)

	// A comment arrives live in the other browser.
	ada.typeInto(`#comment-form textarea[name=body]`, "Nice to see you, bob.")
	ada.click(`#comment-form button[type=submit]`)
	ada.waitJS("the comment", `[...document.querySelectorAll('#comments .comment-body')].some((el) => el.textContent === 'Nice to see you, bob.')`)
	bob.waitJS("the comment, live", `document.querySelectorAll('#comments .comment[data-id]').length === 1
		&& document.getElementById('comments-heading').textContent === 'Comments (1)'`)

	// Deleting asks in place first; the comment, then the post, show as
	// removed in both browsers, and the post leaves the other's feed.
	ada.menuPick(`#comments .comment .comment-more .menu-button`, `#comments .comment .comment-more .delete-comment`)
	ada.click(`#comments .comment .confirm-yes`)
	for _, p := range []*tab{ada, bob} {
		p.waitJS("the comment removed", `document.querySelector('#comments .comment')?.classList.contains('removed')
			&& document.querySelector('#comments .comment .comment-body').textContent === '[removed]'
			&& document.getElementById('comments-heading').textContent === 'Comments (0)'`)
	}
	bob.click(`.site-nav a[href="/"]`)
	bob.waitJS("the card", fmt.Sprintf(`document.querySelector('#feed article.post-card[data-id=%q]') != null`, postID))
	bob.waitLive()
	// A comment made and deleted while the feed shows counts in and out.
	var c struct {
		Comment struct {
			ID string `json:"id"`
		} `json:"comment"`
	}
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", a.Token, map[string]any{"body": "Brief."}, http.StatusCreated, &c)
	bob.waitJS("the comment counted", `document.querySelector('#feed .post-card .comment-count').textContent === '1 comment'`)
	e.srv.mustDo("DELETE", "/api/comments/"+c.Comment.ID, a.Token, nil, http.StatusNoContent, nil)
	bob.waitJS("the comment uncounted", `document.querySelector('#feed .post-card .comment-count').textContent === '0 comments'`)
	ada.click(`.post-actions .confirm-wrap > button.danger`)
	ada.waitJS("the question", `!document.querySelector('.post-actions .confirm').hidden`)
	ada.click(`.post-actions .confirm-yes`)
	ada.waitJS("the page that says the post is deleted", `document.getElementById('post-deleted') != null && document.title === 'Post deleted · Forum'
		&& document.getElementById('comment-form') == null && document.getElementById('like-post') == null
		&& document.activeElement === document.querySelector('#post-deleted h1')`)
	bob.waitJS("the card gone", `document.querySelectorAll('#feed article.post-card').length === 0`)
	if got := bob.text(`.category-list a[href="/c/general"] .count`); got != "0" {
		t.Errorf("the General badge says %s after the delete, want 0", got)
	}
}

func browserDirectMessages(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	// An earlier conversation, longer than one page (10) of history.
	for i := range 9 {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		e.srv.mustDo("POST", "/api/chats/"+to.User.ID+"/messages", from.Token, map[string]any{"body": fmt.Sprintf("earlier %d", i)}, http.StatusCreated, nil)
	}
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")
	ada.open("/chat/"+b.User.ID, "chat")
	bob.open("/chat/"+a.User.ID, "chat")
	for _, p := range []*tab{ada, bob} {
		p.waitJS("the conversation", `document.querySelectorAll('#messages .message[data-id]').length >= 9`)
		p.waitLive()
	}
	ada.waitJS("bob online", fmt.Sprintf(`document.querySelector('li.contact[data-user-id=%q] .online-dot.online') != null`, b.User.ID))

	// Typing shows in the other browser; the message appears in both.
	ada.typeInto(`#message-form textarea[name=body]`, "Hello bob")
	bob.waitJS("ada typing", `(() => {
		const el = document.getElementById('typing-indicator');
		return !el.hidden && el.textContent === 'ada is typing…';
	})()`)
	ada.pressEnter()
	sent := waitMessage(ada, "Hello bob")
	if got := waitMessage(bob, "Hello bob"); got != sent {
		t.Errorf("bob sees the message as %s, ada as %s", got, sent)
	}
	bob.waitJS("the typing indicator gone", `document.getElementById('typing-indicator').hidden`)
	if v := ada.js(`document.querySelector('#message-form textarea').value`); v != "" {
		t.Errorf("the message field keeps %q after sending", v)
	}

	bob.typeInto(`#message-form textarea[name=body]`, "Hi ada")
	ada.waitJS("bob typing", `document.getElementById('typing-indicator').textContent === 'bob is typing…'`)
	bob.click(`#message-form button[type=submit]`)
	if waitMessage(bob, "Hi ada") != waitMessage(ada, "Hi ada") {
		t.Error("the reply has different ids in the two browsers")
	}
	if from := bob.text(`#messages .message:last-child .message-from`); from != "bob" {
		t.Errorf("the reply is from %q", from)
	}
	if !strings.Contains(bob.js(`document.querySelector('#messages .message:last-child time').getAttribute('datetime')`), "T") {
		t.Error("the reply has no datetime")
	}

	// A reload in the middle of the chat shows the whole history exactly once.
	bob.do("reload", chromedp.Reload())
	bob.waitView("chat")
	history := allMessages(e.srv, b.Token, a.User.ID)
	if len(history) != 11 {
		t.Fatalf("the API has %d messages, want 11", len(history))
	}
	bob.waitJS("the whole history, scrolled back", fmt.Sprintf(`(() => {
		const list = document.getElementById('messages');
		if (!list) return false;
		list.scrollTop = 0; // older pages load when the top is in view
		return list.querySelectorAll('.message[data-id]').length >= %d && document.querySelector('.load-older').hidden;
	})()`, len(history)))
	bob.waitLive()
	if err := sameSet(bob.ids(`#messages .message[data-id]`), history); err != nil {
		t.Errorf("after a reload:\n%v", err)
	}
	// Oldest at the top.
	if got := eval[[]string](bob, `[...document.querySelectorAll('#messages .message-body')].map((el) => el.textContent)`); got[0] != "earlier 0" || got[len(got)-1] != "Hi ada" {
		t.Errorf("the history reads %q", got)
	}
	// And the chat goes on: a new message shows once, after the resume.
	ada.typeInto(`#message-form textarea[name=body]`, "Still there?")
	ada.pressEnter()
	id := waitMessage(ada, "Still there?")
	if got := waitMessage(bob, "Still there?"); got != id {
		t.Errorf("bob sees %s, ada %s", got, id)
	}
	if err := sameSet(bob.ids(`#messages .message[data-id]`), append(history, id)); err != nil {
		t.Errorf("after the reload and one more message:\n%v", err)
	}
	if n := ada.count(`#messages .message.pending`) + bob.count(`#messages .message.pending`); n != 0 {
		t.Errorf("%d messages still pending", n)
	}

	// Outside the conversation: a toast, then an unread badge on the contact.
	bob.click(`.site-nav a[href="/"]`)
	bob.waitView("feed")
	ada.typeInto(`#message-form textarea[name=body]`, "Are you there?")
	ada.pressEnter()
	waitMessage(ada, "Are you there?")
	bob.waitJS("the toast", `[...document.querySelectorAll('#toasts .toast')].some((el) => el.textContent === 'ada: Are you there?')`)
	bob.click(`.site-nav a[href="/chat"]`)
	bob.waitView("chat")
	badge := fmt.Sprintf(`li.contact[data-user-id=%q] .unread`, a.User.ID)
	bob.waitJS("the unread badge", fmt.Sprintf(`(() => { const b = document.querySelector(%q); return b && !b.hidden && b.textContent === '1'; })()`, badge))
	bob.click(fmt.Sprintf(`li.contact[data-user-id=%q] a`, a.User.ID))
	waitMessage(bob, "Are you there?")
	bob.waitJS("the badge cleared", fmt.Sprintf(`document.querySelector(%q).hidden`, badge))
	// The server comes to agree that it was read (the badge clears before
	// the read mark is stored).
	type contact struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Unread int `json:"unread"`
	}
	var contacts struct{ Items []contact }
	if !forumtest.WaitUntil(stepTimeout, func() bool {
		e.srv.mustDo("GET", "/api/contacts", b.Token, nil, http.StatusOK, &contacts)
		i := slices.IndexFunc(contacts.Items, func(c contact) bool { return c.User.ID == a.User.ID })
		return i >= 0 && contacts.Items[i].Unread == 0
	}) {
		t.Fatalf("GET /api/contacts for bob: %+v, want ada with 0 unread", contacts.Items)
	}
}

func browserRooms(t *testing.T, e *browserEnv) {
	signUp(e.srv, "ada")
	signUp(e.srv, "bob")
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")

	// Room names are checked beside the field; a good one opens the room.
	ada.click(`.site-nav a[href="/rooms"]`)
	ada.waitView("rooms")
	ada.typeInto(`#room-form [name=name]`, "Bad Name!")
	ada.click(`#room-form button[type=submit]`)
	fieldErrorBeside(ada, "room-form", "name")
	ada.clear(`#room-form [name=name]`)
	ada.typeInto(`#room-form [name=name]`, "lobby")
	ada.click(`#room-form button[type=submit]`)
	ada.waitView("room")
	if got := eval[string](ada, `location.pathname`); got != "/rooms/lobby" {
		t.Fatalf("the room is at %s", got)
	}
	// Opening the page watches the room; joining it is a click, and the
	// join line goes to whoever watches.
	waitWatching(ada)
	clickMembership(ada)
	waitJoined(ada, "ada")
	bob.open("/rooms/lobby", "room")
	waitWatching(bob)
	if n := bob.count(`#room-messages .system`); n != 0 {
		t.Errorf("opening the room shows %d join lines", n)
	}
	clickMembership(bob)
	waitJoined(bob, "bob")
	waitJoined(ada, "bob")
	ada.waitJS("bob among the members, online", `[...document.querySelectorAll('#room-members .member')].some((li) => li.textContent.startsWith('bob') && li.querySelector('.online-dot.online'))`)
	if got := ada.text(`#room-membership`); got != "Leave room" {
		t.Errorf("the membership button of a member says %q", got)
	}

	bob.typeInto(`#room-form textarea[name=body]`, "Hello room")
	ada.waitJS("bob typing", `document.getElementById('typing-indicator').textContent === 'bob is typing…'`)
	bob.pressEnter()
	id := waitRoomMessage(bob, "Hello room")
	if got := waitRoomMessage(ada, "Hello room"); got != id {
		t.Errorf("ada sees %s, bob %s", got, id)
	}
	ada.waitJS("the typing indicator gone", `document.getElementById('typing-indicator').hidden`)
	ada.typeInto(`#room-form textarea[name=body]`, "Hi bob")
	ada.pressEnter()
	reply := waitRoomMessage(ada, "Hi bob")
	waitRoomMessage(bob, "Hi bob")

	// After a reload the history is there, once, and the room is live again.
	ada.do("reload", chromedp.Reload())
	ada.waitView("room")
	waitRoomMessage(ada, "Hello room")
	waitRoomMessage(ada, "Hi bob")
	// Room messages are live from the watch on; reopening the page made no line.
	waitWatching(ada)
	if n := ada.count(`#room-messages .system`); n != 0 {
		t.Errorf("after a reload the room shows %d join or leave lines", n)
	}
	if err := sameSet(ada.ids(`#room-messages .message[data-id]`), []string{id, reply}); err != nil {
		t.Errorf("after a reload:\n%v", err)
	}
	bob.typeInto(`#room-form textarea[name=body]`, "Welcome back")
	bob.pressEnter()
	waitRoomMessage(ada, "Welcome back")
	if n := ada.count(`#room-messages .message[data-id]`); n != 3 {
		t.Errorf("the room shows %d messages, want 3", n)
	}
	ada.click(`a[href="/rooms"]:not(.site-nav a)`)
	ada.waitView("rooms")
	ada.waitJS("the room in the list", `[...document.querySelectorAll('#all-rooms a')].some((a) => a.textContent === '#lobby')`)

	// Ada's rooms count what she has not read, live.
	ada.waitJS("lobby among her rooms, all read", `document.querySelector('#my-rooms [data-room=lobby] .unread')?.hidden === true`)
	bob.typeInto(`#room-form textarea[name=body]`, "Are you there?")
	bob.pressEnter()
	waitRoomMessage(bob, "Are you there?")
	ada.waitJS("one unread in lobby", `document.querySelector('#my-rooms [data-room=lobby] .unread')?.textContent === '1' && !document.querySelector('#my-rooms [data-room=lobby] .unread').hidden`)
	ada.click(`#my-rooms [data-room=lobby] a`)
	ada.waitView("room")
	waitRoomMessage(ada, "Are you there?")
	ada.do("back", chromedp.NavigateBack())
	ada.waitView("rooms")
	ada.waitJS("lobby read again", `document.querySelector('#my-rooms [data-room=lobby] .unread')?.hidden === true`)

	// Leaving is a click too; the watchers see the line.
	ada.click(`#my-rooms [data-room=lobby] a`)
	ada.waitView("room")
	ada.waitJS("the leave button", `document.getElementById('room-membership').textContent === 'Leave room'`)
	clickMembership(ada)
	bob.waitJS("ada leaving", `[...document.querySelectorAll('#room-messages .system')].some((el) => el.textContent === 'ada left the room')`)
	bob.waitJS("ada out of the members", `![...document.querySelectorAll('#room-members .member')].some((li) => li.textContent.startsWith('ada'))`)
}

// clickMembership clicks Join or Leave once the page knows which it is.
func clickMembership(p *tab) {
	p.t.Helper()
	p.waitJS("the membership button", `document.getElementById('room-membership')?.disabled === false`)
	p.click(`#room-membership`)
}

// waitWatching waits until the room's messages reach the page live.
func waitWatching(p *tab) {
	p.t.Helper()
	p.waitJS("the room live", `document.getElementById('room-messages')?.dataset.live === 'true'`)
}

// waitJoined waits until the room shows that nickname joined it.
func waitJoined(p *tab, nickname string) {
	p.t.Helper()
	p.waitJS(nickname+" joining", fmt.Sprintf(`[...document.querySelectorAll('#room-messages .system')].some((el) => el.textContent === %q)`, nickname+" joined the room"))
}

// waitRoomMessage is waitMessage for a room.
func waitRoomMessage(p *tab, body string) string {
	p.t.Helper()
	p.waitJS("the message "+body, fmt.Sprintf(`[...document.querySelectorAll('#room-messages .message[data-id]')].filter((el) => el.querySelector('.message-body').textContent === %q).length === 1`, body))
	return eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('#room-messages .message[data-id]')].find((el) => el.querySelector('.message-body').textContent === %q).dataset.id`, body))
}

// waitMessage waits until the conversation shows a stored (acknowledged)
// message with this body, exactly once, and returns its id.
func waitMessage(p *tab, body string) string {
	p.t.Helper()
	p.waitJS("the message "+body, fmt.Sprintf(`[...document.querySelectorAll('#messages .message[data-id]')].filter((el) => el.querySelector('.message-body').textContent === %q).length === 1`, body))
	return eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('#messages .message[data-id]')].find((el) => el.querySelector('.message-body').textContent === %q).dataset.id`, body))
}

// createPost posts over the API and returns the post's id.
func createPost(f *forum, token, title, body string, categories ...string) string {
	f.t.Helper()
	var p struct {
		Post struct {
			ID string `json:"id"`
		} `json:"post"`
	}
	f.mustDo("POST", "/api/posts", token, map[string]any{"title": title, "body": body, "categories": categories}, http.StatusCreated, &p)
	return p.Post.ID
}

func browserInfiniteScroll(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ada")
	for i := 1; i <= 45; i++ {
		createPost(e.srv, a.Token, fmt.Sprintf("Post %02d", i), "Body of post "+fmt.Sprint(i), "general")
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	e.srv.mustDo("GET", "/api/posts?limit=100", "", nil, http.StatusOK, &page)
	var want []string
	for _, p := range page.Items {
		want = append(want, p.ID)
	}

	ada := e.newTab("ada")
	ada.signIn("ada")
	ada.waitJS("the first page", `document.querySelectorAll('#feed article.post-card').length >= 20`)
	ada.waitLive()
	if n := ada.count(`#feed article.post-card`); n >= 45 {
		t.Fatalf("the feed shows all %d posts before any scrolling", n)
	}
	if got := ada.text(`#feed article.post-card .post-card-title`); got != "Post 45" {
		t.Errorf("the top card is %q, want the newest, Post 45", got)
	}
	// Scrolling to the bottom loads the next pages, until there are no more.
	ada.waitJS("more posts after scrolling", `(() => {
		scrollTo(0, document.documentElement.scrollHeight);
		return document.querySelectorAll('#feed article.post-card').length > 20;
	})()`)
	ada.waitJS("every post after scrolling", `(() => {
		scrollTo(0, document.documentElement.scrollHeight);
		return document.querySelectorAll('#feed article.post-card').length >= 45 && document.querySelector('.load-more').hidden;
	})()`)
	got := postCards(ada)
	if err := sameSet(got, want); err != nil {
		t.Errorf("after scrolling to the end:\n%v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the feed's order differs from the API's:\n got %v\nwant %v", got, want)
	}
	if status := ada.text(`.post-list-wrap .list-status`); status != "" {
		t.Errorf("the list status says %q at the end", status)
	}

	// A post made meanwhile waits in the banner and goes on top, once.
	id := createPost(e.srv, a.Token, "Post 46", "The newest.", "help")
	ada.waitJS("the banner", `!document.getElementById('new-posts-banner').hidden`)
	ada.click(`#new-posts-banner`)
	ada.waitJS("the new post on top", fmt.Sprintf(`document.querySelector('#feed article.post-card').dataset.id === %q`, id))
	if err := sameSet(postCards(ada), append(want, id)); err != nil {
		t.Errorf("after the banner:\n%v", err)
	}
}

const (
	xssImg    = `<img src=x onerror="window.__xss=1">`
	xssScript = `<script>window.__xss=1</script>`
)

// noXSS checks that no payload ran or became an element in the page shown.
// (The CSP would stop an inline handler or script, and the console check
// would report that, and a request for the image x, at the end.)
func noXSS(p *tab) {
	p.t.Helper()
	if got := p.js(`typeof window.__xss`); got != "undefined" {
		p.t.Errorf("%s: window.__xss is %s: a payload ran", p.name, got)
	}
	if n := p.count(`img, body script, iframe, [onerror], [style], a[href^="javascript:" i], a[href^="data:" i]`); n != 0 {
		p.t.Errorf("%s: the page has %d elements from a payload", p.name, n)
	}
}

func browserStoredXSS(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")
	bob.waitLive()

	title := xssImg
	body := xssScript + "\n" + xssImg
	ada.open("/new-topic", "new")
	ada.fill(`#post-form [name=title]`, title)
	ada.fill(`#post-form [name=body]`, body)
	ada.click(`#post-form input[name=categories][value=general]`)
	ada.click(`#post-form button[type=submit]`)
	ada.waitView("post")
	ada.waitJS("the post", `!!document.getElementById('post-title')?.textContent`)
	if got := ada.text(`#post-title`); got != title {
		t.Errorf("title shows as %q, want %q", got, title)
	}
	if got := ada.text(`#post-body`); got != body {
		t.Errorf("body shows as %q, want %q", got, body)
	}
	if got := ada.js(`document.title`); got != title+" · Forum" {
		t.Errorf("document title = %q", got)
	}
	noXSS(ada)

	// In the other browser: the live banner's card, then the post.
	bob.waitJS("the banner", `!document.getElementById('new-posts-banner').hidden`)
	bob.click(`#new-posts-banner`)
	bob.waitJS("the card", `document.querySelectorAll('#feed article.post-card').length === 1`)
	if got := bob.text(`#feed .post-card-title`); got != title {
		t.Errorf("card title shows as %q", got)
	}
	noXSS(bob)
	bob.click(`#feed .post-card-title a`)
	bob.waitView("post")
	bob.waitJS("the post", `!!document.getElementById('post-title')?.textContent`)

	comment := xssImg + " and " + xssScript
	ada.fill(`#comment-form textarea[name=body]`, comment)
	ada.click(`#comment-form button[type=submit]`)
	for _, p := range []*tab{ada, bob} {
		p.waitJS("the comment", fmt.Sprintf(`document.querySelector('#comments .comment-body')?.textContent === %q`, comment))
		if got := p.text(`#post-body`); got != body {
			t.Errorf("%s: body shows as %q", p.name, got)
		}
		noXSS(p)
	}

	// A direct message, live over the WebSocket and then from the API.
	ada.open("/chat/"+b.User.ID, "chat")
	bob.open("/chat/"+a.User.ID, "chat")
	ada.waitLive()
	bob.waitLive()
	ada.fill(`#message-form textarea[name=body]`, comment)
	ada.do("focus the message field", chromedp.Focus(chromedp.CSS(`#message-form textarea`)))
	ada.pressEnter()
	waitMessage(ada, comment)
	waitMessage(bob, comment)
	noXSS(bob)
	bob.do("reload", chromedp.Reload())
	bob.waitView("chat")
	waitMessage(bob, comment)
	bob.click(`.site-nav a[href="/"]`)
	bob.waitJS("the feed card", fmt.Sprintf(`document.querySelector('#feed .post-card-title')?.textContent === %q`, title))
	noXSS(ada)
	noXSS(bob)

	// Markdown: what it formats shows formatted, in the preview and in the
	// post; links that would run script, raw HTML and images do not.
	md := "**strong** and [ok](https://example.com/a) and [run](javascript:window.__xss=1) and [data](data:text/html,x)\n\n" +
		"<a href=\"javascript:window.__xss=1\">raw</a> ![pic](x\" onerror=\"window.__xss=1) <style>body{display:none}</style>"
	ada.open("/new-topic", "new")
	ada.fill(`#post-form [name=title]`, "Markdown")
	ada.fill(`#post-form [name=body]`, md)
	ada.click(`#post-form .composer-toggle`)
	ada.waitJS("the preview", `!!document.querySelector('#post-form .composer-preview strong')`)
	noXSS(ada)
	ada.click(`#post-form .composer-toggle`)
	ada.click(`#post-form input[name=categories][value=general]`)
	ada.click(`#post-form button[type=submit]`)
	ada.waitView("post")
	ada.waitJS("the rendered body", `document.querySelector('#post-body strong')?.textContent === 'strong'`)
	if got := ada.js(`[...document.querySelectorAll('#post-body a')].map(a => a.getAttribute('href') + ' ' + a.rel).join('|')`); got != "https://example.com/a nofollow ugc noopener" {
		t.Errorf("links in the rendered body: %q", got)
	}
	if got := ada.text(`#post-body`); !strings.Contains(got, `<a href="javascript:window.__xss=1">raw</a>`) || !strings.Contains(got, "<style>") {
		t.Errorf("raw HTML does not show as text: %q", got)
	}
	noXSS(ada)
}

func browserLayout(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	signUp(e.srv, "a_rather_long_nickname")
	long := strings.Repeat("Supercalifragilisticexpialidocious", 4)
	var postID string
	for i, title := range []string{"Welcome to the forum", "A title long enough to wrap on a phone, with " + long, "Release notes"} {
		postID = createPost(e.srv, a.Token, title, "Some text.\n\n"+long+"\nThe end.", "general", "help", "development", "showcase", "off-topic")
		e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", b.Token, map[string]any{"body": fmt.Sprintf("Comment %d: %s", i, long)}, http.StatusCreated, nil)
		e.srv.mustDo("PUT", "/api/posts/"+postID+"/vote", b.Token, map[string]any{"value": 1}, http.StatusOK, nil)
	}
	for i := range 12 {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		e.srv.mustDo("POST", "/api/chats/"+to.User.ID+"/messages", from.Token, map[string]any{"body": fmt.Sprintf("Message %d. %s", i, long[:40*(i%3)])}, http.StatusCreated, nil)
	}

	guest, ada := e.newTab("guest"), e.newTab("ada")
	ada.signIn("ada")
	// Each page is loaded at its width, as a phone or a desktop would.
	for _, w := range []int64{1280, 375} {
		guest.setWidth(w)
		guest.open("/signup", "signup")
		guest.screenshot("signup")

		ada.setWidth(w)
		ada.open("/", "feed")
		ada.waitJS("the feed", `document.querySelectorAll('#feed article.post-card').length === 3`)
		ada.screenshot("feed")
		if w == 375 {
			// A phone of 375 × 740 shows the whole first post in its first screen.
			if bottom := eval[float64](ada, `document.querySelector('#feed article.post-card').getBoundingClientRect().bottom + scrollY`); bottom > 740 {
				t.Errorf("the first post ends at %.0f px on a phone, below its first screen (740 px)", bottom)
			}
		}

		ada.open("/posts/"+postID, "post")
		ada.waitJS("the comments", `document.querySelectorAll('#comments .comment[data-id]').length === 1`)
		ada.screenshot("post")

		ada.open("/chat/"+b.User.ID, "chat")
		ada.waitJS("the newest messages, scrolled to the bottom", `(() => {
			const list = document.getElementById('messages');
			return list.querySelectorAll('.message[data-id]').length >= 10 && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
		})()`)
		ada.screenshot("chat")
	}
	// On a phone the contacts are behind the toggle.
	ada.waitJS("the contacts hidden", `getComputedStyle(document.getElementById('contacts-panel')).display === 'none'`)
	ada.click(`#sidebar-toggle`)
	ada.waitJS("the contacts shown", `getComputedStyle(document.getElementById('contacts-panel')).display !== 'none'`)
	ada.screenshot("chat-contacts")
}

// A repeat visit takes every asset from the browser's cache (content-hashed
// URLs, cached for good); a first visit fetches each one once, compressed.
func browserRepeatVisit(t *testing.T, e *browserEnv) {
	ada := signUp(e.srv, "ada")
	createPost(e.srv, ada.Token, "Hello", "The first post.", "general")
	p := e.newTab("visitor")
	p.open("/", "feed")
	p.waitJS("the feed's posts", `!!document.querySelector('#feed .post-card')`)
	if eval[bool](p, `document.querySelector('.skeleton') !== null || document.getElementById('main').getAttribute('aria-busy') === 'true'`) {
		t.Error("the loading skeleton is still there under the feed")
	}
	assets := `performance.getEntriesByType('resource').filter(r => new URL(r.name).pathname.startsWith('/assets/'))`
	first := eval[[]map[string]any](p, assets+`.map(r => ({url: r.name, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize}))`)
	if len(first) != 2 {
		t.Fatalf("the first visit fetched %d assets, want the stylesheet and the app's one bundle: %v", len(first), first)
	}
	seen := map[string]bool{}
	for _, r := range first {
		url := r["url"].(string)
		if seen[url] {
			t.Errorf("%s fetched twice", url)
		}
		seen[url] = true
		if r["transfer"].(float64) == 0 {
			t.Errorf("%s came from a cache on the first visit", url)
		}
		if decoded := r["decoded"].(float64); decoded > 2000 && r["encoded"].(float64) > decoded/2 {
			t.Errorf("%s: %v bytes on the wire for %v: not compressed", url, r["encoded"], decoded)
		}
	}
	// The feed's data was asked for beside /api/me, once: the view took the prefetched answers over.
	// (Counted in the server's log: a fetch whose body is never read leaves no resource timing entry.)
	gets := func(path string) int { return strings.Count(e.srv.stderr.String(), "method=GET path="+path+" ") }
	forumtest.Eventually(t, "the feed's requests in the log", func() bool { return gets("/api/posts") >= 1 && gets("/api/categories") >= 1 })
	if posts, categories := gets("/api/posts"), gets("/api/categories"); posts != 1 || categories != 1 {
		t.Errorf("the feed's first visit asked for /api/posts %d times and /api/categories %d times, want once each", posts, categories)
	}
	p.open("/signin", "signin")
	again := eval[[]map[string]any](p, assets+`.map(r => ({url: r.name, transfer: r.transferSize}))`)
	if len(again) != len(first) {
		t.Errorf("the repeat visit loaded %d assets, the first %d", len(again), len(first))
	}
	for _, r := range again {
		if r["transfer"].(float64) != 0 {
			t.Errorf("%s: %v bytes fetched again on a repeat visit, want it from the cache", r["url"], r["transfer"])
		}
	}
}
