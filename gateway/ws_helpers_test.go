package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/commands"
	"forum/projections"
)

// wsWait bounds every wait for a frame: a frame that does not come within
// it fails the test.
const wsWait = 10 * time.Second

// wsFrame is a frame a test client received: its type and seq, and the raw
// JSON to decode the rest from.
type wsFrame struct {
	Type string
	Seq  uint64
	Raw  []byte
}

// decode unmarshals the whole frame into v.
func (f wsFrame) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Raw, v); err != nil {
		t.Fatalf("decode %s frame %s: %v", f.Type, f.Raw, err)
	}
}

func (f wsFrame) message(t testing.TB) projections.Message {
	t.Helper()
	var v struct {
		Message projections.Message `json:"message"`
	}
	f.decode(t, &v)
	return v.Message
}

func (f wsFrame) post(t testing.TB) projections.Post {
	t.Helper()
	var v struct {
		Post projections.Post `json:"post"`
	}
	f.decode(t, &v)
	return v.Post
}

func (f wsFrame) str(t testing.TB, field string) string {
	t.Helper()
	var v map[string]any
	f.decode(t, &v)
	s, _ := v[field].(string)
	return s
}

func (f wsFrame) String() string { return string(f.Raw) }

// wsClient is a real WebSocket client of a forum. A goroutine reads every
// frame into a channel, so tests wait for frames with deadlines and never
// break the connection by timing out a read.
type wsClient struct {
	t      testing.TB
	name   string
	conn   *websocket.Conn
	frames chan wsFrame
	done   chan struct{} // closed when the connection ended
	err    error         // why it ended, once done is closed
	hello  helloFrame
}

// wsURL returns the WebSocket URL of f's /ws with an optional query.
func wsURL(base, query string) string {
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dialWS opens /ws as c (Bearer token) with an optional query and waits
// for the hello.
func (c *client) dialWS(query string) *wsClient {
	c.f.t.Helper()
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	return dialWSHeader(c.f.t, c.User.Nickname, wsURL(c.f.URL, query), h)
}

// dialWSHeader opens url with header and waits for the hello, which must
// be the first frame.
func dialWSHeader(t testing.TB, name, url string, header http.Header) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wsWait}
	conn, resp, err := d.Dial(url, header)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = fmt.Sprintf(" (%d %s)", resp.StatusCode, b)
		}
		t.Fatalf("dial %s as %s: %v%s", url, name, err, body)
	}
	w := &wsClient{t: t, name: name, conn: conn, frames: make(chan wsFrame, 100000), done: make(chan struct{})}
	conn.SetReadLimit(1 << 20)
	go w.read()
	t.Cleanup(func() { w.close() })
	f := w.next()
	if f.Type != "hello" {
		t.Fatalf("%s: first frame is %s, want hello", name, f)
	}
	f.decode(t, &w.hello)
	return w
}

// dialStatus tries to open url with header and returns the HTTP status of
// a refused handshake (101 when it succeeded) and the response body.
func dialStatus(t testing.TB, url string, header http.Header) (int, string) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wsWait}
	conn, resp, err := d.Dial(url, header)
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (w *wsClient) read() {
	defer close(w.done)
	for {
		_, data, err := w.conn.ReadMessage()
		if err != nil {
			w.err = err
			return
		}
		var head struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			w.err = fmt.Errorf("frame is not JSON: %s", data)
			return
		}
		w.frames <- wsFrame{Type: head.Type, Seq: head.Seq, Raw: data}
	}
}

// send writes one frame (any value, marshalled to JSON).
func (w *wsClient) send(v any) {
	w.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	w.sendRaw(data)
}

// sendRaw writes one text frame as it is.
func (w *wsClient) sendRaw(data []byte) {
	w.t.Helper()
	w.conn.SetWriteDeadline(time.Now().Add(wsWait))
	if err := w.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		w.t.Fatalf("%s: write: %v", w.name, err)
	}
}

// next returns the next frame, failing the test if none comes in time.
func (w *wsClient) next() wsFrame {
	w.t.Helper()
	select {
	case f := <-w.frames:
		return f
	case <-w.done:
		select {
		case f := <-w.frames:
			return f
		default:
		}
		w.t.Fatalf("%s: connection ended waiting for a frame: %v", w.name, w.err)
	case <-time.After(wsWait):
		w.t.Fatalf("%s: no frame within %s", w.name, wsWait)
	}
	return wsFrame{}
}

// nextSkipping returns the next frame whose type is not one of skip.
func (w *wsClient) nextSkipping(skip ...string) wsFrame {
	w.t.Helper()
	for {
		f := w.next()
		if !slices.Contains(skip, f.Type) {
			return f
		}
	}
}

// waitFor skips frames until one matches, failing the test if none does in
// time; what names the frame for the failure message.
func (w *wsClient) waitFor(what string, match func(wsFrame) bool) wsFrame {
	w.t.Helper()
	deadline := time.After(wsWait)
	for {
		select {
		case f := <-w.frames:
			if match(f) {
				return f
			}
		case <-w.done:
			w.t.Fatalf("%s: connection ended waiting for %s: %v", w.name, what, w.err)
		case <-deadline:
			w.t.Fatalf("%s: no %s within %s", w.name, what, wsWait)
		}
	}
}

// waitType waits for the next frame of type typ.
func (w *wsClient) waitType(typ string) wsFrame {
	w.t.Helper()
	return w.waitFor(typ, func(f wsFrame) bool { return f.Type == typ })
}

// waitTypes waits until a frame of each of types came, in any order, and
// returns the first of each.
func (w *wsClient) waitTypes(types ...string) map[string]wsFrame {
	w.t.Helper()
	got := map[string]wsFrame{}
	for len(got) < len(types) {
		w.waitFor(strings.Join(types, " and "), func(f wsFrame) bool {
			if _, dup := got[f.Type]; !dup && slices.Contains(types, f.Type) {
				got[f.Type] = f
				return true
			}
			return false
		})
	}
	return got
}

// waitClosed waits until the server ends the connection and returns the
// close code (-1 when it ended without a close frame).
func (w *wsClient) waitClosed() int {
	w.t.Helper()
	select {
	case <-w.done:
	case <-time.After(wsWait):
		w.t.Fatalf("%s: connection still open after %s", w.name, wsWait)
	}
	var ce *websocket.CloseError
	if errors.As(w.err, &ce) {
		return ce.Code
	}
	return -1
}

// close closes the connection politely and waits for the reader to end.
func (w *wsClient) close() {
	w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
	}
	w.conn.Close()
}

// wsPost creates a post as c through the commands and returns its id.
func (c *client) wsPost(title string) string {
	c.f.t.Helper()
	id, err := c.f.Cmds.CreatePost(c.f.t.Context(), c.User.ID, commands.PostInput{Title: title, Body: "body of " + title, Categories: []string{"general"}})
	if err != nil {
		c.f.t.Fatal(err)
	}
	return id
}

// localConns returns how many connections user has open on f, as its
// presence counts them.
func (f *forum) localConns(user string) int {
	h := f.GW.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if uc := h.presence.local.users[user]; uc != nil {
		return uc.conns
	}
	return 0
}

// wsBasic returns the credentials of an HTTP Basic Authorization header.
func wsBasic(login, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}

// wsStartGateway runs gw (its hub and an HTTP server) until the test ends
// and returns its URL.
func wsStartGateway(t testing.TB, gw *Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.Run(ctx); close(done) }()
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
	})
	return srv.URL
}
