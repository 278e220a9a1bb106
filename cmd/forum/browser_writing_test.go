package main

// Browser scenarios of writing and reading: mentions and the bell, search,
// edit history, drafts, the outbox, Back, sign-up errors, and the
// accessibility of every view (axe-core).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// A mention lights the bell and the title; the toast and the bell's list
// lead to the post; opening the list reads it. A direct message counts on
// the Chat link. The post's edit history is behind its "edited" label.
func browserMentionBell(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	ada := e.newTab("ada")
	ada.signIn("ada")
	ada.waitLive()

	postID := createPost(e.srv, b.Token, "Question for ada", "Hey @ada, what do you think?", "general")
	ada.waitJS("the bell's count", `document.querySelector('#bell .unread').textContent === '1' && !document.querySelector('#bell .unread').hidden`)
	ada.waitJS("the count in the title", `document.title.startsWith('(1) ')`)
	ada.waitJS("a toast that leads to the post", fmt.Sprintf(`[...document.querySelectorAll('#toasts .toast-link a')].some((a) => a.getAttribute('href') === '/posts/%s')`, postID))
	if got := ada.js(`document.getElementById('bell').getAttribute('aria-label')`); got != "Notifications, 1 unread" {
		t.Errorf("the bell's name: %q", got)
	}

	ada.click(`#bell`)
	ada.waitJS("the list", `document.querySelectorAll('#notifications-panel .notice').length === 1`)
	if got := ada.text(`#notifications-panel .notice a`); !strings.HasPrefix(got, "bob mentioned you in a post: Hey @ada") {
		t.Errorf("the notification says %q", got)
	}
	ada.waitJS("the bell read", `document.querySelector('#bell .unread').hidden && !document.title.startsWith('(')`)
	ada.screenshot("notifications")
	ada.click(`#notifications-panel .notice a`)
	ada.waitView("post")
	ada.waitJS("the mentioning post", fmt.Sprintf(`location.pathname === '/posts/%s' && document.getElementById('post-title')?.textContent === 'Question for ada'`, postID))

	// A reply on ada's post leads to the comment itself.
	mine := createPost(e.srv, a.Token, "My post", "Text.", "general")
	var c struct{ Comment struct{ ID string } }
	e.srv.mustDo("POST", "/api/posts/"+mine+"/comments", b.Token, map[string]any{"body": "A reply"}, http.StatusCreated, &c)
	ada.waitJS("the reply's toast", fmt.Sprintf(`[...document.querySelectorAll('#toasts .toast-link a')].some((a) => a.getAttribute('href') === '/posts/%s#comment-%s')`, mine, c.Comment.ID))
	ada.click(fmt.Sprintf(`#toasts .toast-link a[href="/posts/%s#comment-%s"]`, mine, c.Comment.ID))
	ada.waitJS("the comment, marked", fmt.Sprintf(`document.getElementById('comment-%s')?.classList.contains('target')`, c.Comment.ID))

	// Direct messages count on the Chat link until the conversation is read.
	e.srv.mustDo("POST", "/api/chats/"+a.User.ID+"/messages", b.Token, map[string]any{"body": "psst"}, http.StatusCreated, nil)
	ada.waitJS("the Chat link's count", `document.querySelector('.site-nav a[href="/chat"] .unread')?.textContent === '1' && document.title.startsWith('(2) ')`)
	ada.click(`.site-nav a[href="/chat"]`)
	ada.waitView("chat")
	ada.click(fmt.Sprintf(`a[href="/chat/%s"]`, b.User.ID))
	waitMessage(ada, "psst")
	ada.waitJS("the Chat link read", `document.querySelector('.site-nav a[href="/chat"] .unread').hidden`)

	// Edit history, from the log.
	e.srv.mustDo("PATCH", "/api/posts/"+mine, a.Token, map[string]any{"body": "Text, **edited**."}, http.StatusOK, nil)
	ada.open("/posts/"+mine, "post")
	ada.click(`#post-history-toggle`)
	ada.waitJS("two versions", `document.querySelectorAll('#post-history .revision').length === 2`)
	if got := ada.text(`#post-history .revision:last-child .revision-body strong`); got != "edited" {
		t.Errorf("the second version's body: %q", got)
	}
	ada.screenshot("post-history")
}

