package projections

import (
	"sort"

	"forum/events"
)

// ring keeps the most recent committed events, bounded by count and by bytes,
// so live connections and resuming clients read them without the stream.
type ring struct {
	buf      []events.Event
	start    int // index of the oldest event
	n        int
	bytes    int
	maxBytes int
}

func newRing(capacity, maxBytes int) ring {
	return ring{buf: make([]events.Event, capacity), maxBytes: maxBytes}
}

func size(ev events.Event) int { return len(ev.Data) + len(ev.Subject) + 128 }

func (r *ring) push(ev events.Event) {
	for r.n > 0 && (r.n == len(r.buf) || r.bytes+size(ev) > r.maxBytes) {
		r.bytes -= size(r.buf[r.start])
		r.buf[r.start] = events.Event{}
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.start+r.n)%len(r.buf)] = ev
	r.n++
	r.bytes += size(ev)
}

// since returns up to max events with a sequence above after. ok is false if
// events between after and the oldest kept one are gone. last is the newest
// applied sequence: when after >= last there is nothing to return.
func (r *ring) since(after, last uint64, max int) ([]events.Event, bool) {
	if after >= last {
		return nil, true
	}
	// Stream sequences have no holes: unless the oldest kept event is
	// after+1 or older, some were dropped.
	if r.n == 0 || r.buf[r.start].Seq > after+1 {
		return nil, false
	}
	// Sequences rise through the ring: find the first one after after.
	first := sort.Search(r.n, func(i int) bool { return r.at(i).Seq > after })
	out := make([]events.Event, 0, min(max, r.n-first))
	for i := first; i < r.n && len(out) < max; i++ {
		out = append(out, r.at(i))
	}
	return out, true
}

// at returns the i-th oldest event kept.
func (r *ring) at(i int) events.Event { return r.buf[(r.start+i)%len(r.buf)] }
