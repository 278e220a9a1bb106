package commands

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/events"
	"forum/projections"
)

// fastHasher stands in for argon2id where its cost would dominate a test.
type fastHasher struct{}

func (fastHasher) Hash(p string) (string, error) { return "fake$" + TokenHash("salt:"+p), nil }
func (fastHasher) Verify(h, p string) bool       { return h == "fake$"+TokenHash("salt:"+p) }

// testEnv is a real forum core: an embedded NATS server with JetStream in a
// temporary directory, a real SQLite read-model file, the projector
// following the stream, and the command service over them.
type testEnv struct {
	Store *events.Store
	DB    *projections.DB
	Proj  *projections.Projector
	Svc   *Service
}

// newEnv starts a testEnv with the default categories and rooms seeded;
// configure may change the service's config before it is built.
func newEnv(t *testing.T, configure func(*Config)) *testEnv {
	t.Helper()
	e := newEmptyEnv(t, configure)
	if _, err := e.Svc.Seed(testContext(t), false); err != nil {
		t.Fatal(err)
	}
	return e
}

// newEmptyEnv starts a testEnv on an empty stream.
func newEmptyEnv(t *testing.T, configure func(*Config)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := events.OpenStore(ctx, events.StoreConfig{Dir: filepath.Join(dir, "jetstream")})
	if err != nil {
		t.Fatal(err)
	}
	db, _, err := projections.OpenDB(filepath.Join(dir, "read.db"))
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	proj, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { proj.Run(ctx, store) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		db.Close()
		store.Close()
	})
	cfg := Config{Store: store, DB: db, Projector: proj, Hasher: fastHasher{}}
	if configure != nil {
		configure(&cfg)
	}
	return &testEnv{Store: store, DB: db, Proj: proj, Svc: New(cfg)}
}

// testContext returns a context that ends with the test or after 30 s.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// register signs a user up or fails the test.
func (e *testEnv) register(t *testing.T, nickname string) string {
	t.Helper()
	id, err := e.Svc.Register(testContext(t), RegisterInput{Nickname: nickname, Email: nickname + "@example.com", Password: "password-" + nickname})
	if err != nil {
		t.Fatalf("register %s: %v", nickname, err)
	}
	return id
}

// wantCode fails the test unless err is an application error with code (and
// field, when not empty).
func wantCode(t *testing.T, what string, err error, code, field string) {
	t.Helper()
	if got := events.ErrorCode(err); got != code {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
	if field == "" {
		return
	}
	var e *events.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("%s: err = %#v, want field %q", what, err, field)
	}
}