// Search from the header: a new post is found, with its words marked, and
// a deleted one is not; one's own messages are searched on their tab.
func browserSearch(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	ada := e.newTab("ada")
	ada.signIn("ada")
	id := createPost(e.srv, b.Token, "Quokkas of Rottnest", "The quokka is a small marsupial.", "general")
	gone := createPost(e.srv, b.Token, "Quokka rumours", "Soon deleted.", "general")
	e.srv.mustDo("DELETE", "/api/posts/"+gone, b.Token, nil, http.StatusNoContent, nil)
	e.srv.mustDo("POST", "/api/chats/"+a.User.ID+"/messages", b.Token, map[string]any{"body": "a quokka selfie for you"}, http.StatusCreated, nil)

	ada.do("search from the header", chromedp.SendKeys(chromedp.CSS(`#site-search-q`), "quokka\r"))
	ada.waitView("search")
	ada.waitJS("the results", `document.querySelectorAll('#search-results .search-result').length === 1`)
	if got := ada.js(`document.querySelector('#search-results .search-result a').getAttribute('href')`); got != "/posts/"+id {
		t.Errorf("the result links to %s", got)
	}
	if got := ada.text(`#search-results .search-snippet mark`); !strings.EqualFold(got, "quokka") {
		t.Errorf("the marked word: %q", got)
	}
	ada.screenshot("search")
	ada.click(`.tabs a[href*="in=messages"]`)
	ada.waitJS("the message found", `document.querySelector('#search-results .search-result[data-kind=dm] a')?.textContent === 'Chat with bob'`)
	ada.open("/search?q=rumours", "search")
	ada.waitJS("nothing found", `document.getElementById('search-status').textContent.startsWith('Nothing found')`)
}

// Nothing typed is lost: a new post's title and body, a comment and a
// direct message survive a reload and navigation; posting clears them.
func browserDrafts(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	ada := e.newTab("ada")
	ada.signIn("ada")
	ada.open("/new-topic", "new")
	ada.typeInto(`#post-form [name=title]`, "Half a title")
	ada.typeInto(`#post-form [name=body]`, "Half a thought")
	ada.do("reload", chromedp.Reload())
	ada.waitView("new")
	ada.waitJS("the draft back", `document.querySelector('#post-form [name=title]')?.value === 'Half a title' && document.querySelector('#post-form [name=body]')?.value === 'Half a thought'`)
	if n := ada.count(`#post-form .draft-note`); n != 1 {
		t.Errorf("%d notes say the draft was restored", n)
	}

	postID := createPost(e.srv, b.Token, "Talk", "About things.", "general")
	ada.open("/posts/"+postID, "post")
	ada.typeInto(`#comment-form textarea`, "A comment in progress")
	ada.click(`.site-nav a[href="/"]`)
	ada.waitView("feed")
	ada.do("back", chromedp.NavigateBack())
	ada.waitView("post")
	ada.waitJS("the comment draft back", `document.querySelector('#comment-form textarea')?.value === 'A comment in progress'`)
	ada.click(`#comment-form button[type=submit]`)
	ada.waitJS("the comment posted", `[...document.querySelectorAll('#comments .comment-body')].some((el) => el.textContent === 'A comment in progress')`)
	ada.do("reload", chromedp.Reload())
	ada.waitView("post")
	ada.waitJS("the comment box empty after posting", `document.querySelector('#comment-form textarea')?.value === ''`)

	ada.open("/chat/"+b.User.ID, "chat")
	ada.typeInto(`#message-form textarea`, "unsent words")
	ada.do("reload", chromedp.Reload())
	ada.waitView("chat")
	ada.waitJS("the message draft back", `document.querySelector('#message-form textarea')?.value === 'unsent words'`)
	_ = a
}

