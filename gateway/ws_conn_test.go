package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/commands"
)

// metricValue reads one unlabelled metric from /metrics.
func (c *client) metricValue(name string) float64 {
	c.f.t.Helper()
	status, body := c.do("GET", "/metrics", nil)
	if status != http.StatusOK {
		c.f.t.Fatalf("/metrics: %d", status)
	}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				c.f.t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	c.f.t.Fatalf("/metrics has no %s", name)
	return 0
}

// A client that stops reading is dropped; everyone else keeps receiving
// every frame, in order.
func TestWSStalledReaderDropped(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob, slow := f.signup("ada"), f.signup("bob"), f.signup("slow")
	a := ada.dialWS("")

	// The stalled client reads its hello, then nothing, through a small
	// receive buffer.
	d := websocket.Dialer{HandshakeTimeout: wsWait, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	stalled, _, err := d.Dial(wsURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + slow.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, hello, err := stalled.ReadMessage(); err != nil || !strings.Contains(string(hello), `"hello"`) {
		t.Fatalf("stalled client's hello: %s %v", hello, err)
	}
	if ada.metricValue("forum_ws_connections") != 2 {
		t.Fatalf("forum_ws_connections = %v, want 2", ada.metricValue("forum_ws_connections"))
	}

	// Big posts until the server gives up on it.
	body := strings.Repeat("😀", 20000)
	var posted []string
	for round := 0; f.localConns(slow.User.ID) > 0; round++ {
		if round == 100 {
			t.Fatalf("the stalled client is still connected after %d posts", len(posted))
		}
		ids := make([]string, 20)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				id, err := f.Cmds.CreatePost(t.Context(), bob.User.ID, commands.PostInput{Title: fmt.Sprint("big ", round, " ", i), Body: body, Categories: []string{"general"}})
				if err != nil {
					t.Error(err)
				}
				ids[i] = id
			})
		}
		wg.Wait()
		posted = append(posted, ids...)
	}
	t.Logf("dropped after %d posts", len(posted))
	if got := ada.metricValue("forum_ws_slow_clients_dropped_total"); got != 1 {
		t.Errorf("forum_ws_slow_clients_dropped_total = %v, want 1", got)
	}
	eventually(t, "the gauge to count the drop", func() bool { return ada.metricValue("forum_ws_connections") == 1 })

	// Ada got every post, each once, in stream order.
	seen := map[string]bool{}
	last := uint64(0)
	for len(seen) < len(posted) {
		fr := a.nextSkipping("presence")
		p := fr.post(t)
		if fr.Type != "post.created" || seen[p.ID] || fr.Seq <= last {
			t.Fatalf("got %s (seen %v, last seq %d)", fr.Type, seen[p.ID], last)
		}
		seen[p.ID], last = true, fr.Seq
	}
	for _, id := range posted {
		if !seen[id] {
			t.Errorf("ada missed post %s", id)
		}
	}
}

// Signing out closes the WebSockets of that session, on every instance; a
// connection with other credentials stays.
func TestWSSignOutCloses(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	g := newForum(t, forumOptions{store: f.Store})
	ada, bob := f.signup("ada"), f.signup("bob")
	eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	onF := ada.dialWS("")
	adaOnG := &client{f: g, Token: ada.Token, User: ada.User}
	onG := adaOnG.dialWS("")
	basic := dialWSHeader(t, "ada (basic)", wsURL(f.URL, ""), http.Header{"Authorization": {"Basic " + wsBasic("ada", "password-ada")}})

	ada.mustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	for _, w := range []*wsClient{onF, onG} {
		if code := w.waitClosed(); code != websocket.ClosePolicyViolation {
			t.Errorf("%s: close code %d, want %d", w.name, code, websocket.ClosePolicyViolation)
		}
	}
	basic.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "still here", "client_id": "b"})
	if ack := basic.waitType("ack"); ack.str(t, "client_id") != "b" {
		t.Errorf("basic connection: %s", ack)
	}
	if status, _ := dialStatus(t, wsURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + ada.Token}}); status != http.StatusUnauthorized {
		t.Errorf("dial with the ended session: %d, want 401", status)
	}
}

// Shutdown closes every connection with 1001 and Run returns.
func TestWSShutdown(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	gw := New(Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.Run(ctx); close(done) }()
	hs := httptest.NewServer(gw)
	t.Cleanup(hs.Close)
	srv := hs.URL
	a := dialWSHeader(t, "ada", wsURL(srv, ""), http.Header{"Authorization": {"Bearer " + ada.Token}})
	b := dialWSHeader(t, "bob", wsURL(srv, ""), http.Header{"Authorization": {"Bearer " + bob.Token}})
	b.send(map[string]any{"type": "room.join", "room": "general"})
	b.waitType("room.joined")

	cancel()
	for _, w := range []*wsClient{a, b} {
		if code := w.waitClosed(); code != websocket.CloseGoingAway {
			t.Errorf("%s: close code %d, want %d", w.name, code, websocket.CloseGoingAway)
		}
	}
	select {
	case <-done:
	case <-time.After(wsWait):
		t.Fatal("Run did not return")
	}
	if status, _ := dialStatus(t, wsURL(srv, ""), http.Header{"Authorization": {"Bearer " + ada.Token}}); status != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %d, want 503", status)
	}
	// The other instance on the same NATS forgets the gone one's users.
	if f.GW.hub.presence.online(ada.User.ID) || f.GW.hub.presence.roomOnline("general") != 0 {
		eventually(t, "ada and bob to be offline everywhere", func() bool {
			return !f.GW.hub.presence.online(ada.User.ID) && !f.GW.hub.presence.online(bob.User.ID) && f.GW.hub.presence.roomOnline("general") == 0
		})
	}
}
