package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxFrame is the largest frame the benchmark reads; the forum's own limit is 64 KiB.
const maxFrame = 1 << 20

// frame is a server → client WebSocket frame, reduced to the fields the benchmark reads. Message is raw
// because it is an object in dm, room.message and ack frames but a string in error frames.
type frame struct {
	Type     string          `json:"type"`
	Seq      int64           `json:"seq"`
	ClientID string          `json:"client_id"`
	Code     string          `json:"code"`
	Message  json.RawMessage `json:"message"`
	Post     *apiPost        `json:"post"`
}

// dmFrame is the client → server direct message.
type dmFrame struct {
	Type     string `json:"type"` // "dm"
	To       string `json:"to"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

// webSocketURL returns the /ws URL of the forum at base (ws:// for http://, wss:// for https://).
func webSocketURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse --url: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("--url %q: want http or https", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
	return u.String(), nil
}

// newDialer returns a WebSocket dialer with a handshake timeout and small, pooled buffers, so that ten
// thousand idle connections stay cheap on the benchmark's side. It sends no Origin header: the forum
// serves a non-browser client without one.
func newDialer(timeout time.Duration) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: timeout,
		ReadBufferSize:   2048,
		WriteBufferSize:  2048,
		WriteBufferPool:  &sync.Pool{},
	}
}

// dial opens /ws as u and waits for the server's hello, which must be the first frame. It fails if the
// handshake is refused (the error names the status and the forum's message) or no hello arrives within
// --timeout.
func (b *bench) dial(ctx context.Context, u benchUser) (*websocket.Conn, error) {
	header := http.Header{"Authorization": {"Bearer " + u.Token}}
	c, resp, err := b.dialer.DialContext(ctx, b.wsURL, header)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return nil, fmt.Errorf("websocket as %s: %s %s: %w", u.Nickname, resp.Status, strings.TrimSpace(string(body)), err)
		}
		return nil, fmt.Errorf("websocket as %s: %w", u.Nickname, err)
	}
	c.SetReadLimit(maxFrame)
	_ = c.SetReadDeadline(time.Now().Add(b.cfg.timeout))
	_, data, err := c.ReadMessage()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket as %s: waiting for hello: %w", u.Nickname, err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil || f.Type != "hello" {
		c.Close()
		return nil, fmt.Errorf("websocket as %s: first frame is not a hello: %.200s", u.Nickname, data)
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, nil
}

// connGroup owns a scenario's WebSocket connections and runs one reader goroutine for each.
type connGroup struct {
	mu      sync.Mutex
	conns   []*websocket.Conn
	wg      sync.WaitGroup
	closing atomic.Bool
	dropped atomic.Int64 // connections that ended before closeAll
	frames  atomic.Int64 // frames read, after the hellos
	drops   tally        // why connections ended early
}

// add takes c over and starts its reader. The reader calls handle with each frame and the moment it was
// read; with a nil handle it discards frames unread, which is cheapest for idle connections. handle runs
// on that connection's reader only, so per-connection state needs no lock.
func (g *connGroup) add(c *websocket.Conn, handle func(at time.Time, data []byte)) {
	g.mu.Lock()
	g.conns = append(g.conns, c)
	g.mu.Unlock()
	g.wg.Go(func() { g.read(c, handle) })
}

// read is a connection's reader loop; it returns when the connection fails or is closed.
func (g *connGroup) read(c *websocket.Conn, handle func(at time.Time, data []byte)) {
	for {
		var err error
		if handle == nil {
			var r io.Reader
			if _, r, err = c.NextReader(); err == nil {
				_, err = io.Copy(io.Discard, r)
			}
		} else {
			var data []byte
			_, data, err = c.ReadMessage()
			if err == nil {
				g.frames.Add(1)
				handle(time.Now(), data)
				continue
			}
		}
		if err != nil {
			if !g.closing.Load() {
				g.dropped.Add(1)
				g.drops.add("ws_dropped", err)
			}
			return
		}
		g.frames.Add(1)
	}
}

// open returns how many connections the group holds that have not dropped.
func (g *connGroup) open() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int64(len(g.conns)) - g.dropped.Load()
}

// closeAll closes every connection (with a close frame, as a polite client would) and waits for their
// readers to end, after which the handlers' state may be read. It may be called more than once.
func (g *connGroup) closeAll() {
	g.closing.Store(true)
	g.mu.Lock()
	conns := g.conns
	g.conns = nil
	g.mu.Unlock()
	deadline := time.Now().Add(time.Second)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
	for _, c := range conns {
		_ = c.WriteControl(websocket.CloseMessage, msg, deadline)
		_ = c.Close()
	}
	g.wg.Wait()
}
