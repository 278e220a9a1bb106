package gateway_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// picture returns a w × h picture of stripes.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), uint8(x + y), 255})
		}
	}
	return img
}

// numbered returns a w × h picture of stripes whose first pixel holds n, so
// pictures of different numbers are different pictures.
func numbered(w, h, n int) *image.RGBA {
	img := picture(w, h)
	img.Set(0, 0, color.RGBA{uint8(n), uint8(n >> 8), 0, 255})
	return img
}

func pngOf(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngChunk is one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// withTextChunk puts a tEXt chunk holding text right after a PNG's IHDR.
func withTextChunk(p []byte, text string) []byte {
	const ihdrEnd = 8 + 25
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte("Comment\x00"+text))...)
	return append(out, p[ihdrEnd:]...)
}

// pngHeader is the start of a PNG of w × h pixels: its signature and IHDR
// alone, with no pixels after.
func pngHeader(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// jpegWithExif returns a JPEG with an APP1 Exif segment holding text.
func jpegWithExif(t testing.TB, img image.Image, text string) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), text...)
	seg := append([]byte{0xff, 0xe1}, byte((len(payload)+2)>>8), byte(len(payload)+2))
	seg = append(seg, payload...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

// sendUpload posts body to /api/uploads as c with the Content-Type given.
func sendUpload(c *forumtest.Client, contentType string, body []byte) (int, []byte) {
	c.F.T.Helper()
	req, _ := http.NewRequest("POST", c.F.URL+"/api/uploads", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.F.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// multipartOf is a form with the field file holding data of type typ.
func multipartOf(t testing.TB, typ string, data []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="p"`}
	if typ != "" {
		h["Content-Type"] = []string{typ}
	}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// uploaded uploads a picture as c and returns it, failing unless 201.
func uploaded(c *forumtest.Client, typ string, data []byte) projections.Upload {
	c.F.T.Helper()
	status, b := sendUpload(c, typ, data)
	if status != http.StatusCreated {
		c.F.T.Fatalf("upload: %d %s", status, b)
	}
	var out struct{ Upload projections.Upload }
	if err := json.Unmarshal(b, &out); err != nil {
		c.F.T.Fatal(err)
	}
	return out.Upload
}

// fetchMedia gets a picture's URL with the header given.
func fetchMedia(t testing.TB, f *forumtest.Forum, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func wantStatus(t *testing.T, what string, status int, body []byte, want int, code string) {
	t.Helper()
	if status != want || !strings.Contains(string(body), code) {
		t.Errorf("%s: %d %s, want %d %s", what, status, body, want, code)
	}
}

// A picture is taken raw or from a form, recognised by its bytes, and
// served made again: a PNG's text chunk and a JPEG's Exif do not survive,
// a GIF and a WebP come back as PNG or JPEG as content_type says, with a
// thumbnail at most 400 pixels on its longer side.
func TestUploadsAreMadeAgain(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")

	p := uploaded(ada, "image/png", withTextChunk(pngOf(t, picture(1000, 500)), "GPS 51.5N secret"))
	if p.ContentType != "image/png" || p.Width != 1000 || p.Height != 500 || p.URL != "/media/"+p.ID || p.ThumbURL != "/media/"+p.ID+"/thumb" || p.Size == 0 {
		t.Fatalf("upload: %+v", p)
	}
	resp, body := fetchMedia(t, f, "GET", p.URL, nil)
	if resp.StatusCode != 200 || bytes.Contains(body, []byte("secret")) || bytes.Contains(body, []byte("tEXt")) || int64(len(body)) != p.Size {
		t.Fatalf("the PNG served: %d, %d bytes, text kept: %v", resp.StatusCode, len(body), bytes.Contains(body, []byte("secret")))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 1000 || cfg.Height != 500 {
		t.Fatalf("the PNG served: %+v %v", cfg, err)
	}
	_, thumb := fetchMedia(t, f, "GET", p.ThumbURL, nil)
	if cfg, err := png.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width != 400 || cfg.Height != 200 {
		t.Fatalf("the thumbnail: %+v %v", cfg, err)
	}

	ct, form := multipartOf(t, "image/jpeg", jpegWithExif(t, picture(64, 48), "GPSLatitude 48.85 secret"))
	j := uploaded(ada, ct, form)
	_, body = fetchMedia(t, f, "GET", j.URL, nil)
	if j.ContentType != "image/jpeg" || bytes.Contains(body, []byte("Exif")) || bytes.Contains(body, []byte("secret")) {
		t.Fatalf("the JPEG: %+v, Exif kept: %v", j, bytes.Contains(body, []byte("Exif")))
	}
	if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}

	// Turned as its Exif orientation (6: a quarter turn clockwise) said.
	turned := jpegWithExif(t, picture(64, 48), "MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00")
	if u := uploaded(ada, "image/jpeg", turned); u.Width != 48 || u.Height != 64 {
		t.Errorf("a JPEG of orientation 6: %d × %d, want 48 × 64", u.Width, u.Height)
	}

	var g bytes.Buffer
	gif.Encode(&g, picture(30, 20), nil)
	if u := uploaded(ada, "image/gif", g.Bytes()); u.ContentType != "image/png" || u.Width != 30 {
		t.Errorf("a GIF: %+v", u)
	}
	webp, err := os.ReadFile(filepath.Join("testdata", "lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	ct, form = multipartOf(t, "", webp)
	if u := uploaded(ada, ct, form); u.ContentType != "image/jpeg" || u.Width == 0 {
		t.Errorf("a lossy WebP: %+v", u)
	}
}

// Every way a picture is refused, with nothing stored.
func TestUploadsRefused(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	small := pngOf(t, picture(8, 8))

	status, body := sendUpload(f.Anon(), "image/png", small)
	wantStatus(t, "signed out", status, body, 401, "unauthenticated")
	status, body = sendUpload(ada, "image/jpeg", small)
	wantStatus(t, "a PNG sent as a JPEG", status, body, 415, "unsupported_media_type")
	status, body = sendUpload(ada, "image/png", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"))
	wantStatus(t, "an SVG", status, body, 415, "unsupported_media_type")
	ct, form := multipartOf(t, "text/html", small)
	status, body = sendUpload(ada, ct, form)
	wantStatus(t, "a form's PNG sent as HTML", status, body, 415, "unsupported_media_type")
	big := append(append([]byte{}, small...), make([]byte, commands.MaxUploadBytes)...)
	status, body = sendUpload(ada, "image/png", big)
	wantStatus(t, "over 10 MiB", status, body, 413, "too_large")
	ct, form = multipartOf(t, "image/png", big)
	status, body = sendUpload(ada, ct, form)
	wantStatus(t, "over 10 MiB in a form", status, body, 413, "too_large")
	ct, form = multipartOf(t, "", nil)
	status, body = sendUpload(ada, strings.Replace(ct, "form-data", "form-data", 1), []byte(strings.Replace(string(form), `name="file"`, `name="other"`, 1)))
	wantStatus(t, "a form without file", status, body, 400, `"field":"file"`)

	// 8,000 × 6,000: refused from its header, which is all there is.
	start := time.Now()
	status, body = sendUpload(ada, "image/png", pngHeader(8000, 6000))
	wantStatus(t, "48 megapixels", status, body, 400, "megapixels")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refusing a header took %v", took)
	}
	// 6,320 × 6,320 at 16 bits a channel: under 40 megapixels, but 8 bytes
	// a pixel decoded, refused from its header too.
	bomb16 := pngHeader(6320, 6320)
	bomb16[24], bomb16[25] = 16, 6
	binary.BigEndian.PutUint32(bomb16[29:], crc32.ChecksumIEEE(bomb16[12:29]))
	status, body = sendUpload(ada, "image/png", bomb16)
	wantStatus(t, "a 16-bit PNG of 40 megapixels", status, body, 400, "MiB to decode")
	// An animated WebP: its VP8X header says so.
	anim := append([]byte("RIFF\x1e\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x09\x00\x00\x09\x00\x00"), "ANIM\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00"...)
	status, body = sendUpload(ada, "image/webp", anim)
	wantStatus(t, "an animated WebP", status, body, 415, "animated WebP")
	if q, err := f.DB.UploadQuota(forumtest.Context(t), events.UserID(ada.User.ID), time.Time{}); err != nil || q.Today != 0 {
		t.Errorf("refused uploads are stored: %+v %v", q, err)
	}
}

// A picture is served with its type and length, a strong ETag, cached for
// good, sniffing off and nothing run in it; HEAD says the same without the
// bytes; the ETag again answers 304; an unknown one 404.
func TestMediaHeaders(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	p := uploaded(ada, "image/png", pngOf(t, picture(20, 10)))
	for _, method := range []string{"GET", "HEAD"} {
		resp, body := fetchMedia(t, f, method, p.URL, nil)
		h := resp.Header
		want := map[string]string{"Content-Type": "image/png", "Content-Length": fmt.Sprint(p.Size), "ETag": `"` + p.ID + `"`,
			"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s %s: %s = %q, want %q", method, p.URL, k, h.Get(k), v)
			}
		}
		if method == "HEAD" && len(body) != 0 || method == "GET" && int64(len(body)) != p.Size {
			t.Errorf("%s: %d bytes", method, len(body))
		}
	}
	resp, body := fetchMedia(t, f, "GET", p.URL, map[string]string{"If-None-Match": `"` + p.ID + `"`})
	if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != `"`+p.ID+`"` {
		t.Errorf("If-None-Match: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, _ = fetchMedia(t, f, "GET", p.ThumbURL, map[string]string{"If-None-Match": `"` + p.ID + `"`})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"`+p.ID+`-thumb"` {
		t.Errorf("the thumbnail under the picture's ETag: %d %s", resp.StatusCode, resp.Header.Get("ETag"))
	}
	for _, path := range []string{"/media/01jq8r9b2c3d4e5f6g7h8j9k0m", "/media/x", "/media/" + p.ID + "/other"} {
		if resp, _ := fetchMedia(t, f, "GET", path, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

// clock is a settable clock for commands.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// A user uploads at most UploadsADay pictures a day (429) and keeps at most
// UploadQuotaBytes (413); a day later they upload again.
func TestUploadQuotas(t *testing.T) {
	t.Parallel()
	var now clock
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) {
		c.Now = now.Now
		c.UploadsADay, c.UploadQuotaBytes = 3, 0
	}})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	for i := range 3 {
		uploaded(ada, "image/png", pngOf(t, numbered(8, 8, i)))
	}
	status, body := sendUpload(ada, "image/png", pngOf(t, numbered(8, 8, 3)))
	wantStatus(t, "a fourth upload in a day", status, body, 429, "rate_limited")
	uploaded(bob, "image/png", pngOf(t, numbered(8, 8, 0))) // a quota each
	now.advance(25 * time.Hour)
	uploaded(ada, "image/png", pngOf(t, numbered(8, 8, 3)))

	g := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.UploadQuotaBytes = 3000 }})
	cy := g.SignUp("cyd")
	u := uploaded(cy, "image/png", pngOf(t, numbered(40, 40, 0)))
	n := 1
	for status, body = sendUpload(cy, "image/png", pngOf(t, numbered(40, 40, n))); status == 201; status, body = sendUpload(cy, "image/png", pngOf(t, numbered(40, 40, n))) {
		n++
	}
	wantStatus(t, "over the bytes kept", status, body, 413, "too_large")
	if q, _ := g.DB.UploadQuota(forumtest.Context(t), events.UserID(cy.User.ID), time.Time{}); q.Bytes > 3000 || u.Size == 0 {
		t.Errorf("kept %d bytes of 3000", q.Bytes)
	}
}

