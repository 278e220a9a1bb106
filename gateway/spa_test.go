package gateway_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"forum/gateway"
	"forum/internal/forumtest"
)

// get sends a GET with the given headers; the transport is told not to
// negotiate gzip itself, so the test sees what the server sent.
func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// A repeat visit costs one small revalidation: assets have content-hashed
// URLs cached for good, a page answers 304 to its ETag (but the feed's,
// which brings its first answers along: TestFeedPageBringsItsAnswers), and
// everything compressible travels gzipped to a client that takes it.
func TestAssetsAreCachedAndCompressed(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})

	resp, page := get(t, f.URL+"/new-topic", "Accept-Encoding", "gzip, deflate, br")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET /new-topic = %d, Content-Encoding %q; want gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	index, _ := io.ReadAll(zr)
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /new-topic: Vary %q, Cache-Control %q", resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
	}
	if !strings.Contains(string(index), `class="skeleton"`) {
		t.Error("index.html has no skeleton to show while the app loads")
	}
	etag := resp.Header.Get("ETag")
	if r, body := get(t, f.URL+"/new-topic", "Accept-Encoding", "gzip", "If-None-Match", etag); r.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("GET /new-topic If-None-Match %s = %d with %d bytes, want 304 and nothing", etag, r.StatusCode, len(body))
	}
	if r, body := get(t, f.URL+"/new-topic", "If-None-Match", etag); r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, index) {
		t.Errorf("GET /new-topic without gzip, with the gzipped variant's ETag = %d %q: want the page, plain", r.StatusCode, r.Header.Get("Content-Encoding"))
	}
	if r, _ := get(t, f.URL+"/new-topic", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	if r, _ := get(t, f.URL+"/no/such/page", "If-None-Match", etag, "Accept-Encoding", "gzip"); r.StatusCode != 404 {
		t.Errorf("unknown page with a matching ETag = %d, want 404", r.StatusCode)
	}

	urls := regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(urls) != 2 {
		t.Fatalf("index.html names %d assets, want the stylesheet and the app's bundle:\n%s", len(urls), index)
	}
	for _, u := range urls {
		url := u[1]
		if !regexp.MustCompile(`\.[0-9a-f]{10}\.(js|css)$`).MatchString(url) {
			t.Errorf("%s has no content hash", url)
			continue
		}
		r, body := get(t, f.URL+url, "Accept-Encoding", "gzip")
		if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s = %d, Cache-Control %q", url, r.StatusCode, r.Header.Get("Cache-Control"))
		}
		ctype := r.Header.Get("Content-Type")
		if strings.HasSuffix(url, ".js") && ctype != "text/javascript; charset=utf-8" || strings.HasSuffix(url, ".css") && !strings.HasPrefix(ctype, "text/css") {
			t.Errorf("GET %s: Content-Type %q", url, ctype)
		}
		if len(body) > 200 && r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s: %d bytes sent without gzip", url, len(body))
		}
	}

	// The unhashed name still answers, but must be revalidated.
	if r, _ := get(t, f.URL+"/assets/app.js"); r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /assets/app.js = %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	for _, bad := range []string{"/assets/app.0000000000.js", "/assets/../index.html", "/assets/", "/assets/views"} {
		if r, _ := get(t, f.URL+bad); r.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", bad, r.StatusCode)
		}
	}

	// No inline script runs: the app is one file of the forum's own.
	csp := resp.Header.Get("Content-Security-Policy")
	if script := cspDirective(csp, "script-src"); script != "'self'" {
		t.Errorf("script-src %q: want 'self' only", script)
	}
}

// The feed's page comes with the answers of its first view, as the API
// gives them to this reader, in a data block no text can break out of.
func TestFeedPageBringsItsAnswers(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	ada.CreatePost("</script><script>alert(1)</script> & <!-- more")
	island := func(path string, header ...string) (*http.Response, map[string]struct {
		Status int
		Body   json.RawMessage
	}) {
		t.Helper()
		resp, page := get(t, f.URL+path, header...)
		m := regexp.MustCompile(`<script type="application/json" id="preloaded">(.*?)</script>`).FindSubmatch(page)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("GET %s = %d without a data block:\n%s", path, resp.StatusCode, page)
		}
		if bytes.Count(page, []byte("<script")) != 2 || bytes.Contains(m[1], []byte("<")) {
			t.Fatalf("GET %s: the data block lets text out: %s", path, m[1])
		}
		var answers map[string]struct {
			Status int
			Body   json.RawMessage
		}
		if err := json.Unmarshal(m[1], &answers); err != nil {
			t.Fatal(err)
		}
		return resp, answers
	}
	resp, anon := island("/")
	if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("ETag") != "" {
		t.Errorf("anonymous feed page: Cache-Control %q, ETag %q", resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	}
	if anon["/api/me"].Status != 401 || anon["/api/categories"].Status != 200 || !strings.Contains(string(anon["/api/posts?sort=latest&limit=20"].Body), `\u003c/script\u003e`) {
		t.Fatalf("anonymous answers: %v", anon)
	}
	_, cat := island("/c/general")
	if cat["/api/posts?category=general&sort=latest&limit=20"].Status != 200 {
		t.Errorf("category page answers: %v", cat)
	}
	// Every tab of the feed, and of a category, comes with its first page.
	for page, read := range map[string]string{
		"/new": "/api/posts?sort=new&limit=20", "/newest": "/api/posts?sort=new&limit=20", "/c/general/new": "/api/posts?category=general&sort=new&limit=20", "/top?period=week": "/api/posts?sort=top&period=week&limit=20",
		"/c/general/top": "/api/posts?category=general&sort=top&limit=20", "/c/general/latest": "/api/posts?category=general&sort=latest&limit=20",
	} {
		if _, answers := island(page); answers[read].Status != 200 {
			t.Errorf("%s: no answer to %s in %v", page, read, answers)
		}
	}
	if r, _ := get(t, f.URL+"/c/general/hottest"); r.StatusCode != http.StatusNotFound {
		t.Errorf("a feed of no sort: %d, want 404", r.StatusCode)
	}

	resp, mine := island("/", "Cookie", gateway.CookieName+"="+ada.Token)
	var me struct{ User struct{ Nickname string } }
	json.Unmarshal(mine["/api/me"].Body, &me)
	if mine["/api/me"].Status != 200 || me.User.Nickname != "ada" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("signed-in feed page: me %d %s, Cache-Control %q", mine["/api/me"].Status, mine["/api/me"].Body, resp.Header.Get("Cache-Control"))
	}
	if r, page := get(t, f.URL+"/c/NO_SUCH"); r.StatusCode != 200 || bytes.Contains(page, []byte(`id="preloaded"`)) {
		t.Errorf("a category route that no slug can be: %d, with a data block: %v", r.StatusCode, bytes.Contains(page, []byte(`id="preloaded"`)))
	}
}
