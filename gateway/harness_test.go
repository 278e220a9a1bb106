package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/projections"
)

// forum is a whole forum instance for tests: a real embedded NATS server
// with JetStream, a real SQLite file, the projector, and an httptest server.
type forum struct {
	t     *testing.T
	URL   string
	Store *events.Store
	DB    *projections.DB
	Proj  *projections.Projector
	Cmds  *commands.Service
	GW    *Server
	HTTP  *httptest.Server
}

type forumOptions struct {
	rateLimits bool
	demo       bool
	dir        string // data directory; default a fresh t.TempDir()
	store      *events.Store
	hasher     commands.PasswordHasher // default fastHasher
}

// fastHasher keeps tests quick: argon2id at full cost would dominate them.
type fastHasher struct{}

func (fastHasher) Hash(p string) (string, error) { return "plain:" + p, nil }
func (fastHasher) Verify(h, p string) bool       { return h == "plain:"+p }

// newForum starts a forum and stops it when the test ends.
func newForum(t *testing.T, o forumOptions) *forum {
	t.Helper()
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	store := o.store
	if store == nil {
		var err error
		store, err = events.OpenStore(ctx, events.StoreConfig{Dir: filepath.Join(dir, "jetstream")})
		if err != nil {
			t.Fatal(err)
		}
	}
	db, _, err := projections.OpenDB(filepath.Join(dir, "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := projections.NewProjector(db, logger)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { proj.Run(ctx, store) })
	var hasher commands.PasswordHasher = fastHasher{}
	if o.hasher != nil {
		hasher = o.hasher
	}
	cmds := commands.New(commands.Config{Store: store, DB: db, Projector: proj, Logger: logger, Hasher: hasher})
	if _, err := cmds.Seed(ctx, o.demo); err != nil {
		t.Fatal(err)
	}
	gw := New(Config{Commands: cmds, DB: db, Projector: proj, Store: store, Logger: logger, RateLimits: o.rateLimits})
	wg.Go(func() { gw.Run(ctx) })
	srv := httptest.NewServer(gw)
	f := &forum{t: t, URL: srv.URL, Store: store, DB: db, Proj: proj, Cmds: cmds, GW: gw, HTTP: srv}
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		wg.Wait()
		db.Close()
		if o.store == nil {
			store.Close()
		}
	})
	return f
}

// client is an HTTP client of the forum, signed in when Token is set.
type client struct {
	f     *forum
	Token string
	User  projections.User
}

// signup registers a user through the API and returns a client signed in as them.
func (f *forum) signup(nickname string) *client {
	f.t.Helper()
	c := &client{f: f}
	var out struct {
		User  projections.User `json:"user"`
		Token string           `json:"token"`
	}
	c.mustDo("POST", "/api/signup", map[string]any{"nickname": nickname, "email": nickname + "@example.com", "password": "password-" + nickname}, http.StatusCreated, &out)
	c.Token, c.User = out.Token, out.User
	return c
}

// anon returns a client that is not signed in.
func (f *forum) anon() *client { return &client{f: f} }

// do sends a request with a JSON body (nil for none) and returns the status
// and the raw response body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.f.URL+path, rd)
	if err != nil {
		c.f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// mustDo is do that fails the test unless the status is want, decoding the
// response into out when it is not nil.
func (c *client) mustDo(method, path string, body any, want int, out any) {
	c.f.t.Helper()
	status, b := c.do(method, path, body)
	if status != want {
		c.f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.f.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// eventually waits until cond holds, failing the test after the deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
