package gateway_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"forum/internal/forumtest"
)

// JSON answers of a kilobyte or more travel gzipped to a client that takes
// gzip, and decode to exactly what a client without gzip gets; small answers,
// errors and clients without gzip get plain bytes.
func TestAPIAnswersAreGzipped(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	for i := range 25 {
		ada.CreatePost(fmt.Sprintf("Post %d with a title long enough to make the page big", i))
	}

	plainResp, plain := get(t, f.URL+"/api/posts?limit=20")
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" || len(plain) < 2048 {
		t.Fatalf("GET /api/posts without gzip = %d, Content-Encoding %q, %d bytes", plainResp.StatusCode, plainResp.Header.Get("Content-Encoding"), len(plain))
	}
	resp, body := get(t, f.URL+"/api/posts?limit=20", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("GET /api/posts with gzip: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	if len(body)*3 > len(plain) {
		t.Errorf("a feed page gzipped to %d bytes of %d", len(body), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if json.Unmarshal(unzipped, &a) != nil || json.Unmarshal(plain, &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the gzipped page decodes to\n%s\nnot\n%s", unzipped, plain)
	}

	for _, path := range []string{"/api/categories", "/api/no-such-thing", "/api/me"} {
		r, small := get(t, f.URL+path, "Accept-Encoding", "gzip")
		if r.Header.Get("Content-Encoding") != "" || !json.Valid(small) {
			t.Errorf("GET %s = %d, Content-Encoding %q, body %q: a small answer should pass plain", path, r.StatusCode, r.Header.Get("Content-Encoding"), small)
		}
	}
	if r, _ := get(t, f.URL+"/api/posts?limit=20", "Accept-Encoding", "gzip;q=0, identity"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	// What the browser's own client does: ask for gzip and read the page.
	status, auto := ada.Do("GET", "/api/posts?limit=20", nil)
	if status != 200 || !json.Valid(auto) {
		t.Errorf("GET /api/posts signed in = %d %q", status, auto)
	}
}
