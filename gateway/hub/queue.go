package hub

import (
	"context"
	"errors"
	"sync"
)

// sendQueue holds the frames waiting for one connection, at most
// wsQueueLen of them and wsQueueBytes. While a resume replays, live frames
// are held back (at most wsHeldLen) and follow the replay.
//
// It also decides when the connection's writer runs: an idle connection
// has no writer goroutine. The first frame (or a due ping, or a close)
// starts one; it writes until nothing is left, and ends.
type sendQueue struct {
	mu      sync.Mutex
	frames  []*outFrame
	bytes   int // of frames
	held    []*outFrame
	holding bool
	space   chan struct{} // has a token after the writer took frames

	writing  bool // a writer is running
	ended    bool // the connection writes nothing more
	pingDue  bool
	closeDue bool
	writers  sync.WaitGroup
}

func newSendQueue() sendQueue {
	return sendQueue{space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wake reports, with q.mu held, whether a writer must be started for what
// was just queued, and counts it as running if so.
func (q *sendQueue) wake() bool {
	if q.writing || q.ended {
		return false
	}
	q.writing = true
	q.writers.Add(1)
	return true
}

// push queues f; full is true when the queue has no room for it. start
// tells the caller to start a writer.
func (q *sendQueue) push(f *outFrame) (start, full bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return false, false
	}
	if q.holding {
		if len(q.held) >= wsHeldLen {
			return false, true
		}
		q.held = append(q.held, f)
		return false, false
	}
	if len(q.frames) >= wsQueueLen || q.bytes+len(f.data) > wsQueueBytes {
		return false, true
	}
	q.frames = append(q.frames, f)
	q.bytes += len(f.data)
	return q.wake(), false
}

// errConnGone is returned by pushWait for a connection that is ending.
var errConnGone = errors.New("connection ending")

// pushWait queues f past any holding, waiting for room; it fails when ctx
// ends or the connection is closing or writes no more. start is called
// when a writer must be started.
func (q *sendQueue) pushWait(ctx context.Context, f *outFrame, closing <-chan struct{}, start func()) error {
	for {
		q.mu.Lock()
		if q.ended {
			q.mu.Unlock()
			return errConnGone
		}
		if len(q.frames) < wsQueueLen && (len(q.frames) == 0 || q.bytes+len(f.data) <= wsQueueBytes) {
			q.frames = append(q.frames, f)
			q.bytes += len(f.data)
			wake := q.wake()
			q.mu.Unlock()
			if wake {
				start()
			}
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
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

// release queues the held frames after the replay; ok is false if they do
// not fit, start true when a writer must be started.
func (q *sendQueue) release() (start, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.holding = false
	held := q.held
	q.held = nil
	if len(q.frames)+len(held) > wsQueueLen+wsHeldLen {
		return false, false
	}
	q.frames = append(q.frames, held...)
	for _, f := range held {
		q.bytes += len(f.data)
	}
	return len(q.frames) > 0 && q.wake(), true
}

// ping notes that a ping is due; start as for push.
func (q *sendQueue) ping() (start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pingDue = true
	return q.wake()
}

// closeFrame notes that the close frame is due; start as for push.
func (q *sendQueue) closeFrame() (start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closeDue = true
	return q.wake()
}

// work is what the writer is to do next.
type work struct {
	frames []*outFrame
	ping   bool
	close  bool
}

// next hands the writer what waits, in exchange for its emptied slice.
// When nothing waits it returns false and the writer ends: the next push
// starts another.
func (q *sendQueue) next(buf []*outFrame) (work, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	w := work{ping: q.pingDue, close: q.closeDue}
	if q.ended || (len(q.frames) == 0 && !w.ping && !w.close) {
		q.writing = false
		return work{}, false
	}
	q.pingDue = false
	if !w.close {
		w.frames = q.frames
		q.frames, q.bytes = buf[:0], 0
		signal(q.space)
	}
	return w, true
}

// stop ends all writing: what waits is dropped, and no writer starts
// again. A writer calls it when its connection is done for.
func (q *sendQueue) stop() {
	q.mu.Lock()
	q.ended = true
	q.frames, q.held, q.bytes = nil, nil, 0
	q.mu.Unlock()
	signal(q.space)
}

// end is stop, returning once the running writer, if any, has ended.
func (q *sendQueue) end() {
	q.stop()
	q.writers.Wait()
}
