package hub_test

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/gateway/hub"
	"forum/internal/forumtest"
)

// dialRaw opens /ws as c without a reading goroutine of its own, so a test
// can count the server's goroutines; it returns once the hello is read.
func dialRaw(t *testing.T, f *forumtest.Forum, c *forumtest.Client, d websocket.Dialer) *websocket.Conn {
	t.Helper()
	d.HandshakeTimeout = forumtest.WSWait
	ws, resp, err := d.Dial(forumtest.WSURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + c.Token}})
	if err != nil {
		t.Fatal(err)
	}
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); d.EnableCompression != strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("offered compression %v, the server answered extensions %q", d.EnableCompression, ext)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(time.Now().Add(forumtest.WSWait))
	if _, hello, err := ws.ReadMessage(); err != nil || !strings.Contains(string(hello), `"hello"`) {
		t.Fatalf("hello: %s %v", hello, err)
	}
	return ws
}

// An idle connection costs the server one goroutine, its reader: the
// writer runs only while there is something to write.
func TestIdleConnectionHasOneGoroutine(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	users := []*forumtest.Client{f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")}
	const n = 45
	before := runtime.NumGoroutine()
	for i := range n {
		dialRaw(t, f, users[i%len(users)], websocket.Dialer{})
	}
	var extra int
	if !forumtest.WaitUntil(forumtest.WSWait, func() bool {
		extra = runtime.NumGoroutine() - before
		return extra <= n+n/5
	}) {
		t.Fatalf("%d idle connections added %d goroutines, want about %d", n, extra, n)
	}
}

// Idle connections are pinged, although no writer waits for it.
func TestIdleConnectionIsPinged(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	hub.SetPingEvery(f.GW.Hub(), 30*time.Millisecond)
	ws := dialRaw(t, f, f.SignUp("ada"), websocket.Dialer{})
	var pings atomic.Int32
	ws.SetPingHandler(func(string) error {
		if pings.Add(1) == 3 {
			ws.SetReadDeadline(time.Now()) // enough: end the read below
		}
		return nil
	})
	ws.SetReadDeadline(time.Now().Add(forumtest.WSWait))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	if n := pings.Load(); n < 3 {
		t.Fatalf("%d pings within %v, want 3 at 30 ms apart", n, forumtest.WSWait)
	}
}

// A client that negotiated permessage-deflate reads the frames every
// connection shares (compressed once) as they are.
func TestCompressedClientReadsSharedFrames(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	plain := dialRaw(t, f, bob, websocket.Dialer{})
	deflate := dialRaw(t, f, bob, websocket.Dialer{EnableCompression: true})
	body := strings.Repeat("compressible text ", 200)
	var created struct{ Post struct{ ID string } }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "a long post", "body": body, "categories": []string{"general"}}, http.StatusCreated, &created)
	post := created.Post
	for name, ws := range map[string]*websocket.Conn{"plain": plain, "deflate": deflate} {
		ws.SetReadDeadline(time.Now().Add(forumtest.WSWait))
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var fr hub.PostFrame
			if json.Unmarshal(data, &fr) == nil && fr.Type == "post.created" {
				if fr.Post.ID != post.ID || fr.Post.Body != body {
					t.Fatalf("%s: post.created frame for %s with a %d-byte body, want %s and %d bytes", name, fr.Post.ID, len(fr.Post.Body), post.ID, len(body))
				}
				break
			}
		}
	}
}
