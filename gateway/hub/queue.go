package hub

import (
	"context"
	"errors"
	"sync"
)

// sendQueue holds the frames waiting for one connection, at most
// wsQueueLen of them and wsQueueBytes. While a resume replays, live frames are held back (at most
// wsHeldLen) and follow the replay.
type sendQueue struct {
	mu      sync.Mutex
	frames  []*outFrame
	bytes   int // of frames
	held    []*outFrame
	holding bool
	ready   chan struct{} // has a token while frames wait
	space   chan struct{} // has a token after the writer took frames
}

func newSendQueue() sendQueue {
	return sendQueue{ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push queues f; false when the queue is full.
func (q *sendQueue) push(f *outFrame) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.holding {
		if len(q.held) >= wsHeldLen {
			return false
		}
		q.held = append(q.held, f)
		return true
	}
	if len(q.frames) >= wsQueueLen || q.bytes+len(f.data) > wsQueueBytes {
		return false
	}
	q.frames = append(q.frames, f)
	q.bytes += len(f.data)
	signal(q.ready)
	return true
}

// errConnGone is returned by pushWait for a connection that is ending.
var errConnGone = errors.New("connection ending")

// pushWait queues f past any holding, waiting for room; it fails when ctx
// ends or the connection is closing or its writer has stopped.
func (q *sendQueue) pushWait(ctx context.Context, f *outFrame, closing, writerDone <-chan struct{}) error {
	for {
		q.mu.Lock()
		if len(q.frames) < wsQueueLen && (len(q.frames) == 0 || q.bytes+len(f.data) <= wsQueueBytes) {
			q.frames = append(q.frames, f)
			q.bytes += len(f.data)
			signal(q.ready)
			q.mu.Unlock()
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return errConnGone
		case <-writerDone:
			return errConnGone
		}
	}
}

// hold starts holding live frames back.
func (q *sendQueue) hold() {
	q.mu.Lock()
	q.holding = true
	q.mu.Unlock()
}

// release queues the held frames after the replay; false if they do not fit.
func (q *sendQueue) release() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.holding = false
	held := q.held
	q.held = nil
	if len(q.frames)+len(held) > wsQueueLen+wsHeldLen {
		return false
	}
	q.frames = append(q.frames, held...)
	for _, f := range held {
		q.bytes += len(f.data)
	}
	if len(q.frames) > 0 {
		signal(q.ready)
	}
	return true
}

// take hands the waiting frames to the writer in exchange for its emptied
// slice.
func (q *sendQueue) take(buf []*outFrame) []*outFrame {
	q.mu.Lock()
	out := q.frames
	q.frames, q.bytes = buf[:0], 0
	q.mu.Unlock()
	signal(q.space)
	return out
}
