package commands

import (
	"fmt"
	"testing"
)

// The cache of opened pictures weighs at most its bound, keeps no picture
// over its entry bound, and lets the least recently served go first.
func TestMediaCacheBounds(t *testing.T) {
	t.Parallel()
	c := newMediaCache(100, 40)
	obj := func(n int) MediaObject { return MediaObject{Type: "image/png", Data: make([]byte, n)} }
	for i := range 3 {
		c.put(fmt.Sprint(i), obj(30)) // 90 bytes
	}
	c.put("huge", obj(41))
	if _, ok := c.get("huge"); ok {
		t.Error("a picture over the entry bound is kept")
	}
	if _, ok := c.get("0"); !ok { // 0 is now the most recently served
		t.Fatal("a picture within the bounds is not kept")
	}
	c.put("3", obj(30)) // 120 > 100: the least recently served (1) goes
	for key, want := range map[string]bool{"0": true, "1": false, "2": true, "3": true} {
		if _, ok := c.get(key); ok != want {
			t.Errorf("%s kept: %v, want %v", key, ok, want)
		}
	}
	if c.size != 90 || len(c.byKey) != 3 || c.order.Len() != 3 {
		t.Errorf("size %d, %d entries, %d in order", c.size, len(c.byKey), c.order.Len())
	}
	c.drop("0", "2", "absent")
	if _, ok := c.get("0"); ok || c.size != 30 {
		t.Errorf("after drops: size %d", c.size)
	}
	if c.hits.Load() == 0 || c.misses.Load() == 0 {
		t.Errorf("%d hits, %d misses", c.hits.Load(), c.misses.Load())
	}

	off := newMediaCache(-1, DefaultMediaCacheEntry)
	off.put("a", obj(1))
	if _, ok := off.get("a"); ok || off.size != 0 {
		t.Error("a cache of no bytes keeps a picture")
	}
}
