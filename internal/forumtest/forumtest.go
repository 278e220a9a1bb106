// Package forumtest runs real forums for tests: an embedded NATS server with
// JetStream in a temporary directory, a real SQLite read-model file with its
// projector following the stream, the command service, and (Start) the HTTP
// and WebSocket gateway behind an httptest server. Nothing is mocked.
package forumtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/gateway"
	"forum/gateway/hub"
	"forum/projections"

	"github.com/nats-io/nats-server/v2/server"
)

// FastHasher stands in for argon2id, whose cost would dominate tests.
type FastHasher struct{}

// Hash returns a recognisable stand-in for a hash of p.
func (FastHasher) Hash(p string) (string, error) { return "fake$" + commands.TokenHash("salt:"+p), nil }

// Verify reports whether h is FastHasher's hash of p.
func (FastHasher) Verify(h, p string) bool { return h == "fake$"+commands.TokenHash("salt:"+p) }

// Options shape a test forum. The zero value is a fresh forum with the
// default categories and rooms, rate limits off and FastHasher.
type Options struct {
	RateLimits bool
	// Demo seeds the demo users and content too; Empty seeds nothing.
	Demo, Empty bool
	// Dir is the data directory (default: a fresh t.TempDir()).
	Dir string
	// Store is an existing stream to share, as a second instance would; it
	// is not closed when the test ends.
	Store *events.Store
	// Configure may change the command service's config before it is
	// built (its Hasher is FastHasher and demo accounts may sign in, unless
	// changed here).
	Configure func(*commands.Config)
	// Logger defaults to warnings on stderr.
	Logger *slog.Logger
}

// Core is a forum without HTTP: the stream, the read models, the projector
// following the stream, and the commands.
type Core struct {
	T     testing.TB
	Dir   string
	Store *events.Store
	DB    *projections.DB
	Proj  *projections.Projector
	Cmds  *commands.Service

	ctx      context.Context
	stopProj func()
	wg       sync.WaitGroup
}

