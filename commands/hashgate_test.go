package commands_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/fault"
	"forum/internal/forumtest"
)

// blockingHasher checks passwords only when let through, and counts how
// many checks run at once.
type blockingHasher struct {
	forumtest.FastHasher
	entered chan struct{}
	release chan struct{}

	mu            sync.Mutex
	running, peak int
}

func (h *blockingHasher) Verify(hash, p string) bool {
	h.mu.Lock()
	h.running++
	h.peak = max(h.peak, h.running)
	h.mu.Unlock()
	h.entered <- struct{}{}
	<-h.release
	h.mu.Lock()
	h.running--
	h.mu.Unlock()
	return h.FastHasher.Verify(hash, p)
}

// Password checks run at most HashSlots at once; HashQueue more wait, for at
// most HashWait; the rest are told at once to come back (EUNAVAILABLE).
func TestHashingIsBounded(t *testing.T) {
	t.Parallel()
	h := &blockingHasher{entered: make(chan struct{}, 100), release: make(chan struct{})}
	e := forumtest.NewCore(t, forumtest.Options{})
	e.Register("alice")
	svc := commands.New(commands.Config{Store: e.Store, DB: e.DB, Projector: e.Proj, Hasher: h, HashSlots: 2, HashQueue: 3, HashWait: time.Minute})
	ctx := forumtest.Context(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := svc.Authenticate(ctx, "alice", "wrong-password")
			errs <- err
		}()
	}
	// Two run, three wait, three are turned away at once.
	<-h.entered
	<-h.entered
	for range 3 {
		if err := <-errs; fault.Code(err) != fault.EUNAVAILABLE {
			t.Fatalf("past the queue: %v, want unavailable", err)
		}
	}
	close(h.release)
	for range n - 3 {
		if err := <-errs; fault.Code(err) != fault.EUNAUTHENTICATED {
			t.Errorf("in the queue: %v, want unauthenticated", err)
		}
	}
	if h.peak != 2 {
		t.Errorf("%d checks ran at once, want 2", h.peak)
	}

	// A wait past HashWait gives up too.
	slow := &blockingHasher{entered: make(chan struct{}, 10), release: make(chan struct{})}
	short := commands.New(commands.Config{Store: e.Store, DB: e.DB, Projector: e.Proj, Hasher: slow, HashSlots: 1, HashQueue: 5, HashWait: 50 * time.Millisecond})
	go short.Authenticate(context.Background(), "alice", "x")
	<-slow.entered
	if _, err := short.Authenticate(ctx, "alice", "y"); fault.Code(err) != fault.EUNAVAILABLE {
		t.Errorf("waiting past HashWait: %v, want unavailable", err)
	}
	close(slow.release)
}

// hashCounter counts the passwords hashed.
type hashCounter struct {
	forumtest.FastHasher
	mu     sync.Mutex
	hashes int
}

func (h *hashCounter) Hash(p string) (string, error) {
	h.mu.Lock()
	h.hashes++
	h.mu.Unlock()
	return h.FastHasher.Hash(p)
}

// A sign-up whose nickname or email is taken, or whose input is invalid, is
// refused before its password is hashed.
func TestSignUpRefusedBeforeHashing(t *testing.T) {
	t.Parallel()
	h := &hashCounter{}
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.Hasher = h }})
	e.Register("alice")
	ctx := forumtest.Context(t)
	for _, in := range []commands.RegisterInput{
		{Nickname: "ALICE", Email: "new@example.com", Password: "a-good-passphrase"},
		{Nickname: "alice2", Email: "Alice@Example.com", Password: "a-good-passphrase"},
		{Nickname: "carol", Email: "carol@example.com", Password: "iloveyou"},
	} {
		if _, err := e.Cmds.Register(ctx, in); err == nil {
			t.Errorf("sign-up %+v succeeded", in)
		}
	}
	if h.hashes != 1 {
		t.Errorf("%d passwords hashed, want 1 (alice's own)", h.hashes)
	}
}
