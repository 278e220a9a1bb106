package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TestBrowserMedia runs the scenarios of pictures in the app: pasting,
// dropping and attaching them in every editor, their errors, the picture
// shown large, and avatars.
func TestBrowserMedia(t *testing.T) {
	browser := startChromium(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *browserEnv)
	}{
		{"PastePost", browserPastePicture},
		{"DropAndErrors", browserDropPictures},
		{"Chat", browserChatPicture},
		{"Avatar", browserAvatar},
		{"RichTextAgrees", browserRichTextAgrees},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, newBrowserEnv(t, browser)) })
	}
}

// noisePNG returns a w × h PNG of random pixels (so it does not compress:
// about 4 bytes a pixel, enough for an upload to report its progress).
func noisePNG(t *testing.T, w, h int, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fileJS is a file for the page: its name, type and bytes.
type fileJS struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Data []byte `json:"data"` // base64 in JSON
}

// dispatchFiles builds, in the page, a DataTransfer carrying files made of
// the given bytes and dispatches on the element sel, once it shows, a
// paste (a ClipboardEvent) or a drop (a DragEvent, after its dragover) with
// it, as the browser does when a person pastes or drops them.
func dispatchFiles(p *tab, sel, kind string, files ...fileJS) {
	p.t.Helper()
	p.waitJS(sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	list, err := json.Marshal(files)
	if err != nil {
		p.t.Fatal(err)
	}
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.focus();
		const dt = new DataTransfer();
		for (const f of %s) dt.items.add(new File([Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
		if (%q === 'paste') {
			el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
		} else {
			el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
			el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
		}
	})()`, sel, list, kind))
}

// recordProgress makes the page note, from now on, the highest value each
// progress bar reached, by its accessible label (window.progressSeen), and
// every toast shown (window.toastsSeen: the test's log names them if it
// fails, as they go by themselves).
func recordProgress(p *tab) {
	p.t.Helper()
	eval[chromedp.Void](p, `(() => {
		window.progressSeen = {};
		window.toastsSeen = [];
		const note = (records) => {
			for (const b of document.querySelectorAll('progress')) {
				const label = b.getAttribute('aria-label');
				window.progressSeen[label] = Math.max(window.progressSeen[label] ?? -1, Number(b.getAttribute('value') ?? -1));
			}
			for (const r of records) for (const n of r.addedNodes) if (n.classList?.contains('toast')) window.toastsSeen.push(n.textContent);
		};
		new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
	})()`)
	p.t.Cleanup(func() {
		if p.t.Failed() {
			p.t.Logf("%s: toasts shown: %s", p.name, p.js(`JSON.stringify(window.toastsSeen ?? null)`))
		}
	})
}

var mediaMarkdown = regexp.MustCompile(`^!\[gopher\]\(/media/[0-9a-z]{26}\)$`)

// A picture pasted into the new-topic editor shows its progress, takes its
// place at the caret as Markdown, shows in the preview and, once
// published, in the post with its width and height; a click opens it large
// (Escape closes it, the focus goes back), a click outside closes it too.
// Tables render and a picture of another site stays a link; the feed's
// excerpt says their alt text. The editor (with an upload on its way, sent
// slowly), the post and the open picture (light and dark) are axe-clean
// and fit 375 px (the post and the open picture 1280 px too).
func browserPastePicture(t *testing.T, e *browserEnv) {
	signUp(e.srv, "ann")
	ann := e.newTab("ann")
	ann.signIn("ann")
	ann.setWidth(375)
	ann.open("/new-topic", "new")
	ann.typeInto(`#post-form [name=title]`, "A gopher")
	ann.typeInto(`#post-form textarea`, "Look:\n")
	recordProgress(ann)
	pic := noisePNG(t, 400, 300, 1)
	// Uploads at 100 kB/s: the picture (about 480 kB) takes seconds, and shows its progress meanwhile.
	ann.throttleUploads(100_000)
	dispatchFiles(ann, `#post-form textarea`, "paste", fileJS{Name: "gopher.png", Type: "image/png", Data: pic})
	ann.waitJS("the placeholder at the caret, the progress on its way", `(() => {
		const bar = document.querySelector('#post-form .upload-list progress[aria-label="Uploading gopher"]');
		return document.querySelector('#post-form textarea').value === 'Look:\n![Uploading gopher…]()\n' && bar?.value > 0 && bar.value < 1;
	})()`)
	axeClean(t, ann, "the editor with an upload on its way")
	ann.throttleUploads(-1)
	ann.waitJS("the picture's Markdown in place of the placeholder", `/^Look:\n!\[gopher\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('#post-form textarea').value)`)
	if got := ann.js(`window.progressSeen['Uploading gopher']`); got != "1" {
		t.Errorf("the progress bar labelled 'Uploading gopher' reached %s, want 1 (full)", got)
	}
	ann.waitJS("the list of uploads hidden once done", `document.querySelector('#post-form .upload-list').hidden`)
	line := eval[string](ann, `document.querySelector('#post-form textarea').value.split('\n')[1]`)
	if !mediaMarkdown.MatchString(line) {
		t.Fatalf("the inserted line is %q", line)
	}
	mediaURL := line[len("![gopher](") : len(line)-1]

	// A table, and a picture of another site, rendered as the server does.
	ann.js(`(() => {
		const ta = document.querySelector('#post-form textarea');
		ta.setRangeText('| Left | Centre |\n|:-----|:------:|\n| a | b |\n\n![a cat](https://example.com/cat.png)\n', ta.value.length, ta.value.length, 'end');
		ta.dispatchEvent(new Event('input', { bubbles: true }));
	})()`)
	ann.click(`#post-form .composer-toggle`)
	ann.waitJS("the picture in the preview", fmt.Sprintf(`(() => {
		const img = document.querySelector('#post-form .composer-preview img');
		return img?.getAttribute('src') === %q && img.getAttribute('width') === '400' && img.complete && img.naturalWidth === 400;
	})()`, mediaURL))
	axeClean(t, ann, "the editor with its preview")
	ann.screenshot("media-editor")
	ann.click(`#post-form .composer-toggle`)
	ann.click(`#post-form input[name=categories][value=general]`)
	ann.click(`#post-form button[type=submit]`)
	ann.waitView("post")

	ann.waitJS("the picture in the post, its size given, loaded", fmt.Sprintf(`(() => {
		const img = document.querySelector('#post-body a.picture-link img');
		return img?.getAttribute('src') === %q && img.getAttribute('alt') === 'gopher' && img.getAttribute('width') === '400' &&
			img.getAttribute('height') === '300' && img.getAttribute('loading') === 'lazy' && img.complete && img.naturalWidth === 400;
	})()`, mediaURL))
	ann.waitJS("the table, its alignment kept", `document.querySelector('#post-body table th[align="center"]')?.textContent === 'Centre' && document.querySelectorAll('#post-body td').length === 2`)
	if got := ann.js(`[...document.querySelectorAll('#post-body img')].map((i) => i.getAttribute('src')).join(' ')`); got != mediaURL {
		t.Errorf("the post shows the images %q, want only %q", got, mediaURL)
	}
	if got := ann.js(`[...document.querySelectorAll('#post-body a')].find((a) => a.textContent === 'a cat')?.getAttribute('href')`); got != "https://example.com/cat.png" {
		t.Errorf("the picture of another site shows as a link to %q, want its address", got)
	}
	if got := ann.js(`document.querySelector('#post-body img').getBoundingClientRect().width <= document.querySelector('#post-body').clientWidth`); got != "true" {
		t.Errorf("the picture is wider than the post at 375 px")
	}
	ann.screenshot("media-post")

	// Large: a click opens it, focus inside; Escape closes, focus back.
	ann.click(`#post-body a.picture-link`)
	ann.waitJS("the picture shown large", fmt.Sprintf(`(() => {
		const d = document.getElementById('lightbox');
		return d?.open && d.querySelector('img').getAttribute('src') === %q && d.querySelector('img').naturalWidth === 400 &&
			d.querySelector('figcaption').textContent === 'gopher' && d.contains(document.activeElement) &&
			document.getElementById(d.getAttribute('aria-labelledby'))?.textContent === 'gopher';
	})()`, mediaURL))
	if got := ann.js(`location.pathname.startsWith('/posts/')`); got != "true" {
		t.Errorf("the click on the picture left the post for %s", ann.js(`location.pathname`))
	}
	axeClean(t, ann, "the picture shown large")
	ann.screenshot("media-lightbox")
	ann.setDark(true)
	axeClean(t, ann, "the picture shown large, dark")
	ann.screenshot("media-lightbox-dark")
	ann.setDark(false)
	ann.pressKey("Escape", "Escape", 27, "")
	ann.waitJS("the picture closed, the focus back on it", `!document.getElementById('lightbox').open && document.activeElement === document.querySelector('#post-body a.picture-link')`)
	// Enter on the focused picture opens it again; a click outside closes it.
	ann.pressKey("Enter", "Enter", 13, "\r")
	ann.waitJS("the picture open again from the keyboard", `document.getElementById('lightbox').open`)
	ann.do("click outside the picture", chromedp.MouseClickXY(2, 2))
	ann.waitJS("the picture closed by a click outside", `!document.getElementById('lightbox').open`)
	axeClean(t, ann, "a post with a picture and a table")
	noStrayNull(ann)
	ann.setWidth(1280)
	ann.click(`#post-body a.picture-link`)
	ann.waitJS("the picture shown large on a wide screen", `document.getElementById('lightbox').open`)
	ann.screenshot("media-lightbox")
	ann.pressKey("Escape", "Escape", 27, "")
	ann.waitJS("the picture closed", `!document.getElementById('lightbox').open`)
	ann.screenshot("media-post")

	// The feed's excerpt names the picture by its alt text, not its address.
	ann.open("/", "feed")
	ann.waitJS("the excerpt in words", `(() => {
		const x = document.querySelector('#feed .topic-excerpt')?.textContent ?? '';
		return x.includes('Look: gopher') && x.includes('a cat') && !x.includes('/media/') && !x.includes('https://');
	})()`)
}

// Two pictures dropped on the comment box at once both go up and both show
// in the comment; a PNG named .jpg goes up as a PNG; a file that is not a
// picture, attached with the button, is refused in plain words, and so is
// one that says it is a PNG and is not, each leaving no placeholder behind,
// and one over
// 10 MiB; a form is not sent while a picture is on its way, which Cancel
// takes out; a comment edited takes a picture too.
func browserDropPictures(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ann")
	postID := createPost(e.srv, a.Token, "Pictures below", "Drop them here.", "general")
	ann := e.newTab("ann")
	ann.signIn("ann")
	ann.open("/posts/"+postID, "post")
	box := `#comment-form textarea`
	recordProgress(ann)
	dispatchFiles(ann, box, "drop",
		fileJS{Name: "one.png", Type: "image/png", Data: noisePNG(t, 120, 80, 2)},
		fileJS{Name: "two.png", Type: "image/png", Data: noisePNG(t, 90, 60, 3)})
	ann.waitJS("both pictures' Markdown in the box", `/^!\[one\]\(\/media\/[0-9a-z]{26}\)\n!\[two\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('#comment-form textarea').value)`)
	for _, label := range []string{"Uploading one", "Uploading two"} {
		if got := ann.js(fmt.Sprintf(`window.progressSeen[%q]`, label)); got != "1" {
			t.Errorf("the progress bar %q reached %s, want 1", label, got)
		}
	}
	ann.click(`#comment-form button[type=submit]`)
	ann.waitJS("the comment with both pictures", `(() => {
		const imgs = [...document.querySelectorAll('#comments .comment-body img')];
		return imgs.length === 2 && imgs[0].getAttribute('width') === '120' && imgs[1].getAttribute('height') === '60' && imgs.every((i) => i.complete && i.naturalWidth > 0);
	})()`)

	// A PNG saved as .jpg (given the name's type) goes up as what its bytes
	// say and is stored.
	dispatchFiles(ann, box, "paste", fileJS{Name: "really-png.jpg", Type: "image/jpeg", Data: noisePNG(t, 40, 30, 4)})
	ann.waitJS("the PNG named .jpg stored", `/^!\[really-png\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('#comment-form textarea').value)`)
	ann.js(`(() => { const b = document.querySelector('#comment-form textarea'); b.value = ''; b.dispatchEvent(new Event('input', { bubbles: true })); })()`)

	// Not a picture, picked with the attach button's file input.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("just words"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ann.js(`(() => { const b = document.querySelector('#comment-form .attach-button'); b.focus(); return document.activeElement === b && b.textContent; })()`); got != "Attach picture" {
		t.Errorf("the attach button, focused, is named %q", got)
	}
	ann.do("attach notes.txt", chromedp.SetUploadFiles(chromedp.CSS(`#comment-form input[type=file]`), []string{notes}))
	ann.waitJS("the plain refusal", `[...document.querySelectorAll('#toasts .toast-error')].some((t) => t.textContent === 'notes.txt is not a picture: PNG, JPEG, GIF or WebP.')`)
	// Words dressed as a PNG: refused by their bytes, before they are sent.
	dispatchFiles(ann, box, "paste", fileJS{Name: "fake.png", Type: "image/png", Data: []byte("not a png at all")})
	ann.waitJS("the server's refusal in plain words", `[...document.querySelectorAll('#toasts .toast-error')].some((t) => t.textContent === 'fake.png is not a picture: PNG, JPEG, GIF or WebP.')`)
	ann.waitJS("no placeholder left", `document.querySelector('#comment-form textarea').value === '' && document.querySelector('#comment-form .upload-list').hidden`)
	// Over 10 MiB: refused before it is sent.
	ann.js(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array((10 << 20) + 1)], 'big.png', { type: 'image/png' }));
		document.querySelector('#comment-form textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
	})()`)
	ann.waitJS("the size refused in plain words", `[...document.querySelectorAll('#toasts .toast-error')].some((t) => t.textContent === 'big.png is too large (10 MB at most).')`)

	// While a picture is on its way the form is not sent; Cancel takes it out.
	ann.throttleUploads(50_000)
	dispatchFiles(ann, box, "paste", fileJS{Name: "slow.png", Type: "image/png", Data: noisePNG(t, 300, 300, 9)})
	ann.waitJS("the slow picture on its way", `document.querySelector('#comment-form progress[aria-label="Uploading slow"]')?.value > 0`)
	ann.click(`#comment-form button[type=submit]`)
	ann.waitJS("the form held back, in words", `[...document.querySelectorAll('#toasts .toast-error')].some((t) => t.textContent.startsWith('Your pictures are on their way'))`)
	ann.click(`#comment-form .upload-cancel`)
	ann.waitJS("the cancelled picture gone, placeholder and all", `document.querySelector('#comment-form textarea').value === '' && document.querySelector('#comment-form .upload-list').hidden`)
	ann.throttleUploads(-1)
	if got := ann.count(`#comments .comment`); got != 1 {
		t.Errorf("%d comments after a send held back, want 1", got)
	}

	// A placeholder left in a draft by a page that went away is not sent.
	ann.fill(box, "![Uploading lost…]()\nWords stay.")
	ann.click(`#comment-form button[type=submit]`)
	ann.waitJS("the comment without the stale placeholder", `[...document.querySelectorAll('#comments .comment-body')].some((b) => b.textContent === 'Words stay.')`)

	// Editing the comment: a picture pasted into the edit box.
	ann.menuPick(`#comments .comment:first-child .comment-more .menu-button`, `#comments .comment:first-child .edit-comment`)
	ann.waitJS("the edit box", `!!document.querySelector('.comment-edit textarea')`)
	dispatchFiles(ann, `.comment-edit textarea`, "paste", fileJS{Name: "three.png", Type: "image/png", Data: noisePNG(t, 50, 40, 4)})
	ann.waitJS("the third picture in the edit box", `/!\[three\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('.comment-edit textarea').value)`)
	ann.click(`.comment-edit button[type=submit]`)
	ann.waitJS("the edited comment with three pictures", `document.querySelectorAll('#comments .comment-body img').length === 3`)
	noStrayNull(ann)
}

