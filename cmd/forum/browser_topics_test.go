package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBrowserTopics runs the topic list's scenarios: the sort tabs, locks,
// and the density of the list.
func TestBrowserTopics(t *testing.T) {
	browser := startChromium(t)
	for _, sc := range []struct {
		name  string
		run   func(*testing.T, *browserEnv)
		flags []string
	}{
		{"Tabs", browserTopicTabs, nil},
		{"Lock", browserLock, []string{"--admins", "boss"}},
		{"Density", browserTopicDensity, nil},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, newBrowserEnv(t, browser, sc.flags...)) })
	}
}

// feedOrder is the ids of the rows of the feed, top first.
const feedOrder = `[...document.querySelectorAll('#feed article.post-card')].map((el) => el.dataset.id).join(',')`

// The front page opens on Latest (last activity first); New and Top are
// tabs with their own URLs, Top with a period picker, and a category has
// the same tabs under its path.
func browserTopicTabs(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	old := createPost(e.srv, a.Token, "An old question", "Who knows?", "general")
	liked := createPost(e.srv, a.Token, "A liked answer", "Everyone agrees.", "help")
	fresh := createPost(e.srv, b.Token, "Fresh news", "Something new.", "general")
	e.srv.mustDo("POST", "/api/posts/"+old+"/comments", b.Token, map[string]any{"body": "Me!"}, http.StatusCreated, nil)
	e.srv.mustDo("PUT", "/api/posts/"+liked+"/vote", b.Token, map[string]any{"value": 1}, http.StatusOK, nil)
	bob := e.newTab("bob")
	bob.signIn("bob")

	bob.open("/", "feed")
	bob.waitJS("latest first: the commented post on top", fmt.Sprintf(`%s === %q`, feedOrder, strings.Join([]string{old, fresh, liked}, ",")))
	if got := bob.js(`document.querySelector('.sort-tabs [aria-current=page]').id`); got != "sort-latest" {
		t.Errorf("the current tab on the front page is %q, want sort-latest", got)
	}
	if got := bob.text(`#feed article.post-card[data-id="` + old + `"] .participants`); !strings.Contains(got, "ada") || !strings.Contains(got, "bob") {
		t.Errorf("the commented post's participants say %q", got)
	}
	axeClean(t, bob, "the latest tab")

	bob.click(`#sort-new`)
	bob.waitJS("the new tab", fmt.Sprintf(`location.pathname === '/new' && %s === %q`, feedOrder, strings.Join([]string{fresh, liked, old}, ",")))
	if got := bob.js(`[...document.querySelectorAll('.sort-tabs a')].map((a) => a.textContent).join(' · ')`); got != "Latest · New · Top" {
		t.Errorf("the tabs say %q", got)
	}
	// The New tab's old address shows it under its name.
	bob.open("/newest", "feed")
	bob.waitJS("/newest replaced by /new", `location.pathname === '/new' && document.querySelector('.sort-tabs [aria-current=page]')?.id === 'sort-new'`)
	bob.click(`#sort-top`)
	bob.waitJS("the top tab", fmt.Sprintf(`location.pathname === '/top' && %s.startsWith(%q)`, feedOrder, liked))
	bob.waitJS("the period picker", `document.querySelector('.period-picker [aria-current=page]')?.id === 'period-all'`)
	bob.click(`#period-week`)
	bob.waitJS("the top of the week", fmt.Sprintf(`location.search === '?period=week' && document.querySelector('.period-picker [aria-current=page]')?.id === 'period-week' && %s.startsWith(%q)`, feedOrder, liked))
	axeClean(t, bob, "the top tab")

	// A category keeps the tab: its link goes to the same sort there.
	bob.click(`.category-list a[href="/c/general/top"]`)
	bob.waitJS("general's top", fmt.Sprintf(`location.pathname === '/c/general/top' && %s === %q`, feedOrder, strings.Join([]string{fresh, old}, ",")))
	bob.click(`#sort-latest`)
	bob.waitJS("general's latest", fmt.Sprintf(`location.pathname === '/c/general/latest' && %s === %q`, feedOrder, strings.Join([]string{old, fresh}, ",")))

	// On Latest, a new comment brings its post to the top, live.
	bob.open("/latest", "feed")
	bob.waitLive()
	e.srv.mustDo("POST", "/api/posts/"+liked+"/comments", a.Token, map[string]any{"body": "Indeed."}, http.StatusCreated, nil)
	bob.waitJS("the commented post on top, live", fmt.Sprintf(`%s.startsWith(%q)`, feedOrder, liked))
}

