package forumtest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/projections"
)

// WSWait bounds every wait for a frame: a frame that does not come within
// it fails the test.
const WSWait = 10 * time.Second

// Frame is a frame a test client received: its type and seq, and the raw
// JSON to decode the rest from.
type Frame struct {
	Type string
	Seq  uint64
	Raw  []byte
}

// Decode unmarshals the whole frame into v.
func (f Frame) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Raw, v); err != nil {
		t.Fatalf("decode %s frame %s: %v", f.Type, f.Raw, err)
	}
}

func (f Frame) Message(t testing.TB) projections.Message {
	t.Helper()
	var v struct {
		Message projections.Message `json:"message"`
	}
	f.Decode(t, &v)
	return v.Message
}

func (f Frame) Post(t testing.TB) projections.Post {
	t.Helper()
	var v struct {
		Post projections.Post `json:"post"`
	}
	f.Decode(t, &v)
	return v.Post
}

func (f Frame) Str(t testing.TB, field string) string {
	t.Helper()
	var v map[string]any
	f.Decode(t, &v)
	s, _ := v[field].(string)
	return s
}

func (f Frame) String() string { return string(f.Raw) }

// WSClient is a real WebSocket client of a forum. A goroutine reads every
// frame into a channel, so tests wait for frames with deadlines and never
// break the connection by timing out a read.
type WSClient struct {
	t      testing.TB
	Name   string
	conn   *websocket.Conn
	frames chan Frame
	done   chan struct{} // closed when the connection ended
	err    error         // why it ended, once done is closed
	Hello  Hello
}

// WSURL returns the WebSocket URL of f's /ws with an optional query.
func WSURL(base, query string) string {
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// DialWS opens /ws as c (Bearer token) with an optional query and waits
// for the hello.
func (c *Client) DialWS(query string) *WSClient {
	c.F.T.Helper()
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	return DialWSHeader(c.F.T, c.User.Nickname, WSURL(c.F.URL, query), h)
}

// DialWSHeader opens url with header and waits for the hello, which must
// be the first frame.
func DialWSHeader(t testing.TB, name, url string, header http.Header) *WSClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: WSWait}
	conn, resp, err := d.Dial(url, header)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = fmt.Sprintf(" (%d %s)", resp.StatusCode, b)
		}
		t.Fatalf("dial %s as %s: %v%s", url, name, err, body)
	}
	w := &WSClient{t: t, Name: name, conn: conn, frames: make(chan Frame, 100000), done: make(chan struct{})}
	conn.SetReadLimit(1 << 20)
	go w.read()
	t.Cleanup(func() { w.Close() })
	f := w.Next()
	if f.Type != "hello" {
		t.Fatalf("%s: first frame is %s, want hello", name, f)
	}
	f.Decode(t, &w.Hello)
	return w
}

// DialStatus tries to open url with header and returns the HTTP status of
// a refused handshake (101 when it succeeded) and the response body.
func DialStatus(t testing.TB, url string, header http.Header) (int, string) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: WSWait}
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

func (w *WSClient) read() {
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
		w.frames <- Frame{Type: head.Type, Seq: head.Seq, Raw: data}
	}
}

// Send writes one frame (any value, marshalled to JSON).
func (w *WSClient) Send(v any) {
	w.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	w.SendRaw(data)
}

// SendRaw writes one text frame as it is.
func (w *WSClient) SendRaw(data []byte) {
	w.t.Helper()
	w.conn.SetWriteDeadline(time.Now().Add(WSWait))
	if err := w.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		w.t.Fatalf("%s: write: %v", w.Name, err)
	}
}

// Next returns the next frame, failing the test if none comes in time.
func (w *WSClient) Next() Frame {
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
		w.t.Fatalf("%s: connection ended waiting for a frame: %v", w.Name, w.err)
	case <-time.After(WSWait):
		w.t.Fatalf("%s: no frame within %s", w.Name, WSWait)
	}
	return Frame{}
}

