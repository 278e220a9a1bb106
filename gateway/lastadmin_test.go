package gateway_test

import (
	"net/http"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// The last admin cannot give up the role (409); with another admin, they
// can.
func TestLastAdminKeepsRole(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann := f.SignUp("boss"), f.SignUp("ann")
	for _, role := range []string{"moderator", "member"} {
		if status, body := boss.Do("PUT", "/api/users/"+boss.User.ID+"/role", map[string]any{"role": role}); status != http.StatusConflict {
			t.Errorf("the last admin becoming a %s: %d %s, want 409", role, status, body)
		}
	}
	boss.MustDo("PUT", "/api/users/"+boss.User.ID+"/role", map[string]any{"role": "admin"}, http.StatusNoContent, nil)
	boss.MustDo("PUT", "/api/users/"+ann.User.ID+"/role", map[string]any{"role": "admin"}, http.StatusNoContent, nil)
	boss.MustDo("PUT", "/api/users/"+boss.User.ID+"/role", map[string]any{"role": "member"}, http.StatusNoContent, nil)
	if status, _ := ann.Do("PUT", "/api/users/"+ann.User.ID+"/role", map[string]any{"role": "member"}); status != http.StatusConflict {
		t.Errorf("the new last admin stepping down: %d, want 409", status)
	}
}

// Two admins stepping down at once leave one of them an admin.
func TestAdminsSteppingDownAtOnce(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"ann", "bob"} }})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	ctx := forumtest.Context(t)
	for round := range 30 {
		var wg sync.WaitGroup
		for _, c := range []*forumtest.Client{ann, bob} {
			wg.Go(func() { f.Cmds.SetRole(ctx, events.UserID(c.User.ID), events.UserID(c.User.ID), "member") })
		}
		wg.Wait()
		n, err := f.DB.AdminCount(ctx)
		if err != nil || n != 1 {
			t.Fatalf("round %d: %d admins (%v), want 1", round, n, err)
		}
		for _, c := range []*forumtest.Client{ann, bob} {
			if err := f.Cmds.SetRole(ctx, "", events.UserID(c.User.ID), "admin"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The last admin cannot leave by erasing their account (409, and the
// account stays); beside another admin they can, and a later sign-up with
// their nickname, any case, is a member.
func TestLastAdminCannotEraseTheirAccount(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann := f.SignUp("boss"), f.SignUp("ann")
	leave := map[string]any{"password": forumtest.Password("boss")}
	if status, body := boss.Do("DELETE", "/api/me", leave); status != http.StatusConflict {
		t.Fatalf("the last admin erasing their account: %d %s, want 409", status, body)
	}
	boss.MustDo("GET", "/api/me", nil, http.StatusOK, nil)
	boss.MustDo("PUT", "/api/users/"+ann.User.ID+"/role", map[string]any{"role": "admin"}, http.StatusNoContent, nil)
	boss.MustDo("DELETE", "/api/me", leave, http.StatusNoContent, nil)
	var out struct {
		User struct {
			Role string `json:"role"`
		} `json:"user"`
	}
	f.Anon().MustDo("POST", "/api/signup", map[string]any{"nickname": "BOSS", "email": "other@example.com", "password": "a-good-passphrase"}, http.StatusCreated, &out)
	if out.User.Role == "admin" {
		t.Errorf("BOSS, signed up after boss's erasure: an admin, want a member")
	}
}
