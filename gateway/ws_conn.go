package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"forum/events"
	"forum/projections"
)

// Limits and timings of a WebSocket connection.
const (
	wsReadLimit   = 64 << 10         // a bigger frame closes the connection (1009)
	wsPingEvery   = 20 * time.Second // server pings this often...
	wsReadTimeout = 45 * time.Second // ...and gives up on a connection silent this long
	wsWriteWait   = 10 * time.Second // a frame that cannot be written in this time ends the connection
	wsCloseWait   = time.Second      // after a close frame, how long to wait for the client's
	wsQueueLen    = 256              // frames waiting to be written; one more drops the connection...
	wsQueueBytes  = 8 << 20          // ...and so does a frame past this many bytes waiting
	wsHeldLen     = 1024             // live frames held back while a resume replays
	wsMaxRooms    = 64               // rooms one connection may be in
	wsRate        = 20               // client frames per second, with...
	wsBurst       = 40               // ...this burst, unless rate limits are off
)

func newUpgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{}, // idle connections hold no write buffer
		// The sameOrigin middleware has checked the Origin already.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// serveWS upgrades a signed-in user's request to a WebSocket. Before the
// upgrade it answers errors in JSON: 400 for a request that is not an
// upgrade or a malformed ?after=, 503 while shutting down.
func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request, p principal) {
	if !websocket.IsWebSocketUpgrade(r) {
		h.s.writeError(w, r, events.Errorf(events.EINVALID, "this is a WebSocket endpoint: send an upgrade request"))
		return
	}
	after, resume, err := parseAfter(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	if h.isClosed() {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{errorDetail{Code: "unavailable", Message: "the server is shutting down; connect again shortly"}})
		return
	}
	account, err := h.s.db.Account(r.Context(), p.UserID)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	ws, err := h.upgrader.Upgrade(hijacker(w), r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	if sw, ok := w.(*statusWriter); ok && sw.status == 0 {
		sw.status = http.StatusSwitchingProtocols // for the request log and metrics
	}
	c := h.newConn(ws, p, projections.User{ID: account.ID, Nickname: account.Nickname, CreatedAt: account.CreatedAt})
	go c.serve(account, after, resume)
}

// hijacker returns the first writer down the chain of wrappers that can
// hand its connection over.
func hijacker(w http.ResponseWriter) http.ResponseWriter {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// wsConn is one WebSocket connection: a reader goroutine that handles the
// client's frames (ws_client.go) and a writer goroutine that writes queued
// frames and pings.
type wsConn struct {
	hub     *Hub
	ws      *websocket.Conn
	user    projections.User // public fields only
	session string           // "" for HTTP Basic
	limiter *rate.Limiter    // nil when rate limits are off
	queue   sendQueue
	ctx     context.Context // ends with the connection
	cancel  context.CancelFunc

	// Guarded by the hub's lock.
	liveAfter uint64 // the client has every event up to here: skip their frames
	rooms     map[string]struct{}

	dropped    atomic.Bool
	closeOnce  sync.Once
	closing    chan struct{} // closed when the server ends the connection
	closeCode  int
	closeText  string
	readerDone chan struct{}
	writerDone chan struct{}

	typingMu  sync.Mutex
	typing    map[string]*typingState // by "u:<user>" or "r:<room>"
	typingEnd bool
}

func (h *Hub) newConn(ws *websocket.Conn, p principal, user projections.User) *wsConn {
	c := &wsConn{
		hub: h, ws: ws, user: user, session: p.SessionID, queue: newSendQueue(),
		rooms: map[string]struct{}{}, closing: make(chan struct{}), readerDone: make(chan struct{}), writerDone: make(chan struct{}),
		typing: map[string]*typingState{},
	}
	c.ctx, c.cancel = context.WithCancel(h.ctx)
	if h.s.cfg.RateLimits {
		c.limiter = rate.NewLimiter(wsRate, wsBurst)
	}
	return c
}

// serve runs the connection: hello and replay, then the client's frames
// until it goes away.
func (c *wsConn) serve(account projections.User, after uint64, resume bool) {
	go c.writePump()
	registered := c.hub.open(c, account, after, resume)
	if !registered {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	c.readPump()
	close(c.readerDone)
	c.cancel()
	c.stopTyping()
	if registered {
		c.hub.remove(c)
	}
	<-c.writerDone
	if registered {
		c.hub.wg.Done()
	}
}

// push queues f, dropping the connection if its queue is full.
func (c *wsConn) push(f *outFrame) {
	if !c.queue.push(f) {
		c.drop()
	}
}

// drop disconnects a client that does not keep up, at once: its socket is
// clogged, so there is no point in a close frame.
func (c *wsConn) drop() {
	if c.dropped.CompareAndSwap(false, true) {
		c.hub.s.metrics.wsDropped.Inc()
		c.hub.s.log.Info("websocket dropped: client does not keep up", "user", c.user.ID)
		c.ws.Close()
	}
}

// close ends the connection with a close frame (code and reason).
func (c *wsConn) close(code int, text string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.closing)
	})
}

func (c *wsConn) readPump() {
	c.ws.SetReadLimit(wsReadLimit)
	c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout)) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.hub.s.log.Info("websocket closed: frame over the limit", "user", c.user.ID)
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout))
		c.handle(typ, data)
	}
}

func (c *wsConn) writePump() {
	defer close(c.writerDone)
	defer c.ws.Close()
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	var frames []*outFrame
	for {
		select {
		case <-c.queue.ready:
			frames = c.queue.take(frames)
			for _, f := range frames {
				c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
				if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
					if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
						c.drop() // it stopped reading
					}
					return
				}
				f.sent.Inc()
			}
			clear(frames)
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				return
			}
		case <-c.closing:
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText), time.Now().Add(wsCloseWait))
			select {
			case <-c.readerDone:
			case <-time.After(wsCloseWait):
			}
			return
		case <-c.readerDone:
			return
		}
	}
}

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
