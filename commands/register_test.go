package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// signupResult is what one of several concurrent sign-ups got.
type signupResult struct {
	in  commands.RegisterInput
	id  string
	err error
}

// registerAtOnce runs every sign-up in its own goroutine, released together.
func registerAtOnce(t *testing.T, e *forumtest.Core, ins []commands.RegisterInput) []signupResult {
	t.Helper()
	ctx := forumtest.Context(t)
	start := make(chan struct{})
	out := make([]signupResult, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			<-start
			id, err := e.Cmds.Register(ctx, in)
			out[i] = signupResult{in, string(id), err}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// oneWinner checks that exactly one sign-up succeeded and every other one
// got ETAKEN about field; it returns the winner and the losers.
func oneWinner(t *testing.T, results []signupResult, field string) (signupResult, []signupResult) {
	t.Helper()
	var winners, losers []signupResult
	for _, r := range results {
		if r.err == nil {
			winners = append(winners, r)
			continue
		}
		wantCode(t, fmt.Sprintf("sign-up %+v", r.in), r.err, fault.ETAKEN, field)
		losers = append(losers, r)
	}
	if len(winners) != 1 {
		t.Fatalf("%d sign-ups succeeded, want exactly 1: %+v", len(winners), winners)
	}
	return winners[0], losers
}

func TestRegisterConcurrentNickname(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	var ins []commands.RegisterInput
	for i, nick := range []string{"bob", "Bob", "BOB", "bOb", "boB", "BoB", "bOB", "BOb"} {
		ins = append(ins, commands.RegisterInput{Nickname: nick, Email: fmt.Sprintf("bob%d@example.com", i), Password: "correct-horse-battery"})
	}
	winner, losers := oneWinner(t, registerAtOnce(t, e, ins), "nickname")
	ctx := forumtest.Context(t)
	for _, login := range []string{"bob", "BOB", winner.in.Nickname} {
		id, err := e.Cmds.Authenticate(ctx, login, "correct-horse-battery")
		if err != nil || string(id) != winner.id {
			t.Errorf("sign in as %q = %q, %v; want the winner %q", login, id, err, winner.id)
		}
	}
	// The losers never claimed their emails: those are free.
	for i, l := range losers {
		if _, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: fmt.Sprintf("other%d", i), Email: l.in.Email, Password: "correct-horse-battery"}); err != nil {
			t.Errorf("sign up with a losing sign-up's email %s: %v", l.in.Email, err)
		}
	}
}

func TestRegisterConcurrentEmail(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	var ins []commands.RegisterInput
	for i, email := range []string{"carol@example.com", "Carol@example.com", "CAROL@EXAMPLE.COM", "carol@Example.com", "cArOl@example.com", "carol@EXAMPLE.com", "CAROL@example.com", "carol@exAmple.cOm"} {
		ins = append(ins, commands.RegisterInput{Nickname: fmt.Sprintf("carol%d", i), Email: email, Password: "correct-horse-battery"})
	}
	winner, losers := oneWinner(t, registerAtOnce(t, e, ins), "email")
	ctx := forumtest.Context(t)
	if id, err := e.Cmds.Authenticate(ctx, "CAROL@example.COM", "correct-horse-battery"); err != nil || string(id) != winner.id {
		t.Errorf("sign in by email = %q, %v; want the winner %q", id, err, winner.id)
	}
	// Each loser claimed its nickname before failing on the email: the
	// nickname was released, so a later sign-up with it succeeds.
	for _, l := range losers {
		if _, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: l.in.Nickname, Email: l.in.Nickname + "@example.net", Password: "correct-horse-battery"}); err != nil {
			t.Errorf("sign up with the released nickname %s: %v", l.in.Nickname, err)
		}
	}
	// And it is taken again now.
	_, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: strings.ToUpper(losers[0].in.Nickname), Email: "x@example.org", Password: "correct-horse-battery"})
	wantCode(t, "nickname taken again", err, fault.ETAKEN, "nickname")
}

func TestRegisterTakenAndReleased(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	e.Register("dave")
	tests := []struct {
		name  string
		in    commands.RegisterInput
		field string // "" = succeeds
	}{
		{"same nickname, other case", commands.RegisterInput{Nickname: "DAVE", Email: "d1@example.com", Password: "correct-horse-battery"}, "nickname"},
		{"same email, other case", commands.RegisterInput{Nickname: "dave2", Email: "Dave@Example.com", Password: "correct-horse-battery"}, "email"},
		{"nickname of the failed sign-up is free again", commands.RegisterInput{Nickname: "dave2", Email: "dave2@example.com", Password: "correct-horse-battery"}, ""},
		{"now taken", commands.RegisterInput{Nickname: "Dave2", Email: "dave3@example.com", Password: "correct-horse-battery"}, "nickname"},
		{"nickname like an email's local part is fine", commands.RegisterInput{Nickname: "dave.example.com", Email: "dave4@example.com", Password: "correct-horse-battery"}, ""},
	}
	for _, tt := range tests {
		_, err := e.Cmds.Register(ctx, tt.in)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantCode(t, tt.name, err, fault.ETAKEN, tt.field)
	}
}

// failingStore is the real store, except that appending a user.registered
// event fails: a sign-up that fails after both claims.
type failingStore struct {
	*events.Store
}

func (s failingStore) Append(ctx context.Context, subject string, env events.Envelope, opts ...events.AppendOption) (events.Ack, error) {
	if env.Type == events.UserRegistered {
		return events.Ack{}, errors.New("disk on fire")
	}
	return s.Store.Append(ctx, subject, env, opts...)
}

