package projections

import (
	"sync"

	"forum/events"
)

// The read models keep a few answers in memory: users' public fields, the
// categories' slugs, sessions by token hash, readers' own post votes and marks. Each
// is a memo; after every commit the projector calls afterCommit, which
// forgets what the batch changed. A value read while something was
// forgotten is not kept (it may predate the change), so a memo never
// serves what the read models no longer hold.

// memo is a bounded map of values read from the read models. weigh gives a
// value's weight (nil: 1 each); past limit in all, everything is forgotten
// and read again as needed.
type memo[K comparable, V any] struct {
	limit int
	weigh func(V) int

	mu      sync.Mutex
	gen     uint64       // moves at every forget of every value
	keyGens map[K]uint64 // by key: moves at every forget or update of its value since
	weight  int
	m       map[K]V
}

// memoToken is what get hands to put: the generations a value was read
// in, so that a value read while its key was forgotten is not kept. A key
// forgotten does not stop values of other keys read meanwhile from being
// kept: one reader's marks moving at every page they read leave the
// others' to be kept.
type memoToken struct{ gen, key uint64 }

// maxKeyGens bounds the keys whose generations a memo tracks: past it, it
// starts again from a new generation of every value.
const maxKeyGens = 100_000

// get returns the value of k if kept, and the token to hand to put.
func (c *memo[K, V]) get(k K) (v V, tok memoToken, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok = c.m[k]
	return v, memoToken{c.gen, c.keyGens[k]}, ok
}

// put keeps v for k, unless k was forgotten since get gave tok.
func (c *memo[K, V]) put(tok memoToken, k K, v V) {
	w := c.weightOf(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != tok.gen || c.keyGens[k] != tok.key || w > c.limit {
		return
	}
	if old, ok := c.m[k]; ok {
		c.weight -= c.weightOf(old)
	}
	if c.m == nil || c.weight+w > c.limit {
		c.m, c.weight = map[K]V{}, 0
	}
	c.m[k] = v
	c.weight += w
}

// keep keeps v for k: a value that never goes stale, kept as room allows.
func (c *memo[K, V]) keep(k K, v V) {
	_, tok, _ := c.get(k)
	c.put(tok, k, v)
}

// forget drops the values of keys, or every value when none are given.
func (c *memo[K, V]) forget(keys ...K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(keys) == 0 {
		c.gen++
		c.m, c.weight, c.keyGens = nil, 0, nil
		return
	}
	for _, k := range keys {
		c.moved(k)
		if old, ok := c.m[k]; ok {
			c.weight -= c.weightOf(old)
			delete(c.m, k)
		}
	}
}

// update changes the value kept for k, if any, in place with change (which
// must hold the value's own lock if others read it meanwhile); a value of k
// read before is not kept.
func (c *memo[K, V]) update(k K, change func(V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.moved(k)
	v, ok := c.m[k]
	if !ok {
		return
	}
	before := c.weightOf(v)
	change(v)
	c.weight += c.weightOf(v) - before
	if c.weight > c.limit {
		c.m, c.weight = nil, 0
	}
}

// moved notes that the value of k changed: c.mu held.
func (c *memo[K, V]) moved(k K) {
	if c.keyGens == nil || len(c.keyGens) >= maxKeyGens {
		c.gen++
		c.keyGens = map[K]uint64{}
	}
	c.keyGens[k]++
}

func (c *memo[K, V]) weightOf(v V) int {
	if c.weigh == nil {
		return 1
	}
	return c.weigh(v)
}

// memos are the read models' memos.
type memos struct {
	users      memo[string, User]              // by id: forgotten when a role changes or a user is erased
	categories memo[struct{}, map[string]bool] // the slugs
	sessions   memo[string, Session]           // by token hash
	votes      memo[string, map[string]int]    // by user: post id → vote
	marks      memo[string, *readerMarks]      // by user: their watch levels, bookmarks, reactions
	standings  memo[string, Standing]          // by user: forgotten on every role, suspension, block or erasure
	// rendered is the HTML of the bodies of the posts created lately, as
	// the projector rendered them, by their event's sequence (FreshPost).
	rendered memo[uint64, string]
}

func newMemos() *memos {
	return &memos{
		users:      memo[string, User]{limit: 10000},
		categories: memo[struct{}, map[string]bool]{limit: 1},
		sessions:   memo[string, Session]{limit: 10000},
		standings:  memo[string, Standing]{limit: 10000},
		votes:      memo[string, map[string]int]{limit: maxVoteSetTotal, weigh: func(v map[string]int) int { return max(1, len(v)) }},
		marks:      memo[string, *readerMarks]{limit: maxMarkSetTotal, weigh: (*readerMarks).weight},
		rendered:   memo[uint64, string]{limit: 8 << 20, weigh: func(html string) int { return max(1, len(html)) }},
	}
}

// forgetAll forgets every value: the read models were replaced by others
// that stand at another event (a load at start).
func (m *memos) forgetAll() {
	m.users.forget()
	m.categories.forget()
	m.sessions.forget()
	m.votes.forget()
	m.marks.forget()
	m.standings.forget()
}

// afterCommit forgets what a committed batch changed: the memos each
// event's registration says it makes stale (handlers.go); it moves the
// kept read positions the batch moved (postRead noted them in reads); and
// it keeps the bodies the batch rendered for new posts.
func (m *memos) afterCommit(batch []events.Event, rendered map[uint64]string, reads []readMove) {
	for seq, html := range rendered {
		m.rendered.keep(seq, html)
	}
	for _, r := range reads {
		m.marks.update(r.user, func(rm *readerMarks) { rm.moveRead(r.post, r.upTo) })
	}
	var stale [memoCount]bool
	var voters, markers []string
	for _, ev := range batch {
		h, ok := handlers[ev.Type]
		if !ok {
			continue
		}
		for _, id := range h.forgets {
			stale[id] = true
		}
		if h.voter != nil {
			if payload, err := h.decode(ev); err == nil {
				voters = append(voters, h.voter(payload))
			}
		}
		if h.marker != nil {
			if payload, err := h.decode(ev); err == nil {
				markers = append(markers, h.marker(payload))
			}
		}
	}
	if stale[memoSessions] {
		m.sessions.forget()
	}
	if stale[memoCategories] {
		m.categories.forget()
	}
	if stale[memoUsers] {
		m.users.forget()
	}
	if stale[memoStandings] {
		m.standings.forget()
	}
	if voters != nil {
		m.votes.forget(voters...)
	}
	if markers != nil {
		m.marks.forget(markers...)
	}
}
