package commands

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// The bounds of the cache of opened pictures, by default.
const (
	// DefaultMediaCacheBytes is what the opened pictures kept weigh at most
	// in all.
	DefaultMediaCacheBytes = 64 << 20
	// DefaultMediaCacheEntry is the largest picture kept: a larger one is
	// opened again for each request, so one huge picture never pushes out
	// many popular small ones.
	DefaultMediaCacheEntry = 4 << 20
)

// mediaCache keeps opened (decrypted) pictures so that a popular one is
// opened once, not once a request: at most max bytes in all, none over
// maxEntry, the least recently served going first. It holds no right to
// read: ReadMedia asks the read models whether the upload is kept before
// it looks here, and drops what they no longer keep.
//
// A byte-bounded LRU is a list and a map; the libraries at hand bound
// entries by count, not by weight, so it is written here.
type mediaCache struct {
	max, maxEntry int64

	mu    sync.Mutex
	size  int64
	order *list.List               // of *cachedMedia, most recently served first
	byKey map[string]*list.Element // by object name

	hits, misses atomic.Uint64
}

type cachedMedia struct {
	key string
	obj MediaObject
}

// newMediaCache returns a cache of max bytes (none when max ≤ 0) keeping
// pictures of at most maxEntry bytes.
func newMediaCache(max, maxEntry int64) *mediaCache {
	return &mediaCache{max: max, maxEntry: min(maxEntry, max), order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the picture kept as key and counts a hit or a miss.
func (c *mediaCache) get(key string) (MediaObject, bool) {
	c.mu.Lock()
	e, ok := c.byKey[key]
	if ok {
		c.order.MoveToFront(e)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return MediaObject{}, false
	}
	c.hits.Add(1)
	return e.Value.(*cachedMedia).obj, true
}

// put keeps obj as key if it is small enough, making room by dropping the
// least recently served.
func (c *mediaCache) put(key string, obj MediaObject) {
	n := int64(len(obj.Data))
	if n > c.maxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	for c.size+n > c.max {
		c.removeLocked(c.order.Back())
	}
	c.byKey[key] = c.order.PushFront(&cachedMedia{key: key, obj: obj})
	c.size += n
}

// drop forgets the pictures kept as keys.
func (c *mediaCache) drop(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.byKey[k]; ok {
			c.removeLocked(e)
		}
	}
}

func (c *mediaCache) removeLocked(e *list.Element) {
	m := c.order.Remove(e).(*cachedMedia)
	delete(c.byKey, m.key)
	c.size -= int64(len(m.obj.Data))
}

// MediaCacheStats is what the cache of opened pictures holds and has done.
type MediaCacheStats struct {
	// Hits and Misses count the pictures served from the cache and those
	// opened from the store.
	Hits, Misses uint64
	// Entries and Bytes are the pictures kept and what they weigh.
	Entries int
	Bytes   int64
}

// MediaCacheStats returns what the cache of opened pictures holds and has
// done since the service started.
func (s *Service) MediaCacheStats() MediaCacheStats {
	c := s.mediaCache
	c.mu.Lock()
	defer c.mu.Unlock()
	return MediaCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.byKey), Bytes: c.size}
}
