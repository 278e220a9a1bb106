package gateway_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// send a JSON write with an Idempotency-Key as c, returning the status,
// whether it was a replay, and the body.
func idemDo(t *testing.T, c *forumtest.Client, base, method, path, key string, body any) (int, bool, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, jsonBody(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", b.String()
}

// A write retried with its Idempotency-Key, on this instance or another,
// gets the first answer and happens once; the key with another body is a
// conflict; another user's key is another write.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	post := map[string]any{"title": "Once", "body": "only once", "categories": []string{"general"}}
	s1, r1, b1 := idemDo(t, ada, f.URL, "POST", "/api/posts", "k-1", post)
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	s2, r2, b2 := idemDo(t, ada, g.URL, "POST", "/api/posts", "k-1", post)
	if s1 != http.StatusCreated || s2 != s1 || b2 != b1 || r1 || !r2 {
		t.Errorf("first %d (replayed %v), retry on another instance %d (replayed %v); bodies equal: %v", s1, r1, s2, r2, b1 == b2)
	}
	other := map[string]any{"title": "Other", "body": "x", "categories": []string{"general"}}
	if s, _, body := idemDo(t, ada, f.URL, "POST", "/api/posts", "k-1", other); s != http.StatusConflict {
		t.Errorf("the key with another body: %d %s, want 409", s, body)
	}
	if s, r, _ := idemDo(t, bob, f.URL, "POST", "/api/posts", "k-1", post); s != http.StatusCreated || r {
		t.Errorf("another user's key: %d (replayed %v), want a new 201", s, r)
	}
	var feed projections.Page[projections.Post]
	ada.MustDo("GET", "/api/posts", nil, http.StatusOK, &feed)
	if n := len(feed.Items); n != 2 {
		t.Errorf("%d posts, want 2 (ada's once, bob's)", n)
	}
	if s, _, _ := idemDo(t, ada, f.URL, "POST", "/api/posts", strings.Repeat("k", 65), post); s != http.StatusBadRequest {
		t.Errorf("a 65-character key: %d, want 400", s)
	}
	// A vote retried with its key is set once (its event is in the log once).
	before, _ := f.Store.LastSeq(context.Background())
	for range 3 {
		if s, _, body := idemDo(t, bob, f.URL, "PUT", "/api/posts/"+feed.Items[1].ID+"/vote", "v-1", map[string]int{"value": 1}); s != http.StatusOK {
			t.Fatalf("vote: %d %s", s, body)
		}
	}
	if after, _ := f.Store.LastSeq(context.Background()); after != before+1 {
		t.Errorf("three tries of one vote appended %d events, want 1", after-before)
	}
}

// A write whose first attempt landed but got no definite answer is found
// again by its retry: the commands' message ids derive from user and key.
func TestRetryFindsWhatLanded(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	ctx := commands.WithIdempotencyKey(forumtest.Context(t), events.UserID(ada.User.ID), "k")
	in := commands.PostInput{Title: "t", Body: "b", Categories: []string{"general"}}
	created, err := f.Cmds.CreatePost(ctx, events.UserID(ada.User.ID), in)
	id1 := created.ID
	if err != nil {
		t.Fatal(err)
	}
	retried, err := f.Cmds.CreatePost(commands.WithIdempotencyKey(forumtest.Context(t), events.UserID(ada.User.ID), "k"), events.UserID(ada.User.ID), in)
	id2 := retried.ID
	if err != nil || id2 != id1 {
		t.Errorf("retry: %s, %v; want the first attempt's post %s", id2, err, id1)
	}
}

// Stored but not yet in this instance's read models within the wait: 202
// with the new object's id, never 500.
func TestStoredButNotYetVisible(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.WaitTimeout = 200 * time.Millisecond }})
	ada := f.SignUp("ada")
	f.StopProjector()
	status, body := ada.Do("POST", "/api/posts", map[string]any{"title": "t", "body": "b", "categories": []string{"general"}})
	if status != http.StatusAccepted || !bytes.Contains(body, []byte(`"id":"`)) {
		t.Errorf("a post the read models do not show yet: %d %s, want 202 with its id", status, body)
	}
}