// Concurrent uploads of one user never pass the quota: of 6 at once with
// room for 3, exactly 3 are stored.
func TestUploadQuotaUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.UploadsADay, c.MediaWait = 3, 20*time.Second }})
	ada := f.SignUp("ada")
	statuses := make(chan int, 6)
	for i := range 6 {
		go func() { s, _ := sendUpload(ada, "image/png", pngOf(t, numbered(8, 8, i))); statuses <- s }()
	}
	created := 0
	for range 6 {
		if <-statuses == 201 {
			created++
		}
	}
	q, _ := f.DB.UploadQuota(forumtest.Context(t), events.UserID(ada.User.ID), time.Time{})
	if created != 3 || q.Today != 3 {
		t.Errorf("%d created, %d stored, want 3", created, q.Today)
	}
}

// An upload that no post, comment, message or avatar shows within a day is
// deleted by the sweep, once however many instances sweep; one shown
// stays.
func TestUnusedUploadsAreSwept(t *testing.T) {
	t.Parallel()
	var now clock
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Now = now.Now }})
	ada := f.SignUp("ada")
	small := func(n int) []byte { return pngOf(t, numbered(8, 8, n)) }
	unused, inPost, inComment, inDM, avatar := uploaded(ada, "image/png", small(0)), uploaded(ada, "image/png", small(1)), uploaded(ada, "image/png", small(2)), uploaded(ada, "image/png", small(3)), uploaded(ada, "image/png", small(4))
	bob := f.SignUp("bob")
	var post struct{ Post projections.Post }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "pics", "body": "![a](" + inPost.URL + ")", "categories": []string{"general"}}, 201, &post)
	ada.MustDo("POST", "/api/posts/"+post.Post.ID+"/comments", map[string]any{"body": "![b](" + inComment.URL + ")"}, 201, nil)
	ada.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "![c](" + inDM.URL + ")"}, 201, nil)
	ada.MustDo("PUT", "/api/me/avatar", map[string]any{"upload_id": avatar.ID}, 204, nil)

	ctx := forumtest.Context(t)
	if n, err := f.Cmds.SweepUploads(ctx, 100); err != nil || n != 0 {
		t.Fatalf("a sweep within the day: %d %v", n, err)
	}
	now.advance(25 * time.Hour)
	other := commands.New(commands.Config{Store: f.Store, DB: f.DB, Projector: f.Proj, Now: now.Now, Keys: mustKeys(t, f)})
	counts := make(chan int, 2)
	for _, s := range []*commands.Service{f.Cmds, other} {
		go func() {
			n, err := s.SweepUploads(ctx, 100)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		}()
	}
	if total := <-counts + <-counts; total != 1 {
		t.Errorf("two sweeps deleted %d uploads, want 1", total)
	}
	if resp, _ := fetchMedia(t, f, "GET", unused.URL, nil); resp.StatusCode != 404 {
		t.Errorf("the unused upload: %d", resp.StatusCode)
	}
	for _, u := range []projections.Upload{inPost, inComment, inDM, avatar} {
		if resp, _ := fetchMedia(t, f, "GET", u.URL, nil); resp.StatusCode != 200 {
			t.Errorf("a shown upload: %d", resp.StatusCode)
		}
	}
	evs, err := f.Store.History(ctx, []string{events.UploadDeleted.Subject(unused.ID)}, 10)
	if err != nil || len(evs) != 1 {
		t.Errorf("upload.deleted events: %d %v", len(evs), err)
	}
	if _, err := f.Cmds.SweepUploads(ctx, 100); err != nil {
		t.Fatal(err)
	}
	m, err := f.Store.Media(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Raw(ctx, unused.ID); !errors.Is(err, events.ErrNoMedia) {
		t.Errorf("the swept object stays: %v", err)
	}
}