// NextSkipping returns the next frame whose type is not one of skip.
func (w *WSClient) NextSkipping(skip ...string) Frame {
	w.t.Helper()
	for {
		f := w.Next()
		if !slices.Contains(skip, f.Type) {
			return f
		}
	}
}

// WaitFor skips frames until one matches, failing the test if none does in
// time; what names the frame for the failure message.
func (w *WSClient) WaitFor(what string, match func(Frame) bool) Frame {
	w.t.Helper()
	deadline := time.After(WSWait)
	for {
		select {
		case f := <-w.frames:
			if match(f) {
				return f
			}
		case <-w.done:
			w.t.Fatalf("%s: connection ended waiting for %s: %v", w.Name, what, w.err)
		case <-deadline:
			w.t.Fatalf("%s: no %s within %s", w.Name, what, WSWait)
		}
	}
}

// WaitType waits for the next frame of type typ.
func (w *WSClient) WaitType(typ string) Frame {
	w.t.Helper()
	return w.WaitFor(typ, func(f Frame) bool { return f.Type == typ })
}

// WaitTypes waits until a frame of each of types came, in any order, and
// returns the first of each.
func (w *WSClient) WaitTypes(types ...string) map[string]Frame {
	w.t.Helper()
	got := map[string]Frame{}
	for len(got) < len(types) {
		w.WaitFor(strings.Join(types, " and "), func(f Frame) bool {
			if _, dup := got[f.Type]; !dup && slices.Contains(types, f.Type) {
				got[f.Type] = f
				return true
			}
			return false
		})
	}
	return got
}

// WaitClosed waits until the server ends the connection and returns the
// close code (-1 when it ended without a close frame).
func (w *WSClient) WaitClosed() int {
	w.t.Helper()
	select {
	case <-w.done:
	case <-time.After(WSWait):
		w.t.Fatalf("%s: connection still open after %s", w.Name, WSWait)
	}
	var ce *websocket.CloseError
	if errors.As(w.err, &ce) {
		return ce.Code
	}
	return -1
}

// Close closes the connection politely and waits for the reader to end.
func (w *WSClient) Close() {
	w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
	}
	w.conn.Close()
}

// Basic returns the credentials of an HTTP Basic Authorization header.
func Basic(login, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}

// Hello is the first frame of every connection.
type Hello struct {
	User   projections.User   `json:"user"`
	Seq    uint64             `json:"seq"`
	Online []projections.User `json:"online"`
}

// IsPresence matches a presence frame saying user went online (or offline).
func IsPresence(user string, online bool) func(Frame) bool {
	return func(f Frame) bool {
		if f.Type != "presence" {
			return false
		}
		var v struct {
			User   projections.User `json:"user"`
			Online bool             `json:"online"`
		}
		json.Unmarshal(f.Raw, &v)
		return v.User.ID == user && v.Online == online
	}
}

// IsRoomSystem matches a room.system frame of kind ("join" or "leave") about
// user in room.
func IsRoomSystem(room, user, kind string) func(Frame) bool {
	return func(f Frame) bool {
		if f.Type != "room.system" {
			return false
		}
		var v struct {
			Room string           `json:"room"`
			User projections.User `json:"user"`
			Kind string           `json:"kind"`
		}
		json.Unmarshal(f.Raw, &v)
		return v.Room == room && v.User.ID == user && v.Kind == kind
	}
}

// WaitPresences waits until a presence frame with online came for each of
// users, in any order.
func (w *WSClient) WaitPresences(what string, online bool, users ...string) {
	w.t.Helper()
	seen := map[string]bool{}
	for len(seen) < len(users) {
		w.WaitFor(what, func(f Frame) bool {
			for _, u := range users {
				if !seen[u] && IsPresence(u, online)(f) {
					seen[u] = true
					return true
				}
			}
			return false
		})
	}
}

// Conn returns the underlying connection, to write what SendRaw cannot.
func (w *WSClient) Conn() *websocket.Conn { return w.conn }