// A moderator locks a post from its page: a member's open page loses the
// comment box for "This topic is locked", live, and the feed shows the
// lock; nobody comments then, the moderator neither, until they unlock.
func browserLock(t *testing.T, e *browserEnv) {
	signUp(e.srv, "boss")
	a := signUp(e.srv, "ann")
	id := createPost(e.srv, a.Token, "A heated debate", "Opinions.", "general")
	e.srv.mustDo("POST", "/api/posts/"+id+"/comments", a.Token, map[string]any{"body": "My opinion."}, http.StatusCreated, nil)
	ann, boss := e.newTab("ann"), e.newTab("boss")
	ann.signIn("ann")
	boss.signIn("boss")

	ann.open("/posts/"+id, "post")
	ann.waitLive()
	ann.waitJS("the comment box", `document.getElementById('comment-form')?.hidden === false && document.getElementById('post-locked-note')?.hidden === true`)
	// The post's category is named as the sidebar names it, not by its slug.
	ann.waitJS("the category named", `document.querySelector('ul.tags a')?.textContent === 'General'`)
	if ann.count(`#mod-lock, #mod-unlock`) != 0 {
		t.Error("a member is offered to lock")
	}
	boss.open("/posts/"+id, "post")
	boss.menuPick(`#mod-menu`, `#mod-lock`)
	boss.waitJS("the post locked", `!!document.getElementById('post-locked') && !!document.getElementById('mod-unlock')`)
	ann.waitJS("the box gone for the note, live", `document.getElementById('comment-form')?.hidden === true && document.getElementById('post-locked-note')?.hidden === false
		&& document.getElementById('post-locked-note')?.textContent.includes('This topic is locked') && !!document.getElementById('post-locked')`)
	axeClean(t, ann, "a locked post")
	// The moderator has the note, not the box: they unlock to comment.
	boss.waitJS("the moderator's note, no box", `document.getElementById('comment-form')?.hidden === true && document.getElementById('post-locked-note')?.hidden === false`)
	// Reply and Quote would write into the box nobody has: they are gone, live. (Quote is in each comment's
	// "…" menu: offered is what shows once the menu opens.)
	const replyShown = `[...document.querySelectorAll('#comments .reply-comment, #comments .quote-comment')].filter((b) => getComputedStyle(b).display !== 'none').length`
	ann.waitJS("no Reply or Quote on a locked post", replyShown+` === 0 && document.querySelectorAll('#comments .reply-comment').length === 1`)
	boss.waitJS("no Reply or Quote for the moderator either", replyShown+` === 0`)

	ann.open("/", "feed")
	ann.waitJS("the lock in the list", fmt.Sprintf(`!!document.querySelector('#feed article.post-card[data-id=%q] .locked-badge')`, id))
	boss.menuPick(`#mod-menu`, `#mod-unlock`)
	ann.waitJS("the lock gone from the list, live", fmt.Sprintf(`!document.querySelector('#feed article.post-card[data-id=%q] .locked-badge')`, id))
	ann.open("/posts/"+id, "post")
	ann.waitJS("the comment box back", `document.getElementById('comment-form')?.hidden === false && !document.getElementById('post-locked')`)
	ann.waitJS("Reply and Quote back", replyShown+` === 2`)
}

// inViewport counts the topic rows whose whole box lies in the viewport.
const inViewport = `[...document.querySelectorAll('#feed article.post-card')].filter((el) => {
	const r = el.getBoundingClientRect();
	return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
}).length`

// rowsOverlapping is the JS of the rows whose participants overlap their counts.
const rowsOverlapping = `[...document.querySelectorAll('#feed article.post-card')].filter((row) => {
	const stats = row.querySelector('.post-stats').getBoundingClientRect();
	return [...row.querySelectorAll('.participants .avatar')].some((a) => {
		const r = a.getBoundingClientRect();
		return r.right > stats.left && r.left < stats.right && r.bottom > stats.top && r.top < stats.bottom;
	});
}).length`

// categoryLook is the JS of the feed's categories as shown: every category's
// sidebar colour, and the words of the rows' category links.
const categoryLook = `JSON.stringify({
	sidebar: [...document.querySelectorAll('.category-list a[href^="/c/"] .cat-dot')].map((d) => getComputedStyle(d).backgroundColor),
	rows: [...new Set([...document.querySelectorAll('#feed .cat-link')].map((a) => a.textContent))].sort(),
	rowColours: Object.fromEntries([...document.querySelectorAll('#feed .cat-link')].map((a) => [a.textContent, getComputedStyle(a.querySelector('.cat-dot')).backgroundColor])),
})`