func mustKeys(t *testing.T, f *forumtest.Forum) *events.Keyring {
	keys, err := f.Store.Keys(forumtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Erasing an account makes its pictures unreadable everywhere: /media
// answers 404, and the sealed object, as stored, cannot be opened.
func TestErasedUploadsAreGone(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	p := uploaded(ada, "image/png", pngOf(t, picture(16, 16)))
	ctx := forumtest.Context(t)
	m, err := f.Store.Media(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := m.Raw(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(sealed)); err == nil {
		t.Fatal("the stored object is a PNG in clear")
	}
	keys := mustKeys(t, f)
	if _, err := keys.OpenChunked(ctx, ada.User.ID, p.ID, bytes.NewReader(sealed), 0); err != nil {
		t.Fatalf("the owner's key does not open it: %v", err)
	}
	ada.MustDo("DELETE", "/api/me", map[string]string{"password": forumtest.Password("ada")}, 204, nil)
	for _, path := range []string{p.URL, p.ThumbURL} {
		if resp, _ := fetchMedia(t, f, "GET", path, nil); resp.StatusCode != 404 {
			t.Errorf("%s after erasure: %d", path, resp.StatusCode)
		}
	}
	if _, err := keys.OpenChunked(ctx, ada.User.ID, p.ID, bytes.NewReader(sealed), 0); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("the object as it was stored opens after erasure: %v", err)
	}
	fresh, err := events.OpenKeyring(ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.OpenChunked(ctx, ada.User.ID, p.ID, bytes.NewReader(sealed), 0); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("another instance's keyring opens it: %v", err)
	}
}

// A user shows one of their own pictures as their avatar: every answer
// that carries them says where (avatar_url), until they remove it.
func TestAvatar(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	if ada.User.AvatarURL != nil {
		t.Fatalf("a new user's avatar: %v", *ada.User.AvatarURL)
	}
	mine, bobs := uploaded(ada, "image/png", pngOf(t, picture(600, 600))), uploaded(bob, "image/png", pngOf(t, picture(8, 8)))
	status, body := ada.Do("PUT", "/api/me/avatar", map[string]any{"upload_id": bobs.ID})
	wantStatus(t, "another's picture", status, body, 403, `"field":"upload_id"`)
	status, body = ada.Do("PUT", "/api/me/avatar", map[string]any{"upload_id": "01jq8r9b2c3d4e5f6g7h8j9k0m"})
	wantStatus(t, "no such picture", status, body, 404, `"field":"upload_id"`)
	status, body = ada.Do("PUT", "/api/me/avatar", map[string]any{})
	wantStatus(t, "no upload_id", status, body, 400, `"field":"upload_id"`)
	ada.MustDo("PUT", "/api/me/avatar", map[string]any{"upload_id": mine.ID}, 204, nil)

	var post struct{ Post projections.Post }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "hello", "body": "hi", "categories": []string{"general"}}, 201, &post)
	var user struct{ User projections.User }
	bob.MustDo("GET", "/api/users/"+ada.User.ID, nil, 200, &user)
	var read struct{ Post projections.Post }
	bob.MustDo("GET", "/api/posts/"+post.Post.ID, nil, 200, &read)
	for what, got := range map[string]*string{"the user": user.User.AvatarURL, "the post's author": read.Post.Author.AvatarURL} {
		if got == nil || *got != mine.ThumbURL {
			t.Errorf("%s's avatar_url: %v, want %s", what, got, mine.ThumbURL)
		}
	}
	if resp, _ := fetchMedia(t, f, "GET", mine.ThumbURL, nil); resp.StatusCode != 200 {
		t.Errorf("the avatar: %d", resp.StatusCode)
	}
	ada.MustDo("DELETE", "/api/me/avatar", nil, 204, nil)
	bob.MustDo("GET", "/api/users/"+ada.User.ID, nil, 200, &user)
	if user.User.AvatarURL != nil {
		t.Errorf("a removed avatar: %v", *user.User.AvatarURL)
	}
	if _, b := bob.Do("GET", "/api/users/"+ada.User.ID, nil); !strings.Contains(string(b), `"avatar_url":null`) {
		t.Errorf("a user without an avatar: %s", b)
	}
}

