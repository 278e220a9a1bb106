package commands_test

import (
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// A nickname of --admins makes an admin of the first account ever to hold
// it (a sign-up that failed halfway before it does not count), never of a
// later holder after an erasure, at sign-up or at start-up; and the last
// admin cannot leave by erasure.
func TestConfiguredAdminIsTheNicknamesFirstHolder(t *testing.T) {
	t.Parallel()
	admins := []string{"boss"}
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = admins }})
	ctx := forumtest.Context(t)
	role := func(user string) events.Role {
		t.Helper()
		st, err := e.DB.StandingOf(ctx, events.UserID(user))
		if err != nil {
			t.Fatal(err)
		}
		return st.Role
	}
	broken := commands.New(commands.Config{Store: failingStore{e.Store}, DB: e.DB, Projector: e.Proj, Hasher: forumtest.FastHasher{}, Admins: admins})
	in := commands.RegisterInput{Nickname: "boss", Email: "boss@example.com", Password: "correct-horse-battery"}
	if _, err := broken.Register(ctx, in); fault.Code(err) != fault.EINTERNAL {
		t.Fatalf("register with a failing store: err = %v, want an internal error", err)
	}
	boss, err := e.Cmds.Register(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if r := role(string(boss)); r != events.RoleAdmin {
		t.Fatalf("the first account named boss: role %q, want admin", r)
	}
	wantCode(t, "the last admin erasing their account", e.Cmds.Erase(ctx, boss, in.Password), fault.ECONFLICT, "")
	if st, err := e.DB.StandingOf(ctx, boss); err != nil || st.Erased || st.Role != events.RoleAdmin {
		t.Fatalf("after a refused erasure: %+v, %v; want an admin, not erased", st, err)
	}
	ann := e.Register("ann")
	if err := e.Cmds.SetRole(ctx, events.UserID(boss), events.UserID(ann), events.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.Erase(ctx, boss, in.Password); err != nil {
		t.Fatalf("an admin erasing their account beside another admin: %v", err)
	}
	again, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "BOSS", Email: "other@example.com", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.EnsureAdmins(ctx, admins); err != nil {
		t.Fatal(err)
	}
	if r := role(string(again)); r == events.RoleAdmin {
		t.Errorf("BOSS, signed up after boss was erased: role %q, want a member", r)
	}
	wantCode(t, "the new last admin erasing their account", e.Cmds.Erase(ctx, events.UserID(ann), forumtest.Password("ann")), fault.ECONFLICT, "")
}
