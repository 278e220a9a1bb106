package main

import (
	"fmt"
	"strings"
	"testing"
)

// chooseLevel picks level in the watch control sel as a reader does (opens
// its menu, picks the level whose line says says) and waits until it is
// stored (the button says the level and its menu is closed).
func chooseLevel(p *tab, sel, level, says string) {
	p.t.Helper()
	p.waitJS("the watch control", fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	p.click(sel)
	item := fmt.Sprintf("%s-%s", sel, level)
	p.waitJS("the watch menu open, explaining "+level, fmt.Sprintf(`(() => {
		const b = document.querySelector(%q), m = document.getElementById(b.getAttribute('aria-controls'));
		const r = m.getBoundingClientRect();
		return b.getAttribute('aria-expanded') === 'true' && !m.hidden && r.left >= 0 && r.right <= document.documentElement.clientWidth &&
			document.querySelector(%q)?.textContent.includes(%q);
	})()`, sel, item, says))
	p.click(item)
	p.waitJS(level+" stored", fmt.Sprintf(`(() => {
		const b = document.querySelector(%q);
		return b.dataset.level === %q && !b.hasAttribute('aria-busy') && b.getAttribute('aria-expanded') === 'false' &&
			document.querySelector(%q).getAttribute('aria-checked') === 'true';
	})()`, sel, level, item))
}

// Bookmarks and watch levels in the browser: ann bookmarks a post from its
// page and finds it on her Bookmarks page, reached from the header; she
// watches a category from its page and a new post there lights her bell
// live; she mutes a post from its page and it leaves her feed, and a
// category, whose new posts her open feed does not offer. axe finds
// nothing serious on the Bookmarks page and the post's controls.
func browserMarks(t *testing.T, e *browserEnv) {
	signUp(e.srv, "ann")
	b := signUp(e.srv, "bob")
	keep := createPost(e.srv, b.Token, "Keep this", "Worth finding again.", "general")
	mute := createPost(e.srv, b.Token, "Mute this", "Noise.", "general")
	ann := e.newTab("ann")
	ann.signIn("ann")

	ann.open("/posts/"+keep, "post")
	ann.waitJS("the bookmark toggle, not pressed", `document.getElementById('bookmark-post')?.getAttribute('aria-pressed') === 'false'`)
	ann.click(`#bookmark-post`)
	ann.waitJS("the bookmark pressed", `document.getElementById('bookmark-post').getAttribute('aria-pressed') === 'true'`)
	ann.click(`#account .bookmarks-link`)
	ann.waitView("bookmarks")
	ann.waitJS("the bookmarked post listed, pressed", fmt.Sprintf(
		`document.querySelector('#bookmarks article.post-card[data-id=%q] .bookmark-toggle')?.getAttribute('aria-pressed') === 'true'`, keep))
	if got := ann.ids(`#bookmarks article.post-card`); len(got) != 1 {
		t.Errorf("the bookmarks page lists %v, want the one post", got)
	}
	axeClean(t, ann, "the bookmarks page")

	// Watching a category: a new post there tells her, live.
	ann.open("/c/help", "feed")
	ann.waitLive()
	chooseLevel(ann, "#watch-category", "watching", "every new post")
	createPost(e.srv, b.Token, "Fresh help", "A question.", "help")
	ann.waitJS("the bell counts the new post", `document.querySelector('#bell .unread')?.textContent === '1'`)
	ann.click(`#bell`)
	ann.waitJS("the notification listed", `document.querySelectorAll('#notifications-panel .notice').length === 1`)
	if got := ann.text(`#notifications-panel .notice a`); !strings.HasPrefix(got, "bob posted in a category you watch: A question.") {
		t.Errorf("the notification says %q", got)
	}

	// Muting a post: it leaves her feed.
	ann.open("/posts/"+mute, "post")
	ann.waitJS("the post's watch control, at normal", `document.getElementById('watch-post')?.dataset.level === 'normal'`)
	chooseLevel(ann, "#watch-post", "muted", "leaves your lists")
	axeClean(t, ann, "the post with its watch control")
	ann.open("/", "feed")
	ann.waitJS("the feed loaded", fmt.Sprintf(`!!document.querySelector('#feed article.post-card[data-id=%q]')`, keep))
	if ann.count(fmt.Sprintf(`#feed article.post-card[data-id=%q]`, mute)) != 0 {
		t.Error("the muted post is still in her feed")
	}

	// On a phone the header keeps the search box wide: her own pages are in the
	// account menu, and the watch control is one short line.
	ann.setWidth(375)
	ann.open("/c/general", "feed")
	ann.waitJS("the compact watch control", `!!document.getElementById('watch-category')`)
	ann.waitJS("the search box wide, Bookmarks in the menu not the header", `(() => {
		const search = document.querySelector('.site-search input').getBoundingClientRect();
		const link = document.querySelector('#account .bookmarks-link');
		return search.width >= 100 && (!link || link.offsetWidth === 0);
	})()`)
	if h := eval[float64](ann, `document.getElementById('watch-category').closest('.watch-control').getBoundingClientRect().height`); h > 44 {
		t.Errorf("the watch control is %.0f px tall at 375 px, want one line", h)
	}
	ann.screenshot("marks-phone")
	ann.click(`#account .account-menu .menu-button`)
	ann.waitJS("the account menu open inside the page", `(() => {
		const m = document.querySelector('#account .account-menu .menu'), r = m.getBoundingClientRect();
		return !m.hidden && r.left >= 0 && r.right <= document.documentElement.clientWidth && m.textContent.includes('Bookmarks') &&
			document.activeElement === m.querySelector('[role=menuitem]');
	})()`)
	ann.pressKey("ArrowDown", "ArrowDown", 40, "")
	ann.waitJS("Bookmarks focused", `document.activeElement?.textContent === 'Bookmarks'`)
	ann.pressKey("Enter", "Enter", 13, "\r")
	ann.waitView("bookmarks")
	ann.setWidth(1280)

	// Muting a category: its new posts are not offered on her open feed.
	ann.open("/c/showcase", "feed")
	chooseLevel(ann, "#watch-category", "muted", "leave your feed")
	ann.open("/", "feed")
	ann.waitLive()
	createPost(e.srv, b.Token, "Showing off", "Look.", "showcase")
	general := createPost(e.srv, b.Token, "General news", "Read.", "general")
	ann.waitJS("one new post offered", `document.getElementById('new-posts-banner')?.textContent.includes('1 new post')`)
	ann.click(`#new-posts-banner`)
	ann.waitJS("the general post on top", fmt.Sprintf(`document.querySelector('#feed article.post-card')?.dataset.id === %q`, general))
	if got := ann.js(`document.getElementById('feed').textContent.includes('Showing off')`); got != "false" {
		t.Error("the post of the muted category shows on her feed")
	}
}