// NewCore starts a Core that stops when the test ends.
func NewCore(t testing.TB, o Options) *Core {
	t.Helper()
	c := &Core{T: t, Dir: o.Dir}
	if c.Dir == "" {
		c.Dir = t.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	t.Cleanup(cancel)
	c.Store = o.Store
	if c.Store == nil {
		store, err := events.OpenStore(ctx, events.StoreConfig{Dir: filepath.Join(c.Dir, "jetstream")})
		if err != nil {
			t.Fatal(err)
		}
		c.Store = store
		t.Cleanup(store.Close)
	}
	db, _, err := projections.OpenDB(filepath.Join(c.Dir, "read.db"))
	if err == nil {
		// Searches are bounded in time; tests of other things do not turn
		// on the machine's speed (the bounds' own tests set theirs).
		db.SetSearchBudgets(time.Minute, time.Minute)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.DB = db
	t.Cleanup(func() { db.Close() })
	if c.Proj, err = projections.NewProjector(db, o.Logger); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Proj.SetKeys(keys)
	projCtx, stop := context.WithCancel(ctx)
	var once sync.Once
	var projDone sync.WaitGroup
	projDone.Go(func() { c.Proj.Run(projCtx, c.Store) })
	c.stopProj = func() { once.Do(func() { stop(); projDone.Wait() }) }
	t.Cleanup(c.stopProj)
	// A body's rendering is measured against a budget that no busy machine
	// (nor the race detector) reaches: tests of other things do not turn on
	// the machine's speed, and the budget's own tests stand for a slow one.
	cfg := commands.Config{Store: c.Store, DB: db, Projector: c.Proj, Logger: o.Logger, Hasher: FastHasher{}, DemoSignIn: true, Keys: keys,
		RenderBudget: time.Minute}
	if o.RateLimits {
		cfg.NewRooms = commands.NewRoomsLimit()
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	c.Cmds = commands.New(cfg)
	t.Cleanup(func() { // the read positions held back, as a forum that shuts down
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.Cmds.FlushReads(ctx)
	})
	if !o.Empty {
		if _, err := c.Cmds.Seed(Context(t), o.Demo); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// StopProjector stops the projector for good (it stops anyway when the test ends).
func (c *Core) StopProjector() { c.stopProj() }

// Forum is a whole forum instance: a Core and its gateway behind an
// httptest server at URL.
type Forum struct {
	*Core
	URL  string
	GW   *gateway.Server
	HTTP *httptest.Server
}

// Start starts a Forum that stops when the test ends.
func Start(t testing.TB, o Options) *Forum {
	t.Helper()
	core := NewCore(t, o)
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	gw := NewGateway(gateway.Config{Commands: core.Cmds, DB: core.DB, Projector: core.Proj, Store: core.Store, Logger: logger, RateLimits: o.RateLimits})
	ctx, cancel := context.WithCancel(core.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { gw.Run(ctx) })
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		wg.Wait()
	})
	return &Forum{Core: core, URL: srv.URL, GW: gw, HTTP: srv}
}

// Context returns a context that ends with the test or after a minute.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Eventually waits until cond holds, failing the test after 10 seconds;
// what names the condition for the failure message.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !WaitUntil(10*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// WaitUntil polls cond every 5 ms until it holds (true) or d has passed
// (false), for callers whose failure message needs what they saw.
func WaitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Password is the password SignUp gives a nickname.
func Password(nickname string) string { return "password-" + nickname }

// Client is an HTTP client of a forum, signed in when Token is set. HTTP
// is the client it sends with (nil: http.DefaultClient).
type Client struct {
	F     *Forum
	Token string
	User  projections.User
	HTTP  *http.Client
}

// HTTPFrom returns an HTTP client whose connections come from the loopback
// address ip (any of 127.0.0.0/8), to play several client addresses.
func HTTPFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// From returns a copy of c whose requests come from the loopback address ip.
func (c *Client) From(ip string) *Client {
	cc := *c
	cc.HTTP = HTTPFrom(ip)
	return &cc
}

// SignUp registers a user through the API and returns a client signed in
// as them (password: Password(nickname)).
func (f *Forum) SignUp(nickname string) *Client {
	f.T.Helper()
	c := &Client{F: f}
	var out struct {
		User  projections.User `json:"user"`
		Token string           `json:"token"`
	}
	c.MustDo("POST", "/api/signup", map[string]any{"nickname": nickname, "email": nickname + "@example.com", "password": Password(nickname)}, http.StatusCreated, &out)
	c.Token, c.User = out.Token, out.User
	return c
}

// Anon returns a client that is not signed in.
func (f *Forum) Anon() *Client { return &Client{F: f} }

// As returns a client of f with c's credentials: the same user on another
// instance.
func (c *Client) As(f *Forum) *Client { return &Client{F: f, Token: c.Token, User: c.User} }

// Do sends a request with a JSON body (nil for none) and returns the status
// and the raw response body.
func (c *Client) Do(method, path string, body any) (int, []byte) {
	t := c.F.T
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.F.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// MustDo is Do that fails the test unless the status is want, decoding the
// response into out when it is not nil.
func (c *Client) MustDo(method, path string, body any, want int, out any) {
	t := c.F.T
	t.Helper()
	status, b := c.Do(method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// NewGateway composes a gateway as the forum does: the Gate that HTTP and
// the WebSocket share, the hub built on it, and the stream's head as of
// now; cfg's own Hub, Gate and StartHead are kept.
func NewGateway(cfg gateway.Config) *gateway.Server {
	if cfg.Gate == nil {
		cfg.Gate = gateway.NewGate(cfg)
	}
	if cfg.Hub == nil {
		hc := hub.Config{
			ReadModels: cfg.DB, Feed: cfg.Projector, Messenger: cfg.Commands, Logger: cfg.Logger, RateLimits: cfg.RateLimits,
			AllowWrite: cfg.Gate.AllowWrite, CheckSession: cfg.Gate.CheckSession,
		}
		if cfg.Store != nil {
			hc.Stream, hc.NATS = cfg.Store, cfg.Store.Conn()
		}
		cfg.Hub = hub.New(hc)
	}
	if cfg.StartHead == nil && cfg.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if head, err := cfg.Store.LastSeq(ctx); err == nil {
			cfg.StartHead = &head
		}
		cancel()
	}
	return gateway.New(cfg)
}

// Serve runs another gateway (its hub and an httptest server) until the test
// ends, and returns its URL: a second front on the same forum, with other
// settings.
func Serve(t testing.TB, gw *gateway.Server) string {
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

// Register signs a user up through the commands (password:
// Password(nickname)) and returns their id.
func (c *Core) Register(nickname string) string {
	c.T.Helper()
	id, err := c.Cmds.Register(Context(c.T), commands.RegisterInput{Nickname: nickname, Email: nickname + "@example.com", Password: Password(nickname)})
	if err != nil {
		c.T.Fatalf("register %s: %v", nickname, err)
	}
	return string(id)
}

// NATSServer runs a NATS server with JetStream on port (-1: any free one)
// with its store under dir, as an operator's server or a cluster node
// would be, until the test ends or it is shut down.
func NATSServer(t testing.TB, port int, dir string) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// ClockedCore is a Core whose clock the test moves with the function it
// returns (every new id a millisecond later), admins its admins.
func ClockedCore(t testing.TB, admins ...string) (*Core, func(time.Duration)) {
	t.Helper()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := NewCore(t, Options{Configure: func(cfg *commands.Config) {
		cfg.Admins = admins
		cfg.Now = func() time.Time { return clock }
		cfg.NewID = func() string { clock = clock.Add(time.Millisecond); return events.NewID(clock) }
	}})
	return c, func(d time.Duration) { clock = clock.Add(d) }
}