// A body shows this forum's pictures as images with their size, loaded
// lazily, and every other image as a link; tables render; a preview shows
// the same; and after sweeps and an erasure the read models rebuilt from
// the log are the same as those folded as it grew.
func TestBodiesShowPictures(t *testing.T) {
	t.Parallel()
	var now clock
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Now = now.Now }})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	p := uploaded(ada, "image/png", pngOf(t, picture(300, 200)))
	body := "![a cat](" + p.URL + ")\n\n![elsewhere](https://e.com/x.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
	var post struct{ Post projections.Post }
	bob.MustDo("POST", "/api/posts", map[string]any{"title": "pics", "body": body, "categories": []string{"general"}}, 201, &post)
	html := post.Post.BodyHTML
	for _, want := range []string{`<img src="` + p.URL + `" alt="a cat" width="300" height="200" loading="lazy">`,
		`<a rel="nofollow ugc noopener" href="https://e.com/x.png">elsewhere</a>`, "<table>", "<td>2</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("body_html %q lacks %q", html, want)
		}
	}
	var preview struct {
		BodyHTML string `json:"body_html"`
	}
	ada.MustDo("POST", "/api/preview", map[string]any{"body": body}, 200, &preview)
	if preview.BodyHTML != html {
		t.Errorf("the preview %q, the post %q", preview.BodyHTML, html)
	}
	var c struct{ Comment projections.Comment }
	ada.MustDo("POST", "/api/posts/"+post.Post.ID+"/comments", map[string]any{"body": "![](" + p.URL + ")"}, 201, &c)
	if !strings.Contains(c.Comment.BodyHTML, "<img") {
		t.Errorf("a comment's picture: %q", c.Comment.BodyHTML)
	}
	ada.MustDo("PUT", "/api/me/avatar", map[string]any{"upload_id": p.ID}, 204, nil)
	uploaded(ada, "image/png", pngOf(t, picture(8, 8)))
	uploaded(bob, "image/png", pngOf(t, picture(9, 9)))

	// A day on: the unused go, and one of the writers leaves.
	ctx := forumtest.Context(t)
	now.advance(25 * time.Hour)
	if n, err := f.Cmds.SweepUploads(ctx, 100); err != nil || n != 2 {
		t.Fatalf("the sweep: %d %v", n, err)
	}
	bob.MustDo("DELETE", "/api/me", map[string]string{"password": forumtest.Password("bob")}, 204, nil)

	head, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Proj.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	res, err := projections.Rebuild(ctx, f.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "read.db"), UntilSeq: head, Keys: mustKeys(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.CompareDumps(t, "rebuilt vs folded", forumtest.Dump(t, res.Path), forumtest.Dump(t, filepath.Join(f.Dir, "read.db")))
}

