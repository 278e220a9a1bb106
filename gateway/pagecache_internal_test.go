package gateway

import (
	"strconv"
	"strings"
	"testing"
)

// The page cache keeps one sequence's answers, within its bounds.
func TestPageCacheBounds(t *testing.T) {
	var c pageCache
	page := &cachedPage{body: []byte("{}")}
	for i := range 2 * pageCacheEntries {
		c.put(7, "/api/posts?cursor="+strconv.Itoa(i), page)
	}
	if len(c.entries) != pageCacheEntries {
		t.Errorf("%d entries, want at most %d", len(c.entries), pageCacheEntries)
	}
	c.put(7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes), page)
	if c.get(7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes)) != nil {
		t.Error("an over-long key was kept")
	}
	if c.get(8, "/api/posts?cursor=1") != nil || c.get(7, "/api/posts?cursor=1") == nil {
		t.Error("an answer of sequence 7 is not found at 7 only")
	}
	c.put(8, "/api/posts", &cachedPage{body: make([]byte, pageCacheBytes)})
	if len(c.entries) != 0 || c.get(7, "/api/posts?cursor=1") != nil {
		t.Errorf("a new sequence kept %d entries of the old one, or took an over-large page", len(c.entries))
	}
}
