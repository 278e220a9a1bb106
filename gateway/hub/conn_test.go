package hub_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/commands"
	"forum/events"
	"forum/gateway"
	"forum/internal/forumtest"
)

// A client that stops reading is dropped; everyone else keeps receiving
// every frame, in order.
func TestWSStalledReaderDropped(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, slow := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("slow")
	a := ada.DialWS("")

	// The stalled client reads its hello, then nothing, through a small
	// receive buffer.
	d := websocket.Dialer{HandshakeTimeout: forumtest.WSWait, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	stalled, _, err := d.Dial(forumtest.WSURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + slow.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, hello, err := stalled.ReadMessage(); err != nil || !strings.Contains(string(hello), `"hello"`) {
		t.Fatalf("stalled client's hello: %s %v", hello, err)
	}
	if ada.Metric("forum_ws_connections") != 2 {
		t.Fatalf("forum_ws_connections = %v, want 2", ada.Metric("forum_ws_connections"))
	}

	// Big posts until the server gives up on it.
	body := strings.Repeat("😀", 20000)
	var posted []string
	for round := 0; f.GW.Hub().LocalConns(events.UserID(slow.User.ID)) > 0; round++ {
		if round == 100 {
			t.Fatalf("the stalled client is still connected after %d posts", len(posted))
		}
		ids := make([]string, 20)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				created, err := f.Cmds.CreatePost(t.Context(), events.UserID(bob.User.ID), commands.PostInput{Title: fmt.Sprint("big ", round, " ", i), Body: body, Categories: []string{"general"}})
				id := created.ID
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
	if got := ada.Metric("forum_ws_slow_clients_dropped_total"); got != 1 {
		t.Errorf("forum_ws_slow_clients_dropped_total = %v, want 1", got)
	}
	forumtest.Eventually(t, "the gauge to count the drop", func() bool { return ada.Metric("forum_ws_connections") == 1 })

	// Ada got every post, each once, in stream order.
	seen := map[string]bool{}
	last := uint64(0)
	for len(seen) < len(posted) {
		fr := a.NextSkipping("presence")
		p := fr.Post(t)
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
	f := forumtest.Start(t, forumtest.Options{})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	onF := ada.DialWS("")
	adaOnG := ada.As(g)
	onG := adaOnG.DialWS("")
	basic := forumtest.DialWSHeader(t, "ada (basic)", forumtest.WSURL(f.URL, ""), http.Header{"Authorization": {"Basic " + forumtest.Basic("ada", "password-ada")}})

	ada.MustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	for _, w := range []*forumtest.WSClient{onF, onG} {
		if code := w.WaitClosed(); code != websocket.ClosePolicyViolation {
			t.Errorf("%s: close code %d, want %d", w.Name, code, websocket.ClosePolicyViolation)
		}
	}
	basic.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "still here", "client_id": "b"})
	if ack := basic.WaitType("ack"); ack.Str(t, "client_id") != "b" {
		t.Errorf("basic connection: %s", ack)
	}
	if status, _ := forumtest.DialStatus(t, forumtest.WSURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + ada.Token}}); status != http.StatusUnauthorized {
		t.Errorf("dial with the ended session: %d, want 401", status)
	}
}

// Shutdown closes every connection with 1001 and Run returns.
func TestWSShutdown(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	gw := forumtest.NewGateway(gateway.Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.Run(ctx); close(done) }()
	hs := httptest.NewServer(gw)
	t.Cleanup(hs.Close)
	srv := hs.URL
	a := forumtest.DialWSHeader(t, "ada", forumtest.WSURL(srv, ""), http.Header{"Authorization": {"Bearer " + ada.Token}})
	b := forumtest.DialWSHeader(t, "bob", forumtest.WSURL(srv, ""), http.Header{"Authorization": {"Bearer " + bob.Token}})
	b.Send(map[string]any{"type": "room.join", "room": "general"})
	b.WaitType("room.joined")

	cancel()
	for _, w := range []*forumtest.WSClient{a, b} {
		if code := w.WaitClosed(); code != websocket.CloseGoingAway {
			t.Errorf("%s: close code %d, want %d", w.Name, code, websocket.CloseGoingAway)
		}
	}
	select {
	case <-done:
	case <-time.After(forumtest.WSWait):
		t.Fatal("Run did not return")
	}
	if status, _ := forumtest.DialStatus(t, forumtest.WSURL(srv, ""), http.Header{"Authorization": {"Bearer " + ada.Token}}); status != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %d, want 503", status)
	}
	// The other instance on the same NATS forgets the gone one's users.
	if f.GW.Hub().Online(events.UserID(ada.User.ID)) || f.GW.Hub().RoomOnline("general") != 0 {
		forumtest.Eventually(t, "ada and bob to be offline everywhere", func() bool {
			return !f.GW.Hub().Online(events.UserID(ada.User.ID)) && !f.GW.Hub().Online(events.UserID(bob.User.ID)) && f.GW.Hub().RoomOnline("general") == 0
		})
	}
}

// A socket closes with 1008 however its session ends: ended from another
// session, or run out of time.
func TestWSClosesWhenTheSessionEnds(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	w := ada.DialWS("")
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		}
	}
	ada.MustDo("GET", "/api/sessions", nil, http.StatusOK, &list)
	other := f.Anon()
	other.MustDo("POST", "/api/signin", map[string]string{"login": "ada", "password": forumtest.Password("ada")}, http.StatusOK, &struct{ Token *string }{&other.Token})
	other.MustDo("DELETE", "/api/sessions/"+list.Items[0].ID, nil, http.StatusNoContent, nil)
	if code := w.WaitClosed(); code != websocket.ClosePolicyViolation {
		t.Errorf("session ended from another: close code %d, want %d", code, websocket.ClosePolicyViolation)
	}

	short := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.SessionTTL = 2 * time.Second }})
	bea := short.SignUp("bea")
	w = bea.DialWS("")
	if code := w.WaitClosed(); code != websocket.ClosePolicyViolation {
		t.Errorf("session run out: close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
}

// A sign-out reaches every instance at once over live.>, not when its
// projector gets to it: here the other instance's projector is stopped.
func TestSignOutReachesOtherInstancesAtOnce(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store})
	ada := f.SignUp("ada")
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	onG := ada.As(g)
	w := onG.DialWS("")
	g.StopProjector()
	ada.MustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	if code := w.WaitClosed(); code != websocket.ClosePolicyViolation {
		t.Errorf("the socket on the other instance: close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
	forumtest.Eventually(t, "the token to stop working on the other instance", func() bool {
		status, _ := onG.Do("GET", "/api/me", nil)
		return status == http.StatusUnauthorized
	})
}
