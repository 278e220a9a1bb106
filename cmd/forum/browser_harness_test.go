package main

// The harness of the browser tests: the real program in this process, a
// fresh one for each scenario; one headless Chromium for the test; and a tab
// per user, each in a browser context of its own so that users do not share
// cookies. Every wait polls a condition, in the page or over the API, until
// a deadline; no step waits for a fixed time.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	chromiumPath = "/usr/bin/chromium"
	// browserTestTimeout bounds each browser scenario as a whole: a guard
	// against a hang, not a measure (the longest, Accessibility, checks
	// every view light and dark with axe-core and takes most of a minute on
	// a busy machine).
	browserTestTimeout = 150 * time.Second
	// stepTimeout bounds each wait and each action in a page.
	stepTimeout = 15 * time.Second
	// screenshotDir is git-ignored: the PNGs are for people to look at.
	screenshotDir = "testdata/screenshots"
)

// chromiumFlags are the switches every test browser starts with.
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// requireChromium skips the test, loudly, when Chromium is not installed;
// under CI=true that is a failure instead.
func requireChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	msg := chromiumPath + " is missing, so the SPA is not tested in a browser: install Chromium (apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Log("!!!!!!!! SKIPPING: " + msg + " !!!!!!!!")
	t.Skip(msg)
}

// startServer runs `forum serve` in this process on a fresh data directory,
// with no NATS port and no rate limits. When the test ends it stops the
// program, as SIGINT does, checks that run returned nil, and shows the end
// of the log if the test failed.
func startServer(t testing.TB, extra ...string) *forum {
	t.Helper()
	f := startForum(t, t.TempDir(), append([]string{"--nats-listen", "off", "--rate-limits", "off"}, extra...)...)
	t.Cleanup(func() {
		if t.Failed() {
			log := f.stderr.String()
			t.Logf("the forum's log, its last 4 KiB:\n%s", log[max(0, len(log)-4096):])
		}
		f.stop()
	})
	return f
}

// signUp creates an account over the API: nickname, nickname@example.com and
// the password nickname+"-password".
func signUp(f *forum, nickname string) account {
	f.t.Helper()
	var a account
	f.mustDo("POST", "/api/signup", "", map[string]any{"nickname": nickname, "email": nickname + "@example.com", "password": password(nickname)}, http.StatusCreated, &a)
	return a
}

func password(nickname string) string { return nickname + "-password" }

// startChromium starts the headless Chromium that the scenarios of a test
// share (each user of each scenario gets a browser context of its own); it
// ends with the test.
func startChromium(t testing.TB) context.Context {
	t.Helper()
	requireChromium(t)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chromiumPath)}
	for _, name := range chromiumFlags {
		opts = append(opts, chromedp.Flag(name, true))
	}
	// The directory is made before the allocator, so it is removed after the
	// allocator's cancel has waited for Chromium to exit.
	opts = append(opts, chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return browser
}

// browserEnv is one scenario's forum, in the shared browser.
type browserEnv struct {
	t        testing.TB
	srv      *forum
	base     string          // http://host:port
	browser  context.Context // the shared Chromium
	deadline time.Time       // of the scenario
}

// newBrowserEnv starts a forum for the scenario (with any extra flags of
// forum serve); its tabs open in browser.
func newBrowserEnv(t testing.TB, browser context.Context, extra ...string) *browserEnv {
	t.Helper()
	srv := startServer(t, extra...)
	return &browserEnv{t: t, srv: srv, base: "http://" + srv.HTTP, browser: browser, deadline: time.Now().Add(browserTestTimeout)}
}

// tab is one user's tab, in a browser context of its own (its own cookies).
// It records the console's errors, exceptions and CSP violations, and fails
// the test on them when the test ends.
type tab struct {
	t    testing.TB
	name string
	base string
	ctx  context.Context

	mu       sync.Mutex
	problems []string
	marks    map[string]chan struct{}
	nextMark int
	lastAxe  []axeViolation // what the last axe run found
}

// newTab opens a tab in a new browser context.
func (e *browserEnv) newTab(name string) *tab {
	e.t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tabCtx); err != nil {
		cancelTab()
		e.t.Fatalf("%s: open a tab: %v", name, err)
	}
	// The tab exists now, so a deadline on what runs in it leaves it alone.
	ctx, cancelDeadline := context.WithDeadline(tabCtx, e.deadline)
	cancel := func() { cancelDeadline(); cancelTab() }
	p := &tab{t: e.t, name: name, base: e.base, ctx: ctx, marks: map[string]chan struct{}{}}
	messages := chromedp.Console(tabCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.note(m)
		}
	}()
	e.t.Cleanup(func() {
		p.syncConsole()
		cancel()
		<-done
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, problem := range p.problems {
			e.t.Errorf("%s: browser console: %s", name, problem)
		}
	})
	return p
}

const markPrefix = "forum-browser-test-mark-"

