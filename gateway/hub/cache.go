package hub

import "sort"

// frameCache keeps the frames of the most recent events, bounded by count
// and bytes, so resuming connections replay them without touching the
// read models or the stream.
//
// A cached frame shows its item as it was when it was built. When a later
// event changes what the API shows of it (a hide, an edit, a deletion, a
// purge, an erasure), the cache remembers the key of what changed and at
// which sequence (changes); a resume builds every frame that shows such a
// key and is older than the change again from the read models, so it
// replays the item as the API shows it now, never its text as it was.
type frameCache struct {
	buf      []built
	start, n int
	bytes    int
	maxBytes int
	// after: the cache holds the frame of every event above this sequence
	// (up to the hub's seq).
	after uint64
	// changes: the sequence of the latest event that changed what the
	// frames showing each key show; at most len(buf) keys.
	changes map[string]uint64
}

// staleEntry is a cached event to build again before it is replayed: it
// comes before frames[at] of what since returned.
type staleEntry struct {
	at  int
	seq uint64
	src source
}

func newFrameCache(capacity, maxBytes int, after uint64) frameCache {
	return frameCache{buf: make([]built, capacity), maxBytes: maxBytes, after: after, changes: map[string]uint64{}}
}

// reset empties the cache, which is then complete after seq.
func (fc *frameCache) reset(seq uint64) {
	clear(fc.buf)
	clear(fc.changes)
	fc.start, fc.n, fc.bytes, fc.after = 0, 0, 0, seq
}

func (fc *frameCache) add(b built) {
	size := b.size()
	for fc.n > 0 && (fc.n == len(fc.buf) || fc.bytes+size > fc.maxBytes) {
		old := fc.buf[fc.start]
		fc.bytes -= old.size()
		fc.after = old.seq
		fc.buf[fc.start] = built{}
		fc.start = (fc.start + 1) % len(fc.buf)
		fc.n--
	}
	fc.buf[(fc.start+fc.n)%len(fc.buf)] = b
	fc.n++
	fc.bytes += size
}

// changed records that the event at seq changed what the frames showing
// keys show. Changes older than every cached frame are forgotten; if more
// keys than the cache holds frames changed within its span, the cache is
// emptied (resumes from before then read the stream).
func (fc *frameCache) changed(keys []string, seq uint64) {
	if len(keys) == 0 {
		return
	}
	for _, k := range keys {
		fc.changes[k] = seq
	}
	if len(fc.changes) < len(fc.buf) {
		return
	}
	for k, s := range fc.changes {
		if s <= fc.after {
			delete(fc.changes, k)
		}
	}
	if len(fc.changes) > len(fc.buf)/2 {
		fc.reset(seq)
	}
}

// stale reports whether something b shows changed after it was built, or
// is among pending.
func (fc *frameCache) stale(b *built, pending map[string]bool) bool {
	for _, k := range b.keys {
		if s, ok := fc.changes[k]; (ok && s > b.fresh) || pending[k] {
			return true
		}
	}
	return false
}

// since returns what a connection of user that has joined no room is shown
// of the events in (after, upTo], oldest first: the frames as cached, and
// among them the events to build again first (stale: something they show
// changed since they were built, or is among pending, changes the cache
// has not heard of yet). ok is false when the cache no longer covers all
// of them.
func (fc *frameCache) since(after, upTo uint64, user string, pending map[string]bool) (frames []*outFrame, stale []staleEntry, ok bool) {
	if after < fc.after {
		return nil, nil, false
	}
	for i := 0; i < fc.n; i++ {
		b := &fc.buf[(fc.start+i)%len(fc.buf)]
		if b.seq <= after || b.seq > upTo {
			continue
		}
		if !fc.stale(b, pending) {
			frames = b.appendFor(frames, user)
		} else if b.shows(user) || b.frame == nil && b.src.typ != "" {
			// (one that showed nothing, its thread hidden, may show now)
			stale = append(stale, staleEntry{at: len(frames), seq: b.seq, src: b.src})
		}
	}
	return frames, stale, true
}

// refresh puts b, built again from read models that had reached fresh, in
// the place of the cached frames of its event, unless they are gone or
// fresher.
func (fc *frameCache) refresh(b built, fresh uint64) {
	i := sort.Search(fc.n, func(i int) bool { return fc.buf[(fc.start+i)%len(fc.buf)].seq >= b.seq })
	if i == fc.n {
		return
	}
	old := &fc.buf[(fc.start+i)%len(fc.buf)]
	if old.seq != b.seq || old.fresh >= fresh {
		return
	}
	b.fresh, b.changes = fresh, old.changes
	fc.bytes += b.size() - old.size()
	*old = b
}
