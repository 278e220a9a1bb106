package gateway_test

import (
	"forum/commands"
	"forum/internal/forumtest"
	"net/http"
	"sync/atomic"
	"testing"
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
	get := func(login, password string) int {
		req, _ := http.NewRequest("GET", f.URL+"/api/me", nil)
		req.SetBasicAuth(login, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	before := hasher.verifies.Load()
	for range 5 {
		if status := get("alice", "password-alice"); status != http.StatusOK {
			t.Fatalf("Basic /api/me = %d, want 200", status)
		}
	}
	if got := hasher.verifies.Load() - before; got != 1 {
		t.Errorf("5 Basic requests checked the password %d times, want 1", got)
	}
	// Wrong passwords, by nickname and by email, share one budget of 5.
	for i := range 5 {
		login := "alice"
		if i%2 == 1 {
			login = "alice@example.com"
		}
		if status := get(login, "wrong-password"); status != http.StatusUnauthorized {
			t.Fatalf("wrong password = %d, want 401", status)
		}
	}
	before = hasher.verifies.Load()
	if status := get("alice@example.com", "another-wrong-one"); status != http.StatusUnauthorized {
		t.Fatalf("throttled = %d, want 401", status)
	}
	if got := hasher.verifies.Load() - before; got != 0 {
		t.Errorf("a throttled attempt checked the password %d times, want 0", got)
	}
}
