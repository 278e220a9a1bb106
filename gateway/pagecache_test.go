package gateway_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"forum/internal/forumtest"
)

// Anonymous feed pages, posts and categories answer 304 while the read
// models stand still, come from the page cache (gzipped once), and show every
// commit at once; signed-in readers still get their own votes.
func TestAnonymousReadsAreCached(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	for i := range 8 {
		ada.CreatePost(fmt.Sprintf("An earlier post, number %d, to make a page worth gzipping", i))
	}
	id := ada.CreatePost("The first post")
	for _, path := range []string{"/api/posts?limit=20", "/api/posts/" + id, "/api/categories"} {
		resp, body := get(t, f.URL+path)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || !strings.HasPrefix(etag, `"s`) || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET %s = %d, ETag %q, Cache-Control %q", path, resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
		}
		if r, again := get(t, f.URL+path); !bytes.Equal(again, body) || r.Header.Get("ETag") != etag {
			t.Errorf("GET %s twice: %q then %q", path, body, again)
		}
		if r, b := get(t, f.URL+path, "If-None-Match", etag); r.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Errorf("GET %s If-None-Match %s = %d, want 304", path, etag, r.StatusCode)
		}
		if r, _ := get(t, f.URL+path, "If-None-Match", `"s0"`); r.StatusCode != 200 {
			t.Errorf("GET %s with an old ETag = %d, want 200", path, r.StatusCode)
		}
	}

	// A commit shows at once, to a client holding the old ETag too.
	resp, _ := get(t, f.URL+"/api/posts?limit=20")
	etag := resp.Header.Get("ETag")
	bob.MustDo("PUT", "/api/posts/"+id+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)
	second := ada.CreatePost("The second post")
	resp, body := get(t, f.URL+"/api/posts?limit=20", "If-None-Match", etag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || !strings.Contains(string(body), second) {
		t.Fatalf("after a new post: GET /api/posts = %d, ETag %q (was %q), body %s", resp.StatusCode, resp.Header.Get("ETag"), etag, body)
	}
	type vote struct {
		Post struct {
			MyVote int `json:"my_vote"`
		}
	}
	var anon, mine vote
	_, b := get(t, f.URL+"/api/posts/"+id)
	json.Unmarshal(b, &anon)
	bob.MustDo("GET", "/api/posts/"+id, nil, http.StatusOK, &mine)
	if anon.Post.MyVote != 0 || mine.Post.MyVote != 1 {
		t.Errorf("my_vote: anonymous %d, bob %d; want 0 and 1", anon.Post.MyVote, mine.Post.MyVote)
	}
	status, _ := bob.Do("GET", "/api/posts?limit=20", nil)
	if status != 200 {
		t.Errorf("signed-in feed = %d", status)
	}

	// The cached gzip decodes to the cached bytes.
	plain := body
	resp, gz := get(t, f.URL+"/api/posts?limit=20", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("a %d-byte page went without gzip", len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, plain) {
		t.Errorf("the gzipped page decodes to %q, not %q", got, plain)
	}

	// Missing posts are answered, not cached as something else.
	if r, _ := get(t, f.URL+"/api/posts/p_doesnotexist0000000000"); r.StatusCode != 404 {
		t.Errorf("a missing post = %d", r.StatusCode)
	}
}
