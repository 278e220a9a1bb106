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
	"forum/fault"
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
		// Client frames are small: a small read buffer is all an idle
		// connection holds (bigger frames are read through it).
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{}, // idle connections hold no write buffer
		// permessage-deflate where the client offers it: a frame for many
		// connections is compressed once (outFrame.prepared).
		EnableCompression: true,
		// The sameOrigin middleware has checked the Origin already.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// Principal is who opens a connection: a user, the session they used (""
// for HTTP Basic, which has none) and when it ends unless used again.
type Principal struct {
	UserID     events.UserID
	SessionID  events.SessionID
	SessionEnd time.Time
}

// ServeWS upgrades a signed-in user's request to a WebSocket. Until the
// upgrade it returns errors for the caller to answer: EINVALID for a request
// that is not an upgrade or a malformed ?after=, EUNAVAILABLE while shutting
// down, ENOTFOUND for a user who is gone. Once it has upgraded (or the
// upgrader has answered a bad handshake) it returns nil.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, p Principal) error {
	if !websocket.IsWebSocketUpgrade(r) {
		return fault.Errorf(fault.EINVALID, "this is a WebSocket endpoint: send an upgrade request")
	}
	after, resume, err := parseAfter(r)
	if err != nil {
		return err
	}
	if h.isClosed() {
		return fault.Errorf(fault.EUNAVAILABLE, "the server is shutting down; connect again shortly")
	}
	if h.rateLimit && h.LocalConns(p.UserID) >= MaxConnsPerUser {
		return &fault.Error{Code: fault.ERATELIMITED, Message: fmt.Sprintf("you have %d connections open already; close one first", MaxConnsPerUser), RetryAfter: 5}
	}
	account, err := h.read.Account(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	bw := &batchingHijacker{ResponseWriter: hijacker(w)}
	ws, err := h.upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	c := h.newConn(ws, p, projections.User{ID: account.ID, Nickname: account.Nickname, CreatedAt: account.CreatedAt, AvatarURL: account.AvatarURL})
	c.batch = bw.conn
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
// client's frames (inbound.go), and a writer goroutine only while there is
// something to write (frames, a ping, the close frame): an idle connection
// has one goroutine.
type conn struct {
	hub     *Hub
	ws      *websocket.Conn
	batch   *batchConn // the socket under ws
	pinger  *time.Timer
	user    projections.User // public fields only
	session string           // "" for HTTP Basic
	limiter *rate.Limiter    // nil when rate limits are off
	queue   sendQueue
	ctx     context.Context // ends with the connection
	cancel  context.CancelFunc

	// Guarded by the hub's lock.
	liveAfter uint64 // the client has every event up to here: skip their frames
	rooms     map[string]struct{}
	blocked   map[string]struct{} // users this user blocks: their posts, comments and room messages are not sent
	checkAt   time.Time           // when to check again that the session is in force

	dropped    atomic.Bool
	closeOnce  sync.Once
	closing    chan struct{} // closed when the server ends the connection
	closeCode  int
	closeText  string
	readerDone chan struct{}

	typingMu  sync.Mutex
	typing    map[typingKey]*typingState
	typingEnd bool
}

func (h *Hub) newConn(ws *websocket.Conn, p Principal, user projections.User) *conn {
	c := &conn{
		hub: h, ws: ws, user: user, session: string(p.SessionID), queue: newSendQueue(),
		rooms: map[string]struct{}{}, closing: make(chan struct{}), readerDone: make(chan struct{}),
		typing: map[typingKey]*typingState{},
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
	c.pinger = time.AfterFunc(c.hub.pingEvery, c.pingDue)
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
	c.queue.end()
	c.pinger.Stop()
	c.ws.Close()
	if registered {
		c.hub.wg.Done()
	}
}

// push queues f, dropping the connection if its queue is full.
func (c *conn) push(f *outFrame) {
	start, full := c.queue.push(f)
	if full {
		c.drop()
	}
	if start {
		go c.write()
	}
}

// startWriter starts a writer goroutine; for pushWait.
func (c *conn) startWriter() { go c.write() }

// pingDue runs every wsPingEvery: a ping is written, by a writer started
// for it if none is running.
func (c *conn) pingDue() {
	if c.queue.ping() {
		go c.write()
	}
	c.pinger.Reset(c.hub.pingEvery)
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
		if c.queue.closeFrame() {
			go c.write()
		}
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

// write is the connection's writer: it writes what the queue holds until
// nothing is left, then ends. After the close frame, or when a write
// fails, the connection writes nothing more and its socket is closed.
func (c *conn) write() {
	defer c.queue.writers.Done()
	var buf []*outFrame
	for {
		w, ok := c.queue.next(buf)
		if !ok {
			return
		}
		if w.close {
			c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText), time.Now().Add(wsCloseWait))
			t := time.NewTimer(wsCloseWait)
			select {
			case <-c.readerDone:
			case <-t.C:
			}
			t.Stop()
			c.stopWriting()
			return
		}
		if w.ping {
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				c.stopWriting()
				return
			}
		}
		if err := c.writeFrames(w.frames); err != nil {
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				c.drop() // it stopped reading
			}
			c.stopWriting()
			return
		}
		clear(w.frames)
		buf = w.frames
	}
}

// writeFrames writes frames, each prepared once for every connection it
// goes to; several of them leave in one write to the socket.
func (c *conn) writeFrames(frames []*outFrame) error {
	if len(frames) == 0 {
		return nil
	}
	c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
	batched := len(frames) > 1 && c.batch != nil
	if batched {
		c.batch.begin()
	}
	for _, f := range frames {
		c.ws.EnableWriteCompression(len(f.data) >= compressMin)
		if err := c.ws.WritePreparedMessage(f.prepared()); err != nil {
			if batched {
				c.batch.flush()
			}
			return err
		}
	}
	if batched {
		if err := c.batch.flush(); err != nil {
			return err
		}
	}
	for _, f := range frames {
		f.sent.Inc()
	}
	return nil
}

// stopWriting ends all writing on the connection and closes its socket,
// which ends the reader too.
func (c *conn) stopWriting() {
	c.queue.stop()
	c.ws.Close()
}

// seen returns the frame c's user is shown for f: its blind variant when
// they block whom f is also about (the hub's lock is held).
func (c *conn) seen(f *outFrame) *outFrame {
	if f.blind != nil {
		if _, blocked := c.blocked[f.about]; blocked {
			return f.blind
		}
	}
	return f
}