// A picture answers Range requests as a file server does: one range is a
// 206 with its Content-Range, several a multipart/byteranges, one past the
// end a 416 that is not cached; If-Range by the ETag; HEAD has no body.
func TestMediaRanges(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	p := uploaded(ada, "image/png", pngOf(t, picture(300, 200)))
	_, whole := fetchMedia(t, f, "GET", p.URL, nil)
	if int64(len(whole)) != p.Size || p.Size < 100 {
		t.Fatalf("the picture: %d bytes of %d", len(whole), p.Size)
	}
	etag := `"` + p.ID + `"`
	size := fmt.Sprint(p.Size)
	wantHeaders := func(what string, h http.Header, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", what, k, h.Get(k), v)
			}
		}
	}
	kept := map[string]string{"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'", "Accept-Ranges": "bytes"}

	for _, method := range []string{"GET", "HEAD"} {
		resp, _ := fetchMedia(t, f, method, p.URL, nil)
		wantHeaders(method+" of the whole", resp.Header, kept)
	}
	resp, body := fetchMedia(t, f, "GET", p.URL, map[string]string{"If-Match": `"another"`})
	if resp.StatusCode != http.StatusPreconditionFailed || len(body) >= len(whole) {
		t.Errorf("If-Match of another ETag: %d, %d bytes", resp.StatusCode, len(body))
	}

	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=10-29"})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, whole[10:30]) {
		t.Errorf("one range: %d, %d bytes", resp.StatusCode, len(body))
	}
	wantHeaders("one range", resp.Header, kept)
	wantHeaders("one range", resp.Header, map[string]string{"Content-Range": "bytes 10-29/" + size, "Content-Length": "20", "Content-Type": "image/png"})

	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=-5"})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, whole[len(whole)-5:]) {
		t.Errorf("the last 5 bytes: %d, %d bytes", resp.StatusCode, len(body))
	}

	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=0-3,50-59"})
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusPartialContent || mt != "multipart/byteranges" {
		t.Fatalf("two ranges: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	wantHeaders("two ranges", resp.Header, kept)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for _, want := range []struct {
		from, to int
	}{{0, 3}, {50, 59}} {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(part)
		if cr := part.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%s", want.from, want.to, size) || !bytes.Equal(got, whole[want.from:want.to+1]) || part.Header.Get("Content-Type") != "image/png" {
			t.Errorf("a part: %s %s, %d bytes", cr, part.Header.Get("Content-Type"), len(got))
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("a third part: %v", err)
	}

	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=" + size + "-"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != "bytes */"+size {
		t.Errorf("a range past the end: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if cc, et := resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"); strings.Contains(cc, "immutable") || et != "" || bytes.Contains(body, whole[:16]) {
		t.Errorf("a 416 is cached or carries the picture: Cache-Control %q, ETag %q", cc, et)
	}

	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=0-9", "If-Range": etag})
	if resp.StatusCode != http.StatusPartialContent || len(body) != 10 {
		t.Errorf("If-Range of its ETag: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = fetchMedia(t, f, "GET", p.URL, map[string]string{"Range": "bytes=0-9", "If-Range": `"another"`})
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, whole) {
		t.Errorf("If-Range of another ETag: %d, %d bytes", resp.StatusCode, len(body))
	}

	resp, body = fetchMedia(t, f, "HEAD", p.URL, map[string]string{"Range": "bytes=10-29"})
	if resp.StatusCode != http.StatusPartialContent || len(body) != 0 || resp.Header.Get("Content-Length") != "20" {
		t.Errorf("HEAD of a range: %d, %d bytes, Content-Length %s", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
	resp, body = fetchMedia(t, f, "HEAD", p.ThumbURL, nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Length") == "" || resp.Header.Get("ETag") != `"`+p.ID+`-thumb"` {
		t.Errorf("HEAD of the thumbnail: %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}
	_, thumb := fetchMedia(t, f, "GET", p.ThumbURL, nil)
	resp, body = fetchMedia(t, f, "GET", p.ThumbURL, map[string]string{"Range": "bytes=1-4"})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, thumb[1:5]) {
		t.Errorf("a range of the thumbnail: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// A picture kept open in memory is served from there (the metrics count
// it) only while the read models keep it: once an instance has applied its
// deletion or its owner's erasure, it answers 404 however warm its cache,
// and so does every other instance once it has.
func TestMediaCacheFollowsTheReadModels(t *testing.T) {
	t.Parallel()
	var now clock
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Now = now.Now }})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store, Empty: true})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	unused := uploaded(ada, "image/png", pngOf(t, picture(500, 300)))
	avatar := uploaded(bob, "image/png", pngOf(t, picture(60, 60)))
	bob.MustDo("PUT", "/api/me/avatar", map[string]any{"upload_id": avatar.ID}, 204, nil)
	ctx := forumtest.Context(t)
	caughtUp := func() {
		t.Helper()
		head, err := f.Store.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*forumtest.Core{f.Core, g.Core} {
			if err := c.Proj.WaitFor(ctx, head); err != nil {
				t.Fatal(err)
			}
		}
	}
	caughtUp()
	urls := []string{unused.URL, unused.ThumbURL, avatar.URL, avatar.ThumbURL}
	for _, fo := range []*forumtest.Forum{f, g} {
		for _, u := range urls {
			if resp, _ := fetchMedia(t, fo, "GET", u, nil); resp.StatusCode != 200 {
				t.Fatalf("%s: %d", u, resp.StatusCode)
			}
		}
	}
	anon := g.Anon()
	hits, misses := anon.Metric("forum_media_cache_hits_total"), anon.Metric("forum_media_cache_misses_total")
	for _, u := range urls {
		if resp, _ := fetchMedia(t, g, "GET", u, map[string]string{"Range": "bytes=0-7"}); resp.StatusCode != 206 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	if h, m := anon.Metric("forum_media_cache_hits_total"), anon.Metric("forum_media_cache_misses_total"); h != hits+4 || m != misses {
		t.Errorf("served again: %v hits and %v misses, want %v and %v", h, m, hits+4, misses)
	}
	if st := g.Cmds.MediaCacheStats(); st.Entries != 4 || st.Bytes < unused.Size+avatar.Size {
		t.Errorf("the cache holds %+v", st)
	}

	now.advance(25 * time.Hour)
	if n, err := f.Cmds.SweepUploads(ctx, 100); err != nil || n != 1 {
		t.Fatalf("the sweep: %d %v", n, err)
	}
	caughtUp()
	for _, fo := range []*forumtest.Forum{f, g} {
		for _, u := range []string{unused.URL, unused.ThumbURL} {
			if resp, _ := fetchMedia(t, fo, "GET", u, nil); resp.StatusCode != 404 {
				t.Errorf("%s deleted, on instance %s: %d", u, fo.URL, resp.StatusCode)
			}
		}
		if resp, _ := fetchMedia(t, fo, "GET", avatar.URL, nil); resp.StatusCode != 200 {
			t.Errorf("the avatar kept: %d", resp.StatusCode)
		}
	}

	bob.MustDo("DELETE", "/api/me", map[string]string{"password": forumtest.Password("bob")}, 204, nil)
	caughtUp()
	for _, fo := range []*forumtest.Forum{f, g} {
		for _, u := range []string{avatar.URL, avatar.ThumbURL} {
			for _, h := range []map[string]string{nil, {"Range": "bytes=0-7"}, {"If-None-Match": `"` + avatar.ID + `"`}} {
				if resp, _ := fetchMedia(t, fo, "GET", u, h); resp.StatusCode != 404 {
					t.Errorf("%s %v after erasure, on instance %s: %d", u, h, fo.URL, resp.StatusCode)
				}
			}
		}
	}
	if st := g.Cmds.MediaCacheStats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("the cache still holds %+v", st)
	}
}

// countingMedia is the store's bucket of pictures, counting the objects read.
type countingMedia struct {
	store *events.Store
	gets  atomic.Int64
}

func (m *countingMedia) bucket(ctx context.Context) *events.Media {
	b, err := m.store.Media(ctx)
	if err != nil {
		panic(err)
	}
	return b
}

func (m *countingMedia) Put(ctx context.Context, owner, name string, data []byte) error {
	return m.bucket(ctx).Put(ctx, owner, name, data)
}

func (m *countingMedia) Get(ctx context.Context, owner, name string) ([]byte, error) {
	m.gets.Add(1)
	return m.bucket(ctx).Get(ctx, owner, name)
}

func (m *countingMedia) Delete(ctx context.Context, name string) error {
	return m.bucket(ctx).Delete(ctx, name)
}

// A popular picture is read from the store and opened once: 32 requests at
// once for a picture not yet in memory read it once between them, and the
// requests after read it no more.
func TestPopularPictureOpenedOnce(t *testing.T) {
	t.Parallel()
	var media countingMedia
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) {
		media.store = c.Store.(*events.Store)
		c.Media = &media
	}})
	ada := f.SignUp("ada")
	p := uploaded(ada, "image/png", pngOf(t, picture(400, 300)))
	statuses := make(chan int, 32)
	for range 32 {
		go func() {
			resp, err := http.Get(f.URL + p.URL)
			if err != nil {
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range 32 {
		if s := <-statuses; s != 200 {
			t.Errorf("a request: %d", s)
		}
	}
	for range 10 {
		fetchMedia(t, f, "GET", p.URL, nil)
	}
	if n := media.gets.Load(); n != 1 {
		t.Errorf("the picture was read %d times, want once", n)
	}
}

// exifGPS is an Exif block (TIFF, big-endian) as a camera writes one: IFD0
// with the orientation given and a pointer to a GPS IFD that holds a
// latitude of 48° 51' 29.59" N.
func exifGPS(orientation uint16) []byte {
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entry := func(b []byte, tag, typ uint16, count, value uint32) []byte {
		b = be.AppendUint16(b, tag)
		b = be.AppendUint16(b, typ)
		b = be.AppendUint32(b, count)
		return be.AppendUint32(b, value)
	}
	// IFD0 at 8 (30 bytes), the GPS IFD at 38 (30 bytes), its rationals at 68.
	tiff = be.AppendUint16(tiff, 2)
	tiff = entry(tiff, 0x0112, 3, 1, uint32(orientation)<<16) // Orientation, SHORT
	tiff = entry(tiff, 0x8825, 4, 1, 38)                      // GPSInfo IFD pointer
	tiff = be.AppendUint32(tiff, 0)
	tiff = be.AppendUint16(tiff, 2)
	tiff = entry(tiff, 0x0001, 2, 2, uint32('N')<<24) // GPSLatitudeRef "N"
	tiff = entry(tiff, 0x0002, 5, 3, 68)              // GPSLatitude, 3 RATIONAL
	tiff = be.AppendUint32(tiff, 0)
	for _, r := range [][2]uint32{{48, 1}, {51, 1}, {2959, 100}} {
		tiff = be.AppendUint32(tiff, r[0])
		tiff = be.AppendUint32(tiff, r[1])
	}
	return tiff
}

// A JPEG carrying Exif with a GPS IFD comes out with no Exif (no APP1
// segment, none of the GPS values) and turned as its orientation said: the
// red corner at the top left of a picture of orientation 6 (a quarter turn
// clockwise) is at the top right of what is served, which is 48 × 64.
func TestJPEGLosesGPSAndKeepsItsOrientation(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			c := color.RGBA{20, 20, 20, 255}
			if x < 16 && y < 16 {
				c = color.RGBA{250, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	exif := exifGPS(6)
	sent := jpegWithExif(t, img, string(exif))
	gps := exif[68:]
	if !bytes.Contains(sent, gps) || !bytes.Contains(sent, []byte{0xff, 0xe1}) {
		t.Fatal("the JPEG sent carries no GPS")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(sent)); err != nil || cfg.Width != 64 {
		t.Fatalf("the JPEG sent: %+v %v", cfg, err)
	}
	u := uploaded(ada, "image/jpeg", sent)
	if u.ContentType != "image/jpeg" || u.Width != 48 || u.Height != 64 {
		t.Errorf("the upload: %+v, want a 48 × 64 JPEG", u)
	}
	for _, path := range []string{u.URL, u.ThumbURL} {
		resp, body := fetchMedia(t, f, "GET", path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for what, b := range map[string][]byte{"an APP1 segment": {0xff, 0xe1}, "Exif": []byte("Exif"), "the GPS latitude": gps, "the TIFF header": exif[:8]} {
			if bytes.Contains(body, b) {
				t.Errorf("%s holds %s", path, what)
			}
		}
		got, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b := got.Bounds()
		if b.Dx() != 48 || b.Dy() != 64 {
			t.Fatalf("%s: %v", path, b)
		}
		red := func(x, y int) bool { r, g, _, _ := got.At(x, y).RGBA(); return r>>8 > 180 && g>>8 < 80 }
		if !red(b.Max.X-4, 4) || red(4, 4) || red(4, b.Max.Y-4) {
			t.Errorf("%s is not turned a quarter clockwise: red at top right %v, top left %v, bottom left %v", path, red(b.Max.X-4, 4), red(4, 4), red(4, b.Max.Y-4))
		}
	}
}

// Pictures are received a bounded number at a time (MediaIntake), each
// held in memory until stored: while one is being received, another sent
// finds no room and is refused with 503 and Retry-After, before its bytes
// are read; the first, once sent whole, is stored.
func TestUploadIntakeIsBounded(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.MediaIntake, c.MediaWait = 1, 50*time.Millisecond }})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	pic := pngOf(t, picture(200, 100))

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", f.URL+"/api/uploads", pr)
	req.ContentLength = int64(len(pic))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+ada.Token)
	req.Header.Set("Expect", "100-continue")
	reading := make(chan struct{}) // the server asked for the body: ada's picture holds the room
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{Got100Continue: func() { close(reading) }}))
	first := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}).Do(req)
		if err != nil {
			t.Error(err)
			first <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	select {
	case <-reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never asked for the first picture")
	}
	pw.Write(pic[:len(pic)/2])

	req2, _ := http.NewRequest("POST", f.URL+"/api/uploads", bytes.NewReader(pic))
	req2.Header.Set("Content-Type", "image/png")
	req2.Header.Set("Authorization", "Bearer "+bob.Token)
	resp, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a second picture while the first is received: %d %s", resp.StatusCode, body)
	}

	pw.Write(pic[len(pic)/2:])
	pw.Close()
	if s := <-first; s != http.StatusCreated {
		t.Errorf("the first picture: %d", s)
	}
	uploaded(bob, "image/png", pic) // the room is free again
}

