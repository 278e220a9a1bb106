package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// One user's burst of Markdown bombs (a post of 19,999 ">" then "a", forty
// times) leaves the forum healthy: every post nests 16 quotes at most, its
// HTML is at most 8 times its body, and the feed's page stays that small.
func TestBurstOfMarkdownBombs(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	bomb := strings.Repeat(">", 19999) + "a"
	for range 40 {
		ada.MustDo("POST", "/api/posts", map[string]any{"title": "Bomb", "body": bomb, "categories": []string{"general"}}, http.StatusCreated, nil)
	}
	var health struct{ Status string }
	f.Anon().MustDo("GET", "/api/health", nil, http.StatusOK, &health)
	if health.Status != "ok" {
		t.Errorf("health after the burst: %q, want ok", health.Status)
	}
	status, raw := f.Anon().Do("GET", "/api/posts?limit=20", nil)
	if limit := 20 * (len(bomb) + 8*len(bomb) + 2000); status != http.StatusOK || len(raw) > limit {
		t.Errorf("the feed's page: %d, %d bytes; want 200 within %d", status, len(raw), limit)
	}
	var page struct{ Items []projections.Post }
	ada.MustDo("GET", "/api/posts?limit=20", nil, http.StatusOK, &page)
	for _, p := range page.Items {
		if n := strings.Count(p.BodyHTML, "<blockquote>"); n > 16 || len(p.BodyHTML) > 8*len(bomb) {
			t.Fatalf("a bomb renders %d quotes deep in %d bytes", n, len(p.BodyHTML))
		}
	}
}
