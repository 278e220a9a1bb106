package hub

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"forum/events"
	"forum/projections"
)

// replayTimeout bounds a resume's replay; a client that takes longer to
// read it gets resync.
const replayTimeout = 30 * time.Second

// parseAfter reads ?after=SEQ: resume is false without it (or with it
// empty), and a value that is not a sequence number is a validation error.
func parseAfter(r *http.Request) (after uint64, resume bool, err error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, events.FieldError(events.EINVALID, "after", "after must be a stream sequence number (the seq of the last frame seen)")
	}
	return n, true, nil
}

// open registers c at a known stream sequence, the hub's seq, and queues
// its hello. A fresh connection then gets live every event after the
// projector's sequence at connect (the hello's seq). A resuming one
// (?after=SEQ) first gets, in order, the frames of every event in
// (SEQ, boundary] that its user may see (posts, comments, votes, edits,
// deletes, their own direct messages and reads; rooms it has not joined
// yet), while live frames above the boundary wait behind them: nothing is
// missed and nothing comes twice. A resume further back than maxReplay
// events gets resync instead. open returns false when the hub has shut down.
func (h *Hub) open(c *conn, account projections.User, after uint64, resume bool) bool {
	head := h.feed.Seq()
	resync := false
	if resume && after > head {
		after = h.clampToStream(after, head)
	}
	if resume && head > after && head-after > h.maxReplay.Load() {
		resume, resync = false, true
	}
	if !resume {
		after = head
	}
	c.blocked = map[string]struct{}{}
	if ids, err := h.read.BlockedIDs(c.ctx, c.user.ID); err == nil {
		for _, id := range ids {
			c.blocked[id] = struct{}{}
		}
	}

	h.mu.Lock()
	if !h.add(c) {
		h.mu.Unlock()
		return false
	}
	boundary := h.seq
	c.liveAfter = max(after, boundary)
	c.push(h.newFrame("hello", 0, helloFrame{Type: "hello", User: account, Seq: head, Online: h.presence.OnlineUsers(), ReadOnly: h.readOnly}))
	if resync {
		c.push(h.newFrame("resync", 0, resyncFrame{Type: "resync"}))
	}
	replay := resume && after < boundary
	var frames []*outFrame
	cached := false
	if replay {
		frames, cached = h.recent.since(after, boundary, c.user.ID)
		c.queue.hold()
	}
	h.mu.Unlock()
	if !replay {
		return true
	}

	ctx, cancel := context.WithTimeout(c.ctx, replayTimeout)
	defer cancel()
	var err error
	if cached {
		for _, f := range frames {
			if h.blockedFor(c, f) {
				continue
			}
			if err = c.queue.pushWait(ctx, f, c.closing, c.startWriter); err != nil {
				break
			}
		}
	} else {
		err = h.readEvents(ctx, after, boundary, func(ev events.Event) error {
			for _, f := range h.build(ctx, ev).appendFor(nil, c.user.ID) {
				if h.blockedFor(c, f) {
					continue
				}
				if err := c.queue.pushWait(ctx, f, c.closing, c.startWriter); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		if c.ctx.Err() != nil || errors.Is(err, errConnGone) {
			return true // the connection is going anyway
		}
		h.log.Warn("websocket resume failed: sending resync", "user", c.user.ID, "after", after, "err", err)
		if c.queue.pushWait(c.ctx, h.newFrame("resync", 0, resyncFrame{Type: "resync"}), c.closing, c.startWriter) != nil {
			return true
		}
	}
	start, ok := c.queue.release()
	if !ok {
		c.drop()
	}
	if start {
		c.startWriter()
	}
	return true
}

// clampToStream returns after, or the stream's head if after is beyond it
// (a resume from another instance's later sequence is kept as it is).
func (h *Hub) clampToStream(after, head uint64) uint64 {
	if h.stream == nil {
		return head
	}
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
	defer cancel()
	last, err := h.stream.LastSeq(ctx)
	if err != nil {
		return head
	}
	return min(after, max(last, head))
}

// readEvents calls fn with every committed event in (after, upTo], in
// order: from the projector's in-memory feed while it has them, else from
// the stream. upTo must be applied already.
func (h *Hub) readEvents(ctx context.Context, after, upTo uint64, fn func(events.Event) error) error {
	for after < upTo {
		evs, ok := h.feed.Since(after, 1000)
		if !ok {
			return h.readStream(ctx, after, upTo, fn)
		}
		if len(evs) == 0 {
			return nil
		}
		for _, ev := range evs {
			if ev.Seq > upTo {
				return nil
			}
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
	}
	return nil
}

func (h *Hub) readStream(ctx context.Context, after, upTo uint64, fn func(events.Event) error) error {
	if h.stream == nil {
		return errors.New("events gone from memory and no stream to read them from")
	}
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	f, err := h.stream.Follow(ctx, after+1)
	if err != nil {
		return err
	}
	defer f.Stop()
	for after < upTo {
		ev, err := f.Next(ctx)
		if err != nil {
			return err
		}
		if ev.Seq > upTo {
			return nil
		}
		if err := fn(ev); err != nil {
			return err
		}
		after = ev.Seq
	}
	return nil
}

// blockedFor reports whether f shows what a user c's user blocks wrote (a
// replayed frame: live ones are checked in send, under the same lock).
func (h *Hub) blockedFor(c *conn, f *outFrame) bool {
	if f.author == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, blocked := c.blocked[f.author]
	return blocked
}