// A picture pasted into a direct message goes with it, and shows on both
// sides; the conversation fits 375 px. A room's message takes one too.
func browserChatPicture(t *testing.T, e *browserEnv) {
	a, b := signUp(e.srv, "ann"), signUp(e.srv, "bob")
	ann, bob := e.newTab("ann"), e.newTab("bob")
	ann.signIn("ann")
	bob.signIn("bob")
	ann.setWidth(375)
	ann.open("/chat/"+b.User.ID, "chat")
	bob.open("/chat/"+a.User.ID, "chat")
	ann.waitLive()
	bob.waitLive()
	dispatchFiles(ann, `#message-form textarea`, "paste", fileJS{Name: "chat.png", Type: "image/png", Data: noisePNG(t, 200, 100, 5)})
	ann.waitJS("the picture's Markdown in the message", `/^!\[chat\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('#message-form textarea').value)`)
	ann.pressEnter()
	for _, p := range []*tab{ann, bob} {
		p.waitJS("the picture in the conversation", `(() => {
			const img = document.querySelector('#messages .message[data-id] .message-body img');
			return img?.getAttribute('width') === '200' && img.complete && img.naturalWidth === 200;
		})()`)
	}
	axeClean(t, ann, "a conversation with a picture")
	ann.screenshot("media-chat")

	ann.open("/rooms/lobby", "room")
	ann.waitLive()
	dispatchFiles(ann, `#room-form textarea`, "drop", fileJS{Name: "room.png", Type: "image/png", Data: noisePNG(t, 160, 90, 7)})
	ann.waitJS("the picture's Markdown in the room's message", `/^!\[room\]\(\/media\/[0-9a-z]{26}\)\n$/.test(document.querySelector('#room-form textarea').value)`)
	ann.pressEnter()
	ann.waitJS("the picture in the room", `(() => {
		const img = document.querySelector('#room-messages .message[data-id] .message-body img');
		return img?.getAttribute('width') === '160' && img.complete && img.naturalWidth === 160;
	})()`)
	ann.screenshot("media-room")
}

