package gateway

import (
	"net/http"
	"testing"
)

func TestSignupSigninMe(t *testing.T) {
	f := newForum(t, forumOptions{})
	c := f.signup("alice")
	var me struct {
		User struct{ ID, Nickname, Email string } `json:"user"`
	}
	c.mustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if got, want := me.User.Email, "alice@example.com"; got != want {
		t.Errorf("email = %q, want %q", got, want)
	}
	if status, _ := f.anon().do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous /api/me = %d, want 401", status)
	}
	var in struct{ Token string }
	f.anon().mustDo("POST", "/api/signin", map[string]string{"login": "ALICE@example.com", "password": "password-alice"}, http.StatusOK, &in)
	if in.Token == "" || in.Token == c.Token {
		t.Errorf("signin gave token %q, want a new one", in.Token)
	}
	c.mustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	if status, _ := c.do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("after signout /api/me = %d, want 401", status)
	}
}