func TestRegisterFailureReleasesBothClaims(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	broken := commands.New(commands.Config{Store: failingStore{e.Store}, DB: e.DB, Projector: e.Proj, Hasher: forumtest.FastHasher{}})
	in := commands.RegisterInput{Nickname: "erin", Email: "erin@example.com", Password: "correct-horse-battery"}
	if _, err := broken.Register(ctx, in); fault.Code(err) != fault.EINTERNAL {
		t.Fatalf("register with a failing store: err = %v, want an internal error", err)
	}
	if _, err := e.Cmds.Register(ctx, in); err != nil {
		t.Fatalf("register after the failed attempt: %v (claims not released)", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	ok := commands.RegisterInput{Nickname: "valid_nick", Email: "valid@example.com", Password: "correct-horse-battery"}
	with := func(f func(*commands.RegisterInput)) commands.RegisterInput {
		in := ok
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    commands.RegisterInput
		field string // "" = valid
	}{
		{"valid", ok, ""},
		{"every optional field", with(func(in *commands.RegisterInput) {
			in.FirstName, in.LastName, in.Age, in.Gender = "Ada", "Lovelace", 36, "female"
		}), ""},
		{"nickname of 3", with(func(in *commands.RegisterInput) { in.Nickname = "abc" }), ""},
		{"nickname of 24", with(func(in *commands.RegisterInput) { in.Nickname = strings.Repeat("a", 24) }), ""},
		{"nickname with _ . -", with(func(in *commands.RegisterInput) { in.Nickname = "A.b-C_9" }), ""},
		{"nickname of 2", with(func(in *commands.RegisterInput) { in.Nickname = "ab" }), "nickname"},
		{"nickname of 25", with(func(in *commands.RegisterInput) { in.Nickname = strings.Repeat("a", 25) }), "nickname"},
		{"empty nickname", with(func(in *commands.RegisterInput) { in.Nickname = "" }), "nickname"},
		{"nickname with a space", with(func(in *commands.RegisterInput) { in.Nickname = "bob smith" }), "nickname"},
		{"nickname with @", with(func(in *commands.RegisterInput) { in.Nickname = "bob@home" }), "nickname"},
		{"nickname with a non-ASCII letter", with(func(in *commands.RegisterInput) { in.Nickname = "zoë" }), "nickname"},
		{"nickname with a wildcard", with(func(in *commands.RegisterInput) { in.Nickname = "bob*" }), "nickname"},
		{"nickname with a newline", with(func(in *commands.RegisterInput) { in.Nickname = "bob\n" }), "nickname"},
		{"email with plus and subdomain", with(func(in *commands.RegisterInput) { in.Email = "first.last+tag@mail.example.co.uk" }), ""},
		{"empty email", with(func(in *commands.RegisterInput) { in.Email = "" }), "email"},
		{"email without @", with(func(in *commands.RegisterInput) { in.Email = "bob.example.com" }), "email"},
		{"email without domain", with(func(in *commands.RegisterInput) { in.Email = "bob@" }), "email"},
		{"email without local part", with(func(in *commands.RegisterInput) { in.Email = "@example.com" }), "email"},
		{"email without a dot in the domain", with(func(in *commands.RegisterInput) { in.Email = "bob@localhost" }), "email"},
		{"email with a display name", with(func(in *commands.RegisterInput) { in.Email = "Bob <bob@example.com>" }), "email"},
		{"email with spaces around", with(func(in *commands.RegisterInput) { in.Email = " bob@example.com" }), "email"},
		{"email of 255", with(func(in *commands.RegisterInput) {
			in.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"
		}), "email"},
		{"password of 8", with(func(in *commands.RegisterInput) { in.Password = "12345678" }), ""},
		{"password of 256", with(func(in *commands.RegisterInput) { in.Password = strings.Repeat("p", 256) }), ""},
		{"password of 8 multi-byte characters", with(func(in *commands.RegisterInput) { in.Password = "éééééééé" }), ""},
		{"password of 7", with(func(in *commands.RegisterInput) { in.Password = "1234567" }), "password"},
		{"password of 7 characters in 14 bytes", with(func(in *commands.RegisterInput) { in.Password = "ééééééé" }), "password"},
		{"password of 257", with(func(in *commands.RegisterInput) { in.Password = strings.Repeat("p", 257) }), "password"},
		{"empty password", with(func(in *commands.RegisterInput) { in.Password = "" }), "password"},
		{"age 0 (not given)", with(func(in *commands.RegisterInput) { in.Age = 0 }), ""},
		{"age 150", with(func(in *commands.RegisterInput) { in.Age = 150 }), ""},
		{"age -1", with(func(in *commands.RegisterInput) { in.Age = -1 }), "age"},
		{"age 151", with(func(in *commands.RegisterInput) { in.Age = 151 }), "age"},
		{"first name of 65", with(func(in *commands.RegisterInput) { in.FirstName = strings.Repeat("a", 65) }), "first_name"},
		{"last name with a control character", with(func(in *commands.RegisterInput) { in.LastName = "Love\x00lace" }), "last_name"},
		{"gender of spaces", with(func(in *commands.RegisterInput) { in.Gender = "   " }), "gender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.in, err)
				}
				return
			}
			wantCode(t, "Validate", err, fault.EINVALID, tt.field)
		})
	}

	// Register refuses invalid input before appending anything.
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	before, err := e.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if tt.field == "" {
			continue
		}
		_, err := e.Cmds.Register(ctx, tt.in)
		wantCode(t, "Register "+tt.name, err, fault.EINVALID, tt.field)
	}
	if after, err := e.Store.LastSeq(ctx); err != nil || after != before {
		t.Errorf("invalid sign-ups appended events: seq %d → %d (%v)", before, after, err)
	}
}
