package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/events"
	"forum/gateway"
	"forum/internal/forumtest"
	"forum/projections"
)

type healthReply struct {
	Status        string `json:"status"`
	Reason        string `json:"reason"`
	StreamSeq     uint64 `json:"stream_seq"`
	ProjectionSeq uint64 `json:"projection_seq"`
	Lag           uint64 `json:"lag"`
}

func health(t *testing.T, base string) (int, healthReply) {
	t.Helper()
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h healthReply
	json.NewDecoder(resp.Body).Decode(&h)
	return resp.StatusCode, h
}

// A new instance is not ready until its read models reach the stream's
// head as of its start; then it is.
func TestReadinessCatchingUp(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	db, _, err := projections.OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	proj, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := forumtest.Serve(t, forumtest.NewGateway(gateway.Config{Commands: f.Cmds, DB: db, Projector: proj, Store: f.Store}))
	status, h := health(t, base)
	if status != http.StatusServiceUnavailable || h.Status != "starting" || h.Reason != "catching_up" || h.Lag == 0 {
		t.Errorf("before catching up: %d %+v, want 503 starting/catching_up with a lag", status, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { proj.Run(ctx, f.Store) })
	forumtest.Eventually(t, "the instance to be ready", func() bool {
		status, h := health(t, base)
		return status == http.StatusOK && h.Status == "ok" && h.Lag == 0
	})
}

// While NATS is away the instance says so (503, nats_disconnected) and
// still serves reads; when NATS is back it is ready again by itself.
func TestReadinessNATSAway(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := forumtest.NATSServer(t, -1, filepath.Join(dir, "nats"))
	addr := srv.Addr().(*net.TCPAddr)
	store, err := events.OpenStore(forumtest.Context(t), events.StoreConfig{URL: "nats://" + addr.String(), Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	f := forumtest.Start(t, forumtest.Options{Store: store})
	ada := f.SignUp("ada")
	forumtest.Eventually(t, "ready", func() bool { status, _ := health(t, f.URL); return status == http.StatusOK })
	w := ada.DialWS("")
	readOnly := func(want bool) func(forumtest.Frame) bool {
		return func(fr forumtest.Frame) bool {
			var st struct {
				ReadOnly bool `json:"read_only"`
			}
			fr.Decode(t, &st)
			return fr.Type == "status" && st.ReadOnly == want
		}
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	forumtest.Eventually(t, "nats_disconnected", func() bool {
		status, h := health(t, f.URL)
		return status == http.StatusServiceUnavailable && h.Reason == "nats_disconnected"
	})
	if status, _ := f.Anon().Do("GET", "/api/categories", nil); status != http.StatusOK {
		t.Errorf("a read while NATS is away: %d, want 200", status)
	}
	// A write gets a definite answer in bounded time: 503, never 500 or a hang.
	sent := time.Now()
	req, _ := http.NewRequest("POST", f.URL+"/api/posts", jsonBody(map[string]any{"title": "t", "body": "b", "categories": []string{"general"}}))
	req.Header.Set("Authorization", "Bearer "+ada.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || time.Since(sent) > 10*time.Second {
		t.Errorf("a write while NATS is away: %d, Retry-After %q, after %v; want 503 with Retry-After within 10 s", resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(sent))
	}
	w.WaitFor("the socket told the forum is read-only", readOnly(true))
	forumtest.NATSServer(t, addr.Port, filepath.Join(dir, "nats"))
	forumtest.Eventually(t, "ready again", func() bool { status, _ := health(t, f.URL); return status == http.StatusOK })
	w.WaitFor("the socket told it is writable again", readOnly(false))
}