// note records a console message if it is a problem: an uncaught exception,
// a CSP violation, or any error but the log line of an HTTP error status
// (the app shows those to the user itself). A request for the image "x" is
// one too: only a stored XSS payload rendered as HTML would make it.
func (p *tab) note(m chromedp.ConsoleMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch, ok := p.marks[m.Text]; ok {
		close(ch)
		delete(p.marks, m.Text)
		return
	}
	text := m.String()
	if m.URL != "" {
		text += " (" + m.URL + ":" + strconv.FormatInt(m.Line+1, 10) + ")"
	}
	if m.Stack != nil {
		for _, f := range m.Stack.CallFrames {
			text += fmt.Sprintf(" <- %s:%d", f.FunctionName, f.LineNumber+1)
		}
	}
	httpStatus := m.Source == "network" && strings.HasPrefix(m.Text, "Failed to load resource: the server responded with a status of")
	// A tab the test has cut off the network (setOffline) logs every request it cannot make.
	offline := strings.Contains(m.Text, "net::ERR_INTERNET_DISCONNECTED")
	switch {
	case strings.HasSuffix(m.URL, "/x"):
		p.problems = append(p.problems, "the page requested the image x: "+text)
	case m.IsException(),
		strings.Contains(m.Text, "Content Security Policy"), strings.Contains(m.Text, "Content-Security-Policy"),
		m.Type == chromedp.ConsoleError && !httpStatus && !offline:
		p.problems = append(p.problems, text)
	}
}

// syncConsole waits until every console message written so far has been
// noted: it writes a mark and waits for it to come through.
func (p *tab) syncConsole() {
	p.mu.Lock()
	p.nextMark++
	mark := markPrefix + strconv.Itoa(p.nextMark)
	ch := make(chan struct{})
	p.marks[mark] = ch
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%q)", mark))); err != nil {
		p.t.Logf("%s: console not synced: %v", p.name, err)
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
		p.t.Logf("%s: console not synced: %v", p.name, ctx.Err())
	}
}

// do runs actions with the step timeout.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.describe())
	}
}

// eval evaluates a JavaScript expression in the tab (awaiting a promise).
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v\n%s", p.name, expr, err, p.describe())
	}
	return v
}

// js evaluates an expression and returns it converted to a string.
func (p *tab) js(expr string) string {
	p.t.Helper()
	return eval[string](p, "String("+expr+")")
}

// waitJS waits until the expression is truthy.
func (p *tab) waitJS(what, expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(stepTimeout), chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		p.t.Fatalf("%s: waiting for %s: %v\n%s", p.name, what, err, p.describe())
	}
}

// describe returns the tab's URL and the text of its page, for failures.
func (p *tab) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 2000)`))
	if err != nil {
		return "(page not readable: " + err.Error() + ")"
	}
	return "page: " + s
}

// open loads path afresh and waits for the view to be mounted.
func (p *tab) open(path, view string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.base+path))
	p.waitView(view)
}

func (p *tab) waitView(view string) {
	p.t.Helper()
	p.waitJS("the "+view+" view", fmt.Sprintf(`!!document.querySelector('main[data-view=%q]')`, view))
}

func (p *tab) waitLive() {
	p.t.Helper()
	p.waitJS("a live WebSocket", `document.getElementById('conn-state').dataset.state === 'live'`)
}

func (p *tab) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// typeInto types text into the field as a person would, key by key.
func (p *tab) typeInto(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// fill sets a field's text at once, with the input event typing would
// fire: for long text, where typing key by key only takes time.
func (p *tab) fill(sel, text string) {
	p.t.Helper()
	p.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), text))
}

// clear empties a field, as selecting its text and deleting it would.
// (chromedp.Clear empties the value attribute only, which a field that has
// been typed into no longer shows, and chromedp.SetValue reports an error
// for the empty string.)
func (p *tab) clear(sel string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.value = '';
		el.dispatchEvent(new Event('input', { bubbles: true }));
	})()`, sel))
}

// pressEnter presses Enter in the focused element as a keyboard does when
// the page cancels the keydown: a key down and a key up with no character.
// (chromedp.SendKeys sends a character event too, which types a new line
// that a real Enter with its keydown cancelled would not.)
func (p *tab) pressEnter() {
	p.t.Helper()
	p.do("press Enter", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			}); err != nil {
				return fmt.Errorf("enter: %w", err)
			}
		}
		return nil
	}))
}

// signIn signs in through the form and waits for the feed.
func (p *tab) signIn(nickname string) {
	p.t.Helper()
	p.open("/signin", "signin")
	p.typeInto(`#signin-form [name=login]`, nickname)
	p.typeInto(`#signin-form [name=password]`, password(nickname))
	p.click(`#signin-form button[type=submit]`)
	p.waitView("feed")
	p.waitJS("the signed-in header", fmt.Sprintf(`document.querySelector('#account .me')?.textContent === %q`, nickname))
}

