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

// Signed-in readers are served the cached page with their own votes
// written in: each sees theirs, nobody else's, on the feed and on a post,
// whatever the posts say; their ETag names them, and a vote changes it.
func TestSignedInReadsMergeOwnVotes(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	var ids []string
	for i := range 5 {
		var out struct{ Post struct{ ID string } }
		// Bodies that look like the field the votes go in must not move them.
		ada.MustDo("POST", "/api/posts", map[string]any{"title": fmt.Sprintf("Post %d", i),
			"body": `"my_vote":0 and {"my_vote":0}` + strings.Repeat(" padding", 40), "categories": []string{"general"}}, http.StatusCreated, &out)
		ids = append(ids, out.Post.ID)
	}
	bob.MustDo("PUT", "/api/posts/"+ids[1]+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)
	bob.MustDo("PUT", "/api/posts/"+ids[3]+"/vote", map[string]any{"value": -1}, http.StatusOK, nil)
	cyd.MustDo("PUT", "/api/posts/"+ids[3]+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)

	type page struct {
		Items []struct {
			ID     string `json:"id"`
			Body   string `json:"body"`
			MyVote int    `json:"my_vote"`
		} `json:"items"`
	}
	want := map[*forumtest.Client]map[string]int{
		ada: {},
		bob: {ids[1]: 1, ids[3]: -1},
		cyd: {ids[3]: 1},
	}
	for c, votes := range want {
		for range 2 { // the second read comes from the cache
			var p page
			c.MustDo("GET", "/api/posts?limit=20", nil, http.StatusOK, &p)
			if len(p.Items) != len(ids) {
				t.Fatalf("%s's feed has %d posts, want %d", c.User.Nickname, len(p.Items), len(ids))
			}
			for _, it := range p.Items {
				if it.MyVote != votes[it.ID] || !strings.HasPrefix(it.Body, `"my_vote":0 and {"my_vote":0}`) {
					t.Fatalf("%s's feed: post %s my_vote %d body %.40q; want %d and the body as written", c.User.Nickname, it.ID, it.MyVote, it.Body, votes[it.ID])
				}
			}
			var one struct {
				Post struct {
					MyVote int `json:"my_vote"`
				}
			}
			c.MustDo("GET", "/api/posts/"+ids[3], nil, http.StatusOK, &one)
			if one.Post.MyVote != votes[ids[3]] {
				t.Fatalf("%s's view of a post: my_vote %d, want %d", c.User.Nickname, one.Post.MyVote, votes[ids[3]])
			}
		}
	}

	// Gzipped, bob's page is his plain page.
	_, plain := get(t, f.URL+"/api/posts?limit=20", "Authorization", "Bearer "+bob.Token)
	resp, gz := get(t, f.URL+"/api/posts?limit=20", "Authorization", "Bearer "+bob.Token, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("bob's %d-byte page went without gzip", len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, plain) || !strings.Contains(string(plain), `"my_vote":-1`) {
		t.Fatalf("bob's gzipped page: %v; decodes to %d bytes, plain is %d (with his -1: %v)", err, len(got), len(plain), strings.Contains(string(plain), `"my_vote":-1`))
	}

	etagOf := func(c *forumtest.Client, inm string) (int, string) {
		req, _ := http.NewRequest("GET", f.URL+"/api/posts?limit=20", nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if cc := resp.Header.Get("Cache-Control"); resp.StatusCode == 200 && cc != "private, no-cache" {
			t.Errorf("signed-in Cache-Control %q", cc)
		}
		return resp.StatusCode, resp.Header.Get("ETag")
	}
	_, bobTag := etagOf(bob, "")
	_, cydTag := etagOf(cyd, "")
	anon, _ := get(t, f.URL+"/api/posts?limit=20")
	if bobTag == "" || bobTag == cydTag || bobTag == anon.Header.Get("ETag") {
		t.Fatalf("ETags: bob %q, cyd %q, anonymous %q; want three different ones", bobTag, cydTag, anon.Header.Get("ETag"))
	}
	if status, _ := etagOf(bob, bobTag); status != http.StatusNotModified {
		t.Fatalf("bob's feed with his ETag = %d, want 304", status)
	}
	if status, _ := etagOf(cyd, bobTag); status != 200 {
		t.Fatalf("cyd's feed with bob's ETag = %d, want 200", status)
	}
	bob.MustDo("PUT", "/api/posts/"+ids[1]+"/vote", map[string]any{"value": 0}, http.StatusOK, nil)
	if status, tag := etagOf(bob, bobTag); status != 200 || tag == bobTag {
		t.Fatalf("after bob's vote: %d, ETag %q (was %q)", status, tag, bobTag)
	}
}

// Another user's profile comes from the page cache, with online as it is
// now (it changes without a commit); one's own profile holds the account.
func TestProfilesAreCachedWithOnlineNow(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	ada.CreatePost("A post by ada")
	type profile struct {
		User struct {
			Nickname string
			Email    string
		}
		PostCount int  `json:"post_count"`
		Online    bool `json:"online"`
	}
	read := func(c *forumtest.Client, inm string) (int, string, profile) {
		t.Helper()
		req, _ := http.NewRequest("GET", f.URL+"/api/users/"+ada.User.ID, nil)
		if c != nil {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p profile
		json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, resp.Header.Get("ETag"), p
	}
	for range 2 {
		status, etag, p := read(bob, "")
		if status != 200 || etag == "" || p.User.Nickname != "ada" || p.PostCount != 1 || p.Online || p.User.Email != "" {
			t.Fatalf("bob reads ada's profile: %d %q %+v", status, etag, p)
		}
		if status, _, _ := read(nil, etag); status != http.StatusNotModified {
			t.Fatalf("with its ETag: %d, want 304", status)
		}
	}
	_, offline, _ := read(nil, "")
	ws := ada.DialWS("")
	defer ws.Close()
	if !forumtest.WaitUntil(forumtest.WSWait, func() bool { _, _, p := read(nil, ""); return p.Online }) {
		t.Fatal("ada is connected, and her profile still says offline")
	}
	if status, etag, _ := read(nil, offline); status != 200 || etag == offline {
		t.Fatalf("once ada is online, the offline ETag gets %d (%q)", status, etag)
	}
	if _, _, p := read(ada, ""); p.User.Email == "" || !p.Online {
		t.Fatalf("ada's own profile: %+v, want her account and online", p)
	}
}

// The answer to a new post is the post as reads show it, field for field,
// though it is made from the event and not read back.
func TestCreatedPostIsWhatReadsShow(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	var created struct{ Post map[string]any }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "Fresh <post> & such", "body": "Body \"quoted\"\nline two",
		"categories": []string{"help", "general", "help"}}, http.StatusCreated, &created)
	var read struct{ Post map[string]any }
	ada.MustDo("GET", "/api/posts/"+created.Post["id"].(string), nil, http.StatusOK, &read)
	if fmt.Sprint(created.Post) != fmt.Sprint(read.Post) {
		t.Fatalf("the answer to the create:\n%v\nthe read right after it:\n%v", created.Post, read.Post)
	}
	if cats := fmt.Sprint(created.Post["categories"]); cats != "[help general]" {
		t.Errorf("categories %s, want [help general]", cats)
	}
}

// A kept page read before some readers' reads, whose view counts lag
// behind, carries no ETag naming the newer sequence: a client never keeps
// those counts with 304s past the lag.
func TestLaggingViewCountsAreNotLabelledNewer(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	id := ada.CreatePost("Read me")
	const path = "/api/posts?sort=latest"
	type feed struct {
		Items []struct {
			ID        string `json:"id"`
			ViewCount int    `json:"view_count"`
		}
	}
	views := func(body []byte) int {
		var page feed
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			if p.ID == id {
				return p.ViewCount
			}
		}
		t.Fatalf("post %s not in %s", id, body)
		return 0
	}
	first, body := get(t, f.URL+path)
	if views(body) != 1 || first.Header.Get("ETag") == "" { // its author's
		t.Fatalf("first read: %d views, ETag %q", views(body), first.Header.Get("ETag"))
	}
	bob.MustDo("POST", "/api/posts/"+id+"/read", map[string]any{"up_to_comment": nil}, http.StatusNoContent, nil)
	// Now a page with 1 view may be served for a while, but never
	// labelled as of the read's sequence; once labelled newer, it shows 2.
	forumtest.Eventually(t, "the view counted", func() bool {
		resp, body := get(t, f.URL+path)
		etag := resp.Header.Get("ETag")
		if views(body) == 1 {
			if etag != "" && etag != first.Header.Get("ETag") {
				t.Fatalf("a page showing 1 view is labelled %s, newer than %s", etag, first.Header.Get("ETag"))
			}
			return false
		}
		if r, _ := get(t, f.URL+path, "If-None-Match", etag); etag == "" || r.StatusCode != http.StatusNotModified {
			t.Errorf("the fresh page: ETag %q, then %d", etag, r.StatusCode)
		}
		return true
	})
}
