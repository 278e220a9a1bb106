package gateway_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// At most four searches run at once: with every slot taken, one more waits
// briefly, then answers 503 unavailable with Retry-After; once a slot
// frees up, searches answer again.
func TestSearchesBeyondTheLimitAnswer503(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	release := f.GW.HoldSearchSlots()
	wantRefusal(t, f.URL+"/api/search?q=anything", "a fifth search", http.StatusServiceUnavailable, "unavailable")
	release()
	f.Anon().MustDo("GET", "/api/search?q=anything", nil, http.StatusOK, nil)
}

// wantRefusal gets url and wants it refused with status, Retry-After in
// whole seconds >= 1, and an error of code with a message.
func wantRefusal(t *testing.T, url, what string, status int, code string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != status || err != nil || n < 1 {
		t.Errorf("%s: %d, Retry-After %q; want %d with whole seconds >= 1", what, resp.StatusCode, resp.Header.Get("Retry-After"), status)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("%s: error %+v, want code %s with a message", what, body.Error, code)
	}
}

// One client address runs at most two searches at once: with both its
// slots held, its next search answers 429 rate_limited with Retry-After at
// once, while a search from another address is served; once its searches
// end, it searches again.
func TestSearchesOfOneClientBeyondItsShareAnswer429(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	release := f.GW.HoldClientSearchSlots("127.0.0.1")
	wantRefusal(t, f.URL+"/api/search?q=anything", "a third search from one address", http.StatusTooManyRequests, "rate_limited")
	// Another address on the loopback network: 127.0.0.2.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	other := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer other.CloseIdleConnections()
	resp, err := other.Get(f.URL + "/api/search?q=anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a search from another address: %d, want 200", resp.StatusCode)
	}
	release()
	f.Anon().MustDo("GET", "/api/search?q=anything", nil, http.StatusOK, nil)
}

// Search never shows a reader what a user they block wrote: their posts,
// their comments, comments under their posts, and their room messages;
// others still find all of it.
func TestSearchLeavesOutBlockedUsers(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	var mine, theirs struct{ Post projections.Post }
	bob.MustDo("POST", "/api/posts", map[string]any{"title": "Animals", "body": "Which okapi is yours?", "categories": []string{"general"}}, http.StatusCreated, &mine)
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "Okapi facts", "body": "Okapis are shy.", "categories": []string{"general"}}, http.StatusCreated, &theirs)
	ada.MustDo("POST", "/api/posts/"+mine.Post.ID+"/comments", map[string]any{"body": "My okapi is the tall one"}, http.StatusCreated, nil)
	cyd.MustDo("POST", "/api/posts/"+theirs.Post.ID+"/comments", map[string]any{"body": "Okapi stripes!"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/rooms/zoo/join", nil, http.StatusNoContent, nil)
	ada.MustDo("POST", "/api/rooms/zoo/messages", map[string]any{"body": "an okapi in the zoo room"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/rooms/zoo/messages", map[string]any{"body": "which okapi?"}, http.StatusCreated, nil)

	count := func(c *forumtest.Client, query string) (n int, byAda bool) {
		t.Helper()
		var page struct{ Items []projections.SearchResult }
		c.MustDo("GET", "/api/search?"+query, nil, http.StatusOK, &page)
		for _, r := range page.Items {
			switch {
			case r.Message != nil:
				byAda = byAda || r.Message.From.ID == ada.User.ID
			case r.Comment != nil:
				byAda = byAda || r.Comment.Author.ID == ada.User.ID || r.Post.Author.ID == ada.User.ID
			default:
				byAda = byAda || r.Post.Author.ID == ada.User.ID
			}
		}
		return len(page.Items), byAda
	}
	if n, _ := count(bob, "q=okapi"); n != 4 {
		t.Fatalf("before the block bob finds %d posts and comments, want 4", n)
	}
	bob.MustDo("PUT", "/api/users/"+ada.User.ID+"/block", nil, http.StatusNoContent, nil)
	if n, byAda := count(bob, "q=okapi"); n != 1 || byAda {
		t.Errorf("bob, who blocks ada, finds %d posts and comments (ada's among them: %v), want only his own post", n, byAda)
	}
	if n, byAda := count(bob, "q=okapi&in=messages"); n != 1 || byAda {
		t.Errorf("bob, who blocks ada, finds %d room messages (ada's among them: %v), want only his own", n, byAda)
	}
	for name, c := range map[string]*forumtest.Client{"anonymous": f.Anon(), "cyd": cyd} {
		if n, _ := count(c, "q=okapi"); n != 4 {
			t.Errorf("%s finds %d posts and comments, want all 4", name, n)
		}
	}
}