// count is the number of elements sel matches.
func (p *tab) count(sel string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// ids returns the data-id attributes of the elements sel matches, in order.
func (p *tab) ids(sel string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((el) => el.dataset.id)`, sel))
}

// text returns the text content of the first element sel matches.
func (p *tab) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? '(no element)'`, sel))
}

// setWidth sets the viewport to width × 800 px; it holds across navigations.
func (p *tab) setWidth(width int64) {
	p.t.Helper()
	p.do("set the viewport", chromedp.EmulateViewport(width, 800))
}

// screenshot saves a full-page PNG of the tab as
// testdata/screenshots/name-width.png, after checking that the page is as
// wide as the viewport (no sideways scrolling).
func (p *tab) screenshot(name string) {
	p.t.Helper()
	// Let the layout settle: two animation frames.
	width := eval[int64](p, `new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(innerWidth))))`)
	if over := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
		// Name the elements that reach past the edge outside any container that scrolls by itself.
		wide := eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('body *')].filter((e) => {
			if (e.getBoundingClientRect().right <= %d + 1) return false;
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return false;
			return true;
		}).slice(0, 5).map((e) => e.tagName + '.' + e.className).join(', ')`, width))
		p.t.Errorf("%s: %s at %d px scrolls sideways by %d px (too wide: %s)", p.name, name, width, over, wide)
	}
	// The whole page, as wide as the viewport. (chromedp.FullScreenshot clips
	// to the width left beside a vertical scroll bar while Chrome lays the
	// page out without one, which cuts off its right edge.)
	height := eval[float64](p, `document.documentElement.scrollHeight`)
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			Clip:                  &page.Viewport{Width: float64(width), Height: height, Scale: 1},
		})
		return res.Data, err
	})
	if err != nil {
		p.t.Fatalf("%s: screenshot %s: %v", p.name, name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	file := filepath.Join(screenshotDir, fmt.Sprintf("%s-%d.png", name, width))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// allMessages pages through GET /api/chats/{peer}/messages and returns the
// ids of the whole conversation.
func allMessages(f *forum, token, peer string) []string {
	f.t.Helper()
	var ids []string
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next *string `json:"next"`
		}
		path := "/api/chats/" + peer + "/messages?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		f.mustDo("GET", path, token, nil, http.StatusOK, &page)
		for _, m := range page.Items {
			ids = append(ids, m.ID)
		}
		if page.Next == nil || *page.Next == "" {
			return ids
		}
		cursor = *page.Next
	}
}

// sameSet reports whether got holds each of want exactly once and nothing else.
func sameSet(got, want []string) error {
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	var errs []error
	for id, n := range seen {
		if n > 1 {
			errs = append(errs, fmt.Errorf("%s shown %d times", id, n))
		}
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		if seen[id] == 0 {
			errs = append(errs, fmt.Errorf("%s missing", id))
		}
	}
	for id := range seen {
		if !wanted[id] {
			errs = append(errs, fmt.Errorf("%s not expected", id))
		}
	}
	return errors.Join(errs...)
}

// noStrayNull checks that no "null" or "undefined" text (a missing element
// passed to append) shows in the page.
func noStrayNull(p *tab) {
	p.t.Helper()
	if got := p.js(`[...document.querySelectorAll('body *')].filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && /^(null|undefined)$/.test(n.textContent.trim()))).map((e) => e.tagName + '.' + e.className).join(', ')`); got != "" {
		p.t.Errorf("%s: stray null or undefined text in %s", p.name, got)
	}
}

// menuPick opens the menu of the menu button sel as a reader does and
// picks its item item (a selector of the page), once it shows.
func (p *tab) menuPick(sel, item string) {
	p.t.Helper()
	p.click(sel)
	p.waitJS("the menu open on "+item, fmt.Sprintf(`(() => {
		const b = document.querySelector(%q), i = document.querySelector(%q);
		return b?.getAttribute('aria-expanded') === 'true' && i !== null && i.offsetParent !== null;
	})()`, sel, item))
	p.click(item)
}

// axeClean fails the test on every serious or critical axe violation of p's
// page as it is, what naming it. Without axe-core the check is skipped
// loudly, and fails under CI.
func axeClean(t *testing.T, p *tab, what string) {
	t.Helper()
	source, err := os.ReadFile(axePath)
	if err != nil {
		msg := fmt.Sprintf("axe-core is missing (%s), so %s is not checked: npm install --prefix cmd/forum/testdata/axe axe-core", axePath, what)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log("!!!!!!!! SKIPPING: " + msg + " !!!!!!!!")
		t.Skip(msg)
	}
	for _, v := range p.axe(string(source)) {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s (%s): %s, %d nodes, first %s", what, v.ID, v.Impact, v.Help, v.Nodes, v.Target)
		}
	}
}
