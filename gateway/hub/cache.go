package hub

// frameCache keeps the frames of the most recent events, bounded by count
// and bytes, so resuming connections replay them without touching the
// read models or the stream.
type frameCache struct {
	buf      []built
	start, n int
	bytes    int
	maxBytes int
	// after: the cache holds the frame of every event above this sequence
	// (up to the hub's seq).
	after uint64
}

func newFrameCache(capacity, maxBytes int, after uint64) frameCache {
	return frameCache{buf: make([]built, capacity), maxBytes: maxBytes, after: after}
}

// reset empties the cache, which is then complete after seq.
func (fc *frameCache) reset(seq uint64) {
	clear(fc.buf)
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

// since returns the frames of events in (after, upTo] that a connection of
// user that joined no room may see, oldest first; ok is false when the cache
// no longer covers all of them.
func (fc *frameCache) since(after, upTo uint64, user string) (frames []*outFrame, ok bool) {
	if after < fc.after {
		return nil, false
	}
	for i := 0; i < fc.n; i++ {
		b := fc.buf[(fc.start+i)%len(fc.buf)]
		if b.seq > after && b.seq <= upTo {
			frames = b.appendFor(frames, user)
		}
	}
	return frames, true
}
