package gateway_test

import (
	"forum/commands"
	"forum/internal/forumtest"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSignupSigninMe(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	c := f.SignUp("alice")
	var me struct {
		User struct{ ID, Nickname, Email string } `json:"user"`
	}
	c.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if got, want := me.User.Email, "alice@example.com"; got != want {
		t.Errorf("email = %q, want %q", got, want)
	}
	if status, _ := f.Anon().Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous /api/me = %d, want 401", status)
	}
	var in struct{ Token string }
	f.Anon().MustDo("POST", "/api/signin", map[string]string{"login": "ALICE@example.com", "password": "password-alice"}, http.StatusOK, &in)
	if in.Token == "" || in.Token == c.Token {
		t.Errorf("signin gave token %q, want a new one", in.Token)
	}
	c.MustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	if status, _ := c.Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("after signout /api/me = %d, want 401", status)
	}
}

// countingHasher is forumtest.FastHasher that counts password checks.
type countingHasher struct {
	forumtest.FastHasher
	verifies atomic.Int64
}

func (h *countingHasher) Verify(hash, p string) bool {
	h.verifies.Add(1)
	return h.FastHasher.Verify(hash, p)
}

func TestBasicAuthIsCachedAndThrottled(t *testing.T) {
	hasher := &countingHasher{}
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Hasher = hasher }})
	f.SignUp("alice")
	get := func(from, path, login, password string) int {
		req, _ := http.NewRequest("GET", f.URL+path, nil)
		req.SetBasicAuth(login, password)
		resp, err := forumtest.HTTPFrom(from).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	before := hasher.verifies.Load()
	for range 5 {
		if status := get("127.0.0.2", "/api/me", "alice", "password-alice"); status != http.StatusOK {
			t.Fatalf("Basic /api/me = %d, want 200", status)
		}
	}
	if got := hasher.verifies.Load() - before; got != 1 {
		t.Errorf("5 Basic requests checked the password %d times, want 1", got)
	}
	// Wrong credentials answer 401 everywhere, public endpoints included.
	for i := range 10 {
		path := []string{"/api/me", "/api/categories", "/api/posts"}[i%3]
		if status := get("127.0.0.2", path, "alice", "wrong-password"); status != http.StatusUnauthorized {
			t.Fatalf("wrong password on %s = %d, want 401", path, status)
		}
	}
	// The 11th failure from that address waits, and checks no password.
	before = hasher.verifies.Load()
	if status := get("127.0.0.2", "/api/categories", "alice", "another-wrong-one"); status != http.StatusTooManyRequests {
		t.Fatalf("throttled = %d, want 429", status)
	}
	if got := hasher.verifies.Load() - before; got != 0 {
		t.Errorf("a throttled attempt checked the password %d times, want 0", got)
	}
	// From another address the right password works at once.
	if status := get("127.0.0.3", "/api/me", "alice", "password-alice"); status != http.StatusOK {
		t.Errorf("alice from another address = %d, want 200", status)
	}
	// A login too long to be one is refused without a hash.
	before = hasher.verifies.Load()
	if status := get("127.0.0.4", "/api/categories", strings.Repeat("x", 300), "pw"); status != http.StatusUnauthorized {
		t.Errorf("a 300-byte login = %d, want 401", status)
	}
	if got := hasher.verifies.Load() - before; got != 0 {
		t.Errorf("a 300-byte login checked the password %d times, want 0", got)
	}
}

// gateHasher blocks every password check until released.
type gateHasher struct {
	forumtest.FastHasher
	entered, release chan struct{}
}

func (h *gateHasher) Verify(hash, p string) bool {
	h.entered <- struct{}{}
	<-h.release
	return h.FastHasher.Verify(hash, p)
}

// When no password check can start in time, a sign-in answers 503 with
// Retry-After instead of piling up.
func TestSignInWhenHashingIsSaturated(t *testing.T) {
	t.Parallel()
	h := &gateHasher{entered: make(chan struct{}, 10), release: make(chan struct{})}
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) {
		c.Hasher, c.HashSlots, c.HashWait = h, 1, time.Millisecond
	}})
	f.Core.Register("alice")
	done := make(chan int, 1)
	go func() {
		status, _ := f.Anon().From("127.0.1.1").Do("POST", "/api/signin", map[string]string{"login": "alice", "password": "wrong"})
		done <- status
	}()
	<-h.entered // the one slot is taken
	resp, err := forumtest.HTTPFrom("127.0.1.2").Post(f.URL+"/api/signin", "application/json", strings.NewReader(`{"login":"alice","password":"wrong"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("sign-in while hashing is saturated: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(h.release)
	if status := <-done; status != http.StatusUnauthorized {
		t.Errorf("the sign-in that had the slot: %d, want 401", status)
	}
}
