package commands_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// barrierHasher is forumtest.FastHasher whose checks wait until n of them
// have come (or a few seconds).
type barrierHasher struct {
	forumtest.FastHasher
	n    int
	mu   sync.Mutex
	seen int
	all  chan struct{}
}

func (b *barrierHasher) Verify(h, p string) bool {
	b.mu.Lock()
	if b.seen++; b.seen == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(5 * time.Second):
	}
	return b.FastHasher.Verify(h, p)
}

// Password changes racing on one account, each with the right current
// password, are decided in the log: exactly one lands, the others answer
// conflict, and the password is the one that landed.
func TestChangePasswordRacesDecidedInTheLog(t *testing.T) {
	t.Parallel()
	const n = 6
	// Every change checks the current password before any goes on: they
	// all race to the log.
	gate := &barrierHasher{n: n, all: make(chan struct{})}
	e := forumtest.NewCore(t, forumtest.Options{Empty: true, Configure: func(c *commands.Config) { c.Hasher, c.HashSlots = gate, n }})
	user := events.UserID(e.Register("ray"))
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.Cmds.ChangePassword(forumtest.Context(t), user, "", commands.ChangePasswordInput{
				CurrentPassword: forumtest.Password("ray"), Password: fmt.Sprintf("new secret number %d", i)})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch fault.Code(err) {
		case "":
			if won >= 0 {
				t.Errorf("changes %d and %d both landed", won, i)
			}
			won = i
		case fault.ECONFLICT, fault.EUNAUTHENTICATED: // lost the race, or came after the winner
		default:
			t.Errorf("change %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no change landed")
	}
	if got := eventsOn(t, e, events.PasswordChanged.Subject(string(user))); got != 1 {
		t.Errorf("%d password.changed events, want 1", got)
	}
	if _, err := e.Cmds.Authenticate(forumtest.Context(t), "ray", fmt.Sprintf("new secret number %d", won)); err != nil {
		t.Errorf("the password that landed: %v", err)
	}
}

// A profile change validates every field and names each problem.
func TestProfileInputValidate(t *testing.T) {
	t.Parallel()
	bio, age, empty := strings.Repeat("x", commands.MaxBioLen+1), 200, ""
	err := commands.ProfileInput{Bio: &bio, Age: &age, FirstName: &empty}.Validate()
	wantCode(t, "a long bio and an old age", err, fault.EINVALID, "bio")
	var fe *fault.Error
	if !errors.As(err, &fe) || len(fe.Problems) != 2 || fe.Problems[1].Field != "age" {
		t.Errorf("problems: %#v", err)
	}
	bio = strings.Repeat("é", commands.MaxBioLen)
	if err := (commands.ProfileInput{Bio: &bio, FirstName: &empty}).Validate(); err != nil {
		t.Errorf("a bio of %d characters: %v", commands.MaxBioLen, err)
	}
}