// The list is dense: at 1280 × 800 at least 9 topics show whole in the
// first screen, at 375 px the first one does; five participants fit beside
// the counts; categories show by name, each in a colour of its own, in the
// rows and the sidebar; axe passes at both widths.
func browserTopicDensity(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ada"), signUp(e.srv, "bob")
	busy := createPost(e.srv, a.Token, "A busy topic", "Everyone came.", "general")
	for _, name := range []string{"cat", "dan", "eve", "fay"} {
		e.srv.mustDo("POST", "/api/posts/"+busy+"/comments", signUp(e.srv, name).Token, map[string]any{"body": "Me too."}, http.StatusCreated, nil)
	}
	e.srv.mustDo("POST", "/api/posts/"+busy+"/comments", b.Token, map[string]any{"body": "And me."}, http.StatusCreated, nil)
	for i := range 25 {
		id := createPost(e.srv, a.Token, fmt.Sprintf("Topic number %d about something worth a longer title", i),
			"A body with **some** words, long enough to make an excerpt that runs on past the width of the row.", []string{"general", "help", "development"}[i%3])
		if i%2 == 0 {
			e.srv.mustDo("POST", "/api/posts/"+id+"/comments", b.Token, map[string]any{"body": "A reply."}, http.StatusCreated, nil)
		}
	}
	ada := e.newTab("ada")
	ada.signIn("ada")
	for _, w := range []int64{1280, 375} {
		ada.setWidth(w)
		ada.open("/", "feed")
		ada.waitJS("the first page", `document.querySelectorAll('#feed article.post-card').length === 20`)
		n := eval[int](ada, inViewport)
		t.Logf("at %d × 800: %d topics whole in the first screen", w, n)
		ada.screenshot(fmt.Sprintf("topics-%d", w))
		switch {
		case w == 1280 && n < 9:
			t.Errorf("at 1280 × 800, %d topics show whole in the first screen, want at least 9", n)
		case w == 375 && n < 1:
			t.Errorf("at 375 × 800 the first topic does not show whole")
		}
		axeClean(t, ada, fmt.Sprintf("the topic list at %d px", w))
		if n := eval[int](ada, rowsOverlapping); n != 0 {
			t.Errorf("at %d px, %d rows have participants over their counts", w, n)
		}
	}
	ada.open("/c/general", "feed")
	ada.waitJS("the busy topic's five participants", fmt.Sprintf(`document.querySelectorAll('#feed article.post-card[data-id=%q] .participants li').length === 5`, busy))
	if n := eval[int](ada, rowsOverlapping); n != 0 {
		t.Errorf("at 375 px, %d rows of general have participants over their counts", n)
	}
	ada.setWidth(1280)
	ada.open("/", "feed")
	ada.waitJS("the first page", `document.querySelectorAll('#feed article.post-card').length === 20`)
	if n := eval[int](ada, rowsOverlapping); n != 0 {
		t.Errorf("at 1280 px, %d rows have participants over their counts", n)
	}
	var look struct {
		Sidebar    []string
		Rows       []string
		RowColours map[string]string
	}
	if err := json.Unmarshal([]byte(eval[string](ada, categoryLook)), &look); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range look.Sidebar {
		if seen[c] || c == "" || c == "rgba(0, 0, 0, 0)" {
			t.Errorf("the sidebar's category colours repeat or are missing: %v", look.Sidebar)
			break
		}
		seen[c] = true
	}
	if n := ada.count(`.category-list a[href^="/c/"]`); n < 7 || len(look.Sidebar) != n {
		t.Errorf("the sidebar shows %d category colours, want every category's", len(look.Sidebar))
	}
	if want := []string{"Development", "General", "Help & Questions"}; fmt.Sprint(look.Rows) != fmt.Sprint(want) {
		t.Errorf("the rows name their categories %q, want %q", look.Rows, want)
	}
	if look.RowColours["General"] == look.RowColours["Help & Questions"] || look.RowColours["General"] == look.RowColours["Development"] {
		t.Errorf("categories share a colour in the rows: %v", look.RowColours)
	}
	ada.screenshot("topics-categories")
}