// An avatar chosen in Settings shows there, on one's posts and in the
// feed's participants, for others too; removing it brings the initial back.
func browserAvatar(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ann")
	signUp(e.srv, "bob")
	postID := createPost(e.srv, a.Token, "Whose face", "Mine.", "general")
	ann, bob := e.newTab("ann"), e.newTab("bob")
	ann.signIn("ann")
	bob.signIn("bob")
	ann.setWidth(375)
	ann.open("/settings", "settings")
	face := filepath.Join(t.TempDir(), "face.png")
	if err := os.WriteFile(face, noisePNG(t, 300, 300, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	ann.do("choose face.png", chromedp.SetUploadFiles(chromedp.CSS(`#avatar-input`), []string{face}))
	ann.waitJS("the picture set", `(() => {
		const img = document.querySelector('#avatar-current img.avatar-picture');
		return /^\/media\/[0-9a-z]{26}\/thumb$/.test(img?.getAttribute('src')) && img.complete && img.naturalWidth === 300 && !document.getElementById('avatar-remove').hidden;
	})()`)
	avatarURL := ann.js(`document.querySelector('#avatar-current img').getAttribute('src')`)
	axeClean(t, ann, "the settings with a picture")
	ann.screenshot("media-settings")

	ann.open("/posts/"+postID, "post")
	ann.waitJS("ann's picture on her post", fmt.Sprintf(`document.querySelector('.post-full .post-meta img.avatar')?.getAttribute('src') === %q`, avatarURL))
	bob.open("/", "feed")
	bob.waitJS("ann's picture among the participants, for bob", fmt.Sprintf(`document.querySelector('.post-card[data-id=%q] .participants img.avatar')?.getAttribute('src') === %q`, postID, avatarURL))
	bob.open("/users/"+a.User.ID, "profile")
	bob.waitJS("ann's picture on her profile", fmt.Sprintf(`document.querySelector('.profile-name img.avatar-large')?.getAttribute('src') === %q`, avatarURL))

	ann.open("/settings", "settings")
	ann.click(`#avatar-remove`)
	ann.waitJS("the initial back", `!!document.querySelector('#avatar-current span.avatar[data-initial="A"]') && document.getElementById('avatar-remove').hidden`)
	ann.open("/posts/"+postID, "post")
	ann.waitJS("the initial on her post", `!!document.querySelector('.post-full .post-meta span.avatar[data-initial="A"]') && !document.querySelector('.post-full .post-meta img.avatar')`)
}

// What the server renders, the app shows as it is: for a body using every
// element, attribute and kind of link and image the server keeps, the
// preview's HTML in the page (its pictures taken out of the links the app
// puts them in) is the server's own, parsed; and what the server would
// never send (scripts, handlers, other images, other links) is not shown.
func browserRichTextAgrees(t *testing.T, e *browserEnv) {
	a := signUp(e.srv, "ann")
	picture := uploadPNG(t, e.srv, a.Token, noisePNG(t, 64, 48, 8))
	ann := e.newTab("ann")
	ann.signIn("ann")
	ann.open("/new-topic", "new")
	body := "# One\n## Two\n###### Six\n\n*em* **strong** ~~del~~ `code` [web](https://example.com) <https://example.org> " +
		"[mail](mailto:a@example.com) [post](/posts/0abc?comment=0def) [rel](/elsewhere) [js](javascript:alert(1))\n" +
		"line two\n\n> quoted\n\n3. three\n4. four\n\n- a\n- b\n\n---\n\n```\npre <b>\n```\n\n" +
		"| L | C | R | N |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n\n" +
		"![ours](" + picture + ") ![](" + picture + ") ![theirs](https://example.com/x.png) ![rel](/media/nope) <img src=x onerror=alert(1)>\n"
	var preview struct {
		BodyHTML string `json:"body_html"`
	}
	e.srv.mustDo("POST", "/api/preview", a.Token, map[string]any{"body": body}, http.StatusOK, &preview)
	ann.fill(`#post-form textarea`, body)
	ann.click(`#post-form .composer-toggle`)
	ann.waitJS("the preview", `!!document.querySelector('#post-form .composer-preview p')`)
	shown := ann.js(`(() => {
		const shown = document.querySelector('#post-form .composer-preview').cloneNode(true);
		for (const a of shown.querySelectorAll('a.picture-link')) a.replaceWith(...a.childNodes);
		return shown.innerHTML;
	})()`)
	server, app := normalHTML(t, preview.BodyHTML), normalHTML(t, shown)
	if server != app {
		t.Errorf("the app shows the server's rendering otherwise:\nserver: %s\napp:    %s", server, app)
	}
	for _, want := range []string{`<th align="center">C</th>`, `<img src="` + picture + `" alt="ours" width="64" height="48" loading="lazy"/>`,
		`<a href="https://example.com/x.png" rel="nofollow ugc noopener">theirs</a>`, `<ol start="3">`, `<del>del</del>`} {
		if !strings.Contains(app, want) {
			t.Errorf("the app's rendering lacks %s:\n%s", want, app)
		}
	}
	for _, never := range []string{`onerror="`, "javascript:", "<script", `src="x"`, `href="/elsewhere"`, `<img src="/media/nope"`} {
		if strings.Contains(app, never) {
			t.Errorf("the app's rendering holds %s:\n%s", never, app)
		}
	}
	if got := ann.count(`#post-form .composer-preview a.picture-link[aria-label="Picture"] img[alt=""]`); got != 1 {
		t.Errorf("%d pictures without alt text are named Picture, want 1", got)
	}
}

// uploadPNG uploads a PNG as the raw body of POST /api/uploads and returns
// its url.
func uploadPNG(t *testing.T, f *forum, token string, data []byte) string {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+f.HTTP+"/api/uploads", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up struct{ Upload struct{ URL string } }
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d, %v", resp.StatusCode, err)
	}
	return up.Upload.URL
}

// normalHTML is a fragment of HTML as an HTML parser reads it, written
// again: the same tree always reads the same.
func normalHTML(t *testing.T, fragment string) string {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), body)
	if err != nil {
		t.Fatalf("parse %q: %v", fragment, err)
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// throttleUploads limits what the tab sends to bytesPerSecond (-1: no limit).
func (p *tab) throttleUploads(bytesPerSecond float64) {
	p.t.Helper()
	p.do("throttle uploads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rules := []*network.Conditions{}
		if bytesPerSecond > 0 {
			rules = append(rules, &network.Conditions{DownloadThroughput: -1, UploadThroughput: bytesPerSecond})
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	}))
}
