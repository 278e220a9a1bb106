package hub

import (
	"context"
	"errors"
	"fmt"
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
	maxRooms      = 64               // rooms one connection may be in
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

// Principal is who opens a connection: a user, the session they used (""
// for HTTP Basic, which has none) and when it ends unless used again.
type Principal struct {
	UserID     string
	SessionID  string
	SessionEnd time.Time
}

// ServeWS upgrades a signed-in user's request to a WebSocket. Until the
// upgrade it returns errors for the caller to answer: EINVALID for a request
// that is not an upgrade or a malformed ?after=, EUNAVAILABLE while shutting
// down, ENOTFOUND for a user who is gone. Once it has upgraded (or the
// upgrader has answered a bad handshake) it returns nil.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, p Principal) error {
	if !websocket.IsWebSocketUpgrade(r) {
		return events.Errorf(events.EINVALID, "this is a WebSocket endpoint: send an upgrade request")
	}
	after, resume, err := parseAfter(r)
	if err != nil {
		return err
	}
	if h.isClosed() {
		return events.Errorf(events.EUNAVAILABLE, "the server is shutting down; connect again shortly")
	}
	if h.rateLimit && h.LocalConns(p.UserID) >= MaxConnsPerUser {
		return &events.Error{Code: events.ERATELIMITED, Message: fmt.Sprintf("you have %d connections open already; close one first", MaxConnsPerUser), RetryAfter: 5}
	}
	account, err := h.read.Account(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	ws, err := h.upgrader.Upgrade(hijacker(w), r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	c := h.newConn(ws, p, projections.User{ID: account.ID, Nickname: account.Nickname, CreatedAt: account.CreatedAt})
	go c.serve(account, after, resume)
	return nil
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

// conn is one WebSocket connection: a reader goroutine that handles the
// client's frames (inbound.go) and a writer goroutine that writes queued
// frames and pings.
type conn struct {
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
	checkAt   time.Time // when to check again that the session is in force

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

func (h *Hub) newConn(ws *websocket.Conn, p Principal, user projections.User) *conn {
	c := &conn{
		hub: h, ws: ws, user: user, session: p.SessionID, queue: newSendQueue(),
		rooms: map[string]struct{}{}, closing: make(chan struct{}), readerDone: make(chan struct{}), writerDone: make(chan struct{}),
		typing: map[string]*typingState{},
	}
	c.ctx, c.cancel = context.WithCancel(h.ctx)
	if !p.SessionEnd.IsZero() {
		c.checkAt = minTime(p.SessionEnd, time.Now().Add(sessionRecheck))
	}
	if h.rateLimit {
		c.limiter = rate.NewLimiter(wsRate, wsBurst)
	}
	return c
}

// serve runs the connection: hello and replay, then the client's frames
// until it goes away.
func (c *conn) serve(account projections.User, after uint64, resume bool) {
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
func (c *conn) push(f *outFrame) {
	if !c.queue.push(f) {
		c.drop()
	}
}

// drop disconnects a client that does not keep up, at once: its socket is
// clogged, so there is no point in a close frame.
func (c *conn) drop() {
	if c.dropped.CompareAndSwap(false, true) {
		c.hub.metrics.dropped.Inc()
		c.hub.log.Info("websocket dropped: client does not keep up", "user", c.user.ID)
		c.ws.Close()
	}
}

// close ends the connection with a close frame (code and reason).
func (c *conn) close(code int, text string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.closing)
	})
}

func (c *conn) readPump() {
	c.ws.SetReadLimit(wsReadLimit)
	c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout)) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.hub.log.Info("websocket closed: frame over the limit", "user", c.user.ID)
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(wsReadTimeout))
		c.handle(typ, data)
	}
}

func (c *conn) writePump() {
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