// objectCount is how many objects the bucket of pictures holds.
func objectCount(t *testing.T, f *forumtest.Forum) int {
	t.Helper()
	ctx := forumtest.Context(t)
	m, err := f.Store.Media(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, err := m.Names(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}

// A picture is stored once an owner: the same picture again (the same
// bytes, or other bytes that encode again the same, such as a text chunk
// more) answers 201 with the first upload, stores no object and charges no
// quota; another owner's upload of it is theirs, stored apart.
func TestSamePictureStoredOnce(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	pic := pngOf(t, picture(64, 48))
	first := uploaded(ada, "image/png", pic)
	if n := objectCount(t, f); n != 2 {
		t.Fatalf("%d objects after an upload, want 2 (picture and thumbnail)", n)
	}
	for _, again := range [][]byte{pic, withTextChunk(pic, "same pixels")} {
		if u := uploaded(ada, "image/png", again); u != first {
			t.Errorf("the same picture again: %+v, want %+v", u, first)
		}
	}
	ctype, form := multipartOf(t, "image/png", pic)
	if u := uploaded(ada, ctype, form); u.ID != first.ID {
		t.Errorf("the same picture from a form: %s, want %s", u.ID, first.ID)
	}
	if n := objectCount(t, f); n != 2 {
		t.Errorf("%d objects after the same picture thrice more, want 2", n)
	}
	ctx := forumtest.Context(t)
	kept, err := f.DB.Upload(ctx, events.UploadID(first.ID))
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.DB.UploadQuota(ctx, events.UserID(ada.User.ID), time.Time{})
	if err != nil || q.Today != 1 || q.Bytes != kept.Size+kept.ThumbSize {
		t.Errorf("quota after the same picture four times: %+v %v, want 1 upload of %d bytes", q, err, kept.Size+kept.ThumbSize)
	}
	evs, err := f.Store.History(ctx, []string{events.UploadCreated.Subject(ada.User.ID)}, 10)
	if err != nil || len(evs) != 1 {
		t.Errorf("upload.created events: %d %v, want 1", len(evs), err)
	}
	theirs := uploaded(bob, "image/png", pic)
	if theirs.ID == first.ID {
		t.Error("another owner's upload of the same picture answered the first owner's")
	}
	if n := objectCount(t, f); n != 4 {
		t.Errorf("%d objects after another owner's upload, want 4", n)
	}
	if resp, body := fetchMedia(t, f, "GET", theirs.URL, nil); resp.StatusCode != 200 || len(body) != int(theirs.Size) {
		t.Errorf("the other owner's picture: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// Two uploads of the same picture by one owner that race on two instances
// store one upload and one object each of picture and thumbnail: the one
// whose event lands second answers the first.
func TestSamePictureRacingStoredOnce(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	owner := events.UserID(ada.User.ID)
	other := commands.New(commands.Config{Store: f.Store, DB: f.DB, Projector: f.Proj, Keys: mustKeys(t, f)})
	ctx := forumtest.Context(t)
	const rounds = 4
	for i := range rounds {
		pic := pngOf(t, numbered(200, 150, i))
		type result struct {
			u       projections.Upload
			created bool
			err     error
		}
		results := make(chan result, 2)
		for _, s := range []*commands.Service{f.Cmds, other} {
			go func() {
				u, created, err := s.Upload(ctx, owner, commands.UploadInput{Data: pic, Declared: "image/png"})
				results <- result{u, created, err}
			}()
		}
		a, b := <-results, <-results
		if a.err != nil || b.err != nil {
			t.Fatalf("round %d: %v, %v", i, a.err, b.err)
		}
		if a.u.ID != b.u.ID || a.created == b.created {
			t.Errorf("round %d: %s (created %v) and %s (created %v), want one upload made once", i, a.u.ID, a.created, b.u.ID, b.created)
		}
	}
	if n := objectCount(t, f); n != 2*rounds {
		t.Errorf("%d objects after %d racing pairs, want %d", n, rounds, 2*rounds)
	}
	if q, _ := f.DB.UploadQuota(ctx, owner, time.Time{}); q.Today != rounds {
		t.Errorf("%d uploads counted after %d racing pairs, want %d", q.Today, rounds, rounds)
	}
}

// An upload deleted is not answered again: the same picture then makes a
// new upload and a new object, and the sweep of the old one leaves the new
// one alone; nor is one shown nowhere and soon swept.
func TestSamePictureAfterItsUploadWent(t *testing.T) {
	t.Parallel()
	var now clock
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Now = now.Now }})
	ada := f.SignUp("ada")
	pic := pngOf(t, picture(32, 32))
	first := uploaded(ada, "image/png", pic)
	now.advance(commands.UnusedUploadTTL/2 + time.Minute) // soon swept
	second := uploaded(ada, "image/png", pic)
	if second.ID == first.ID {
		t.Fatal("an upload soon swept was answered again")
	}
	if u := uploaded(ada, "image/png", pic); u.ID != second.ID {
		t.Errorf("the picture again: %s, want the second upload %s", u.ID, second.ID)
	}
	ctx := forumtest.Context(t)
	now.advance(commands.UnusedUploadTTL/2 + time.Minute)
	if n, err := f.Cmds.SweepUploads(ctx, 100); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v, want the first upload", n, err)
	}
	if n := objectCount(t, f); n != 2 {
		t.Errorf("%d objects after the sweep, want the second upload's 2", n)
	}
	if resp, _ := fetchMedia(t, f, "GET", second.URL, nil); resp.StatusCode != 200 {
		t.Errorf("the second upload after the first was swept: %d", resp.StatusCode)
	}
	now.advance(commands.UnusedUploadTTL)
	if n, err := f.Cmds.SweepUploads(ctx, 100); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v, want the second upload", n, err)
	}
	third := uploaded(ada, "image/png", pic)
	if third.ID == second.ID || third.ID == first.ID {
		t.Error("a deleted upload was answered again")
	}
	if n := objectCount(t, f); n != 2 {
		t.Errorf("%d objects, want the third upload's 2", n)
	}
}

