package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"forum/events"
	"forum/fault"
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
		return 0, false, fault.FieldError(fault.EINVALID, "after", "after must be a stream sequence number (the seq of the last frame seen)")
	}
	return n, true, nil
}

// open registers c at a known stream sequence, the hub's seq, and queues
// its hello. A fresh connection then gets live every event after the
// projector's sequence at connect (the hello's seq). A resuming one
// (?after=SEQ) first gets, in order, the frames of every event in
// (SEQ, boundary] that its user may see (posts, comments, votes, edits,
// deletes, their own direct messages and reads; rooms it has not joined
// yet), each showing its item as the API shows it at the resume (hidden,
// deleted or erased text never comes back) and none of what a user it
// blocks wrote, while live frames above the boundary wait behind them:
// nothing is missed and nothing comes twice. A resume further back than
// maxReplay events gets resync instead. open returns false when the hub
// has shut down.
func (h *Hub) open(c *conn, account projections.User, after uint64, resume bool) bool {
	head := h.feed.Seq()
	after, resume, resync := h.resumePoint(after, resume, head)
	h.loadBlocked(c)
	var pending map[string]bool
	cacheable := false
	if resume {
		pending, cacheable = h.pendingChanges(head)
	}

	h.mu.Lock()
	if !h.add(c) {
		h.mu.Unlock()
		return false
	}
	boundary := h.seq
	c.liveAfter = max(after, boundary)
	c.push(h.newFrame(frameHello, 0, helloFrame{Type: frameHello, User: account, Seq: head, Online: h.presence.OnlineUsers(), ReadOnly: h.readOnly}))
	if resync {
		c.push(h.newFrame(frameResync, 0, resyncFrame{Type: frameResync}))
	}
	replay := resume && after < boundary
	var frames []*outFrame
	var stale []staleEntry
	cached := false
	if replay {
		if cacheable {
			frames, stale, cached = h.recent.since(after, boundary, c.user.ID, pending)
		}
		c.queue.hold()
	}
	h.mu.Unlock()
	if replay {
		h.replayMissed(c, after, boundary, func(ctx context.Context) error {
			if cached {
				return h.replayCached(ctx, c, frames, stale, boundary)
			}
			return h.readEvents(ctx, after, boundary, func(ev events.Event) error {
				return h.replay(ctx, c, h.build(ctx, ev).appendFor(nil, c.user.ID))
			})
		})
	}
	return true
}

// resumePoint returns where a connection asking for after (resume) starts,
// the projector being at head: a resume from beyond the stream starts at
// its end, and one further back than maxReplay is no resume but a resync.
func (h *Hub) resumePoint(after uint64, resume bool, head uint64) (uint64, bool, bool) {
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
	return after, resume, resync
}

// loadBlocked reads whom c's user blocks.
func (h *Hub) loadBlocked(c *conn) {
	c.blocked = map[string]struct{}{}
	if ids, err := h.read.BlockedIDs(c.ctx, events.UserID(c.user.ID)); err == nil {
		for _, id := range ids {
			c.blocked[id] = struct{}{}
		}
	}
}

// pendingChanges returns what the events the read models have applied up
// to head, but the hub has not fanned out yet, change in frames built
// before them (the cache has not heard of those changes); ok is false when
// the change feed no longer has those events.
func (h *Hub) pendingChanges(head uint64) (keys map[string]bool, ok bool) {
	h.mu.Lock()
	from := h.seq
	h.mu.Unlock()
	keys = map[string]bool{}
	for from < head {
		evs, ok := h.feed.Since(from, 1000)
		if !ok {
			return nil, false
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			for _, k := range changesOf(ev) {
				keys[k] = true
			}
			from = ev.Seq
		}
	}
	return keys, true
}

// replayMissed runs a resume's replay (its live frames held meanwhile),
// then lets the live frames go. A replay that fails sends resync.
func (h *Hub) replayMissed(c *conn, after, boundary uint64, replay func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(c.ctx, replayTimeout)
	defer cancel()
	if err := replay(ctx); err != nil {
		if c.ctx.Err() != nil || errors.Is(err, errConnGone) {
			return // the connection is going anyway
		}
		h.log.Warn("websocket resume failed: sending resync", "user", c.user.ID, "after", after, "boundary", boundary, "err", err)
		if c.queue.pushWait(c.ctx, h.newFrame(frameResync, 0, resyncFrame{Type: frameResync}), c.closing, c.startWriter) != nil {
			return
		}
	}
	start, ok := c.queue.release()
	if !ok {
		c.drop()
	}
	if start {
		c.startWriter()
	}
}

// replay queues frames to c, but those of a user c's user blocks.
func (h *Hub) replay(ctx context.Context, c *conn, frames []*outFrame) error {
	for _, f := range frames {
		f, blocked := h.blockedFor(c, f)
		if blocked {
			continue
		}
		if err := c.queue.pushWait(ctx, f, c.closing, c.startWriter); err != nil {
			return err
		}
	}
	return nil
}

// replayCached replays what the cache gave for a resume up to boundary:
// its frames, and in their places the stale events built again from the
// read models (which have reached boundary), so an item hidden, deleted or
// erased since its frame was cached is replayed as the API shows it now.
// What is built again goes back to the cache for the next resume.
func (h *Hub) replayCached(ctx context.Context, c *conn, frames []*outFrame, stale []staleEntry, boundary uint64) error {
	at := 0
	for _, s := range stale {
		if err := h.replay(ctx, c, frames[at:s.at]); err != nil {
			return err
		}
		at = s.at
		b, err := h.shown(ctx, s.seq, s.src)
		if err != nil && fault.Code(err) != fault.ENOTFOUND {
			return fmt.Errorf("build the frame of %d again: %w", s.seq, err)
		}
		if err != nil {
			b = built{seq: s.seq} // gone: nothing to show
		}
		h.mu.Lock()
		h.recent.refresh(b, boundary)
		h.mu.Unlock()
		if err := h.replay(ctx, c, b.appendFor(nil, c.user.ID)); err != nil {
			return err
		}
	}
	return h.replay(ctx, c, frames[at:])
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
// replayed frame: live ones are checked in send, under the same lock), and
// else returns the frame c's user is shown in its place (see conn.seen).
func (h *Hub) blockedFor(c *conn, f *outFrame) (*outFrame, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, blocked := c.blocked[f.author]; blocked && f.author != "" {
		return nil, true
	}
	return c.seen(f), false
}