// setOffline cuts the tab off the network (and says so to the page, as a
// browser does) or puts it back.
func (p *tab) setOffline(offline bool) {
	p.t.Helper()
	p.do("network offline="+fmt.Sprint(offline), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rules := []*network.Conditions{}
		if offline {
			rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// A message written while offline waits in the outbox, visibly, survives a
// reload, and goes out once when the network is back.
func browserOutbox(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	ada, bob := e.newTab("ada"), e.newTab("bob")
	ada.signIn("ada")
	bob.signIn("bob")
	ada.open("/chat/"+b.User.ID, "chat")
	bob.open("/chat/"+a.User.ID, "chat")
	ada.waitLive()
	bob.waitLive()

	ada.setOffline(true)
	ada.waitJS("the connection down", `document.getElementById('conn-state').dataset.state !== 'live'`)
	ada.waitJS("the reconnecting banner", `!document.getElementById('reconnecting').hidden`)
	ada.typeInto(`#message-form textarea`, "sent while offline")
	ada.pressEnter()
	ada.waitJS("the message waiting", `document.querySelector('#messages .message.pending[data-state=waiting] .message-status')?.textContent === 'waiting for the connection…'`)
	ada.screenshot("outbox")

	ada.setOffline(false)
	waitMessage(ada, "sent while offline")
	waitMessage(bob, "sent while offline")
	ada.waitJS("the banner gone", `document.getElementById('reconnecting').hidden`)
	if n := ada.count(`#messages .message.pending`); n != 0 {
		t.Errorf("%d messages still pending", n)
	}
	if ids := allMessages(e.srv, a.Token, b.User.ID); len(ids) != 1 {
		t.Errorf("the conversation holds %d messages, want the one", len(ids))
	}

	// Written offline, then the page reloaded (still offline), then online:
	// the outbox kept it, and it is stored once.
	ada.setOffline(true)
	ada.waitJS("the connection down again", `document.getElementById('conn-state').dataset.state !== 'live'`)
	ada.typeInto(`#message-form textarea`, "kept across a reload")
	ada.pressEnter()
	ada.waitJS("waiting", `!!document.querySelector('#messages .message.pending[data-state=waiting]')`)
	ada.setOffline(false)
	ada.do("reload", chromedp.Reload())
	ada.waitView("chat")
	waitMessage(ada, "kept across a reload")
	waitMessage(bob, "kept across a reload")
	if ids := allMessages(e.srv, a.Token, b.User.ID); len(ids) != 2 {
		t.Errorf("the conversation holds %d messages, want 2", len(ids))
	}
}

// Back from a post to a feed scrolled three pages down shows those pages,
// at the same place.
func browserBackRestoresScroll(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ada")
	for i := range 50 {
		createPost(e.srv, a.Token, fmt.Sprintf("Post number %02d", i), "Body.", "general")
	}
	ada := e.newTab("ada")
	ada.signIn("ada")
	ada.open("/", "feed")
	for want := 40; want <= 50; want += 10 {
		ada.do("scroll to the end", chromedp.Evaluate[chromedp.Void](`scrollTo(0, document.documentElement.scrollHeight)`))
		ada.waitJS(fmt.Sprint(want, " cards"), fmt.Sprintf(`document.querySelectorAll('#feed article.post-card').length >= %d`, min(want, 50)))
	}
	ada.do("scroll to the 35th post", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#feed article.post-card')[35].scrollIntoView({block: 'start'})`))
	before := eval[float64](ada, `scrollY`)
	target := ada.js(`document.querySelectorAll('#feed article.post-card')[35].dataset.id`)
	ada.click(fmt.Sprintf(`#feed article.post-card[data-id=%q] .post-card-title a`, target))
	ada.waitView("post")
	ada.do("back", chromedp.NavigateBack())
	ada.waitView("feed")
	ada.waitJS("the pages back", `document.querySelectorAll('#feed article.post-card').length >= 40`)
	ada.waitJS(fmt.Sprintf("the scroll position back at %.0f", before), fmt.Sprintf(`Math.abs(scrollY - %f) <= 2`, before))
	if got := ada.js(`document.elementFromPoint(innerWidth / 2, 40)?.closest('article.post-card')?.dataset.id`); got != target {
		t.Errorf("the card at the top after Back is %s, want %s", got, target)
	}
}

// Every problem with a sign-up shows at once, each beside its field.
func browserSignUpErrors(t *testing.T, e *browserEnv) {
	guest := e.newTab("guest")
	guest.open("/signup", "signup")
	guest.typeInto(`#signup-form [name=nickname]`, "x")
	guest.typeInto(`#signup-form [name=email]`, "not-an-email")
	guest.typeInto(`#signup-form [name=password]`, "short")
	guest.click(`#signup-form button[type=submit]`)
	guest.waitJS("three errors", `[...document.querySelectorAll('#signup-form .field-error')].filter((el) => !el.hidden).length === 3`)
	for _, field := range []string{"nickname", "email", "password"} {
		if msg := fieldErrorBeside(guest, "signup-form", field); msg == "" {
			t.Errorf("no error beside %s", field)
		}
	}
	if got := guest.js(`document.activeElement.name`); got != "nickname" {
		t.Errorf("focus is on %q, want the first field with a problem", got)
	}
}

// axePath is axe-core's script, installed from npm as a test fixture by
// .ci/run (npm install axe-core into cmd/forum/testdata/axe).
var axePath = filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js")

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	Target string `json:"target"`
}

// axe runs axe-core on the page as it is and returns its violations.
func (p *tab) axe(source string) []axeViolation {
	p.t.Helper()
	// The page's CSP allows no script from elsewhere: bypass it for the
	// test's own script only, then load axe as a plain evaluation.
	p.do("bypass the CSP for axe", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	}))
	if eval[bool](p, `typeof window.axe !== 'undefined'`) == false {
		p.do("load axe", chromedp.Evaluate[chromedp.Void](source))
	}
	raw := eval[string](p, `axe.run(document, {resultTypes: ['violations']}).then((r) => JSON.stringify(r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, target: String(v.nodes[0]?.target ?? '')}))))`)
	var out []axeViolation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		p.t.Fatalf("axe: %v", err)
	}
	p.lastAxe = out
	return out
}