// Pictures are stored sealed in chunks; those stored before, sealed whole,
// are still served as they were, and both kinds go with their account.
func TestPicturesSealedWholeStillServed(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	ctx := forumtest.Context(t)
	m, err := f.Store.Media(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A picture of several chunks, and a small one.
	big, small := uploaded(ada, "image/png", noisyPNGOf(t, 300, 300)), uploaded(ada, "image/png", pngOf(t, picture(20, 20)))
	for _, u := range []projections.Upload{big, small} {
		names := []string{u.ID, u.ID + ".thumb"}
		plain := make([][]byte, 2)
		for i, name := range names {
			if plain[i], err = m.Get(ctx, ada.User.ID, name); err != nil {
				t.Fatal(err)
			}
			raw, _ := m.Raw(ctx, name)
			if _, err := mustKeys(t, f).OpenBytes(ctx, ada.User.ID, name, raw); err == nil {
				t.Fatalf("%s is stored sealed whole", name)
			}
			// Stored again as before chunks, in place of the chunks.
			if err := m.PutWhole(ctx, ada.User.ID, name, plain[i]); err != nil {
				t.Fatal(err)
			}
		}
		if u.Size > events.SealChunk != (u.ID == big.ID) {
			t.Fatalf("the big picture is %d bytes, not over a chunk", big.Size)
		}
		for i, path := range []string{u.URL, u.ThumbURL} {
			resp, body := fetchMedia(t, f, "GET", path, nil)
			if resp.StatusCode != 200 || !bytes.Equal(body, plain[i]) {
				t.Errorf("%s sealed whole: %d, %d bytes, want %d", path, resp.StatusCode, len(body), len(plain[i]))
			}
		}
	}
	ada.MustDo("DELETE", "/api/me", map[string]string{"password": forumtest.Password("ada")}, 204, nil)
	if n := objectCount(t, f); n != 0 {
		t.Errorf("%d objects after erasure, want none", n)
	}
}

// noisyPNGOf is a w × h PNG of noise, which does not compress.
func noisyPNGOf(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(2463534242)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return pngOf(t, img)
}