// setDark switches the tab to the dark colour scheme, or back to light.
func (p *tab) setDark(dark bool) {
	p.t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	p.do("colour scheme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// Every view, at a phone's and a desktop's width, in light and dark: axe-core
// finds no serious or critical violation; the counts of all are logged, and
// each view is saved as a screenshot.
func browserAccessibility(t *testing.T, e *browserEnv) {
	source, err := os.ReadFile(axePath)
	if err != nil {
		msg := "axe-core is missing (" + axePath + "), so accessibility is not checked: npm install --prefix cmd/forum/testdata/axe axe-core"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log("!!!!!!!! SKIPPING: " + msg + " !!!!!!!!")
		t.Skip(msg)
	}
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	postID := createPost(e.srv, a.Token, "Accessible post", "Some **bold** text and a [link](https://example.com).", "general")
	e.srv.mustDo("POST", "/api/posts/"+postID+"/comments", b.Token, map[string]any{"body": "Thanks @ada"}, http.StatusCreated, nil)
	e.srv.mustDo("PATCH", "/api/posts/"+postID, a.Token, map[string]any{"body": "Edited text."}, http.StatusOK, nil)
	e.srv.mustDo("POST", "/api/chats/"+a.User.ID+"/messages", b.Token, map[string]any{"body": "Hello ada"}, http.StatusCreated, nil)
	e.srv.mustDo("POST", "/api/rooms/lobby/join", b.Token, nil, http.StatusNoContent, nil)
	e.srv.mustDo("POST", "/api/rooms/lobby/messages", b.Token, map[string]any{"body": "Hi room"}, http.StatusCreated, nil)
	e.srv.mustDo("POST", "/api/posts/"+postID+"/flag", b.Token, map[string]any{"reason": "Spam"}, http.StatusCreated, nil)

	guest, ada := e.newTab("guest"), e.newTab("ada")
	ada.signIn("ada")
	type view struct {
		name, path, view, ready string
		tab                     *tab
		then                    func(*tab)
	}
	views := []view{
		{"signin", "/signin", "signin", `!!document.getElementById('signin-form')`, guest, nil},
		{"signup", "/signup", "signup", `!!document.getElementById('signup-form')`, guest, nil},
		{"feed-guest", "/", "feed", `document.querySelectorAll('#feed article.post-card').length === 1`, guest, nil},
		{"feed", "/", "feed", `document.querySelectorAll('#feed article.post-card').length === 1`, ada, nil},
		{"post", "/posts/" + postID, "post", `document.querySelectorAll('#comments .comment[data-id]').length === 1`, ada, func(p *tab) {
			p.click(`#post-history-toggle`)
			p.waitJS("the history", `document.querySelectorAll('#post-history .revision').length === 2`)
		}},
		{"new", "/new-topic", "new", `!!document.getElementById('post-form')`, ada, nil},
		{"profile", "/users/" + a.User.ID + "?tab=liked", "profile", `document.getElementById('tab-liked')?.getAttribute('aria-selected') === 'true'`, ada, nil},
		{"chat", "/chat/" + b.User.ID, "chat", `document.querySelectorAll('#messages .message[data-id]').length === 1`, ada, nil},
		{"rooms", "/rooms", "rooms", `document.querySelectorAll('#all-rooms .room').length >= 1`, ada, nil},
		{"room", "/rooms/lobby", "room", `document.querySelectorAll('#room-messages .message[data-id]').length === 1 && document.querySelectorAll('#room-members .member').length === 1`, ada, nil},
		{"search", "/search?q=text", "search", `document.querySelectorAll('#search-results .search-result').length >= 1`, ada, nil},
		{"settings", "/settings", "settings", `!!document.getElementById('delete-account-form')`, ada, nil},
		{"mod-queue", "/mod", "mod", `!!document.getElementById('flag-queue')`, ada, nil},
		{"mod-log", "/mod/log", "modlog", `!!document.getElementById('mod-log') || !!document.querySelector('main[data-view=modlog] .hint')`, ada, nil},
		{"bell", "/", "feed", `document.querySelectorAll('#feed article.post-card').length === 1`, ada, func(p *tab) {
			p.click(`#bell`)
			p.waitJS("the list", `document.querySelectorAll('#notifications-panel .notice').length >= 1`)
		}},
	}
	var summary []string
	for _, w := range []int64{1280, 375} {
		for _, dark := range []bool{false, true} {
			for _, v := range views {
				v.tab.setWidth(w)
				v.tab.setDark(dark)
				v.tab.open(v.path, v.view)
				v.tab.waitJS(v.name+" ready", v.ready)
				if v.then != nil {
					v.then(v.tab)
				}
				scheme := "light"
				if dark {
					scheme = "dark"
				}
				v.tab.screenshot(v.name + "-" + scheme)
				noStrayNull(v.tab)
				counts := map[string]int{}
				for _, viol := range v.tab.axe(string(source)) {
					counts[viol.Impact] += viol.Nodes
					if viol.Impact == "serious" || viol.Impact == "critical" {
						t.Errorf("%s at %d px, %s: axe %s (%s): %s, %d nodes, first %s", v.name, w, scheme, viol.ID, viol.Impact, viol.Help, viol.Nodes, viol.Target)
					}
				}
				var ids []string
				for _, viol := range v.tab.lastAxe {
					ids = append(ids, viol.ID+"("+viol.Impact+")")
				}
				summary = append(summary, fmt.Sprintf("%s %dpx %s: critical %d, serious %d, moderate %d, minor %d %s",
					v.name, w, scheme, counts["critical"], counts["serious"], counts["moderate"], counts["minor"], strings.Join(ids, " ")))
			}
		}
	}
	t.Logf("axe-core violations per view:\n%s", strings.Join(summary, "\n"))
	ada.setDark(false)
	guest.setDark(false)
}
