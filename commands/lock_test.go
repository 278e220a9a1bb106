package commands_test

import (
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// A lock and members' comments racing it: every comment that was taken
// landed before the lock in the log, every other was refused as a
// conflict, and a moderator's comment on the locked post is refused too.
func TestCommentsNeverLandAfterALock(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	ctx := forumtest.Context(t)
	boss, ann, bob := e.Register("boss"), e.Register("ann"), e.Register("bob")
	const comments = 24
	for round, post := range posts(t, e, ann, 3) {
		ids := make([]events.CommentID, comments)
		errs := make([]error, comments)
		var lockErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range comments {
			author := []string{ann, bob}[i%2]
			wg.Go(func() {
				<-start
				ids[i], errs[i] = e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(author), PostID: post, Body: "a comment"})
			})
		}
		wg.Go(func() {
			<-start
			lockErr = e.Cmds.LockPost(ctx, events.UserID(boss), post, true)
		})
		close(start)
		wg.Wait()
		if lockErr != nil {
			t.Fatalf("round %d: lock: %v", round, lockErr)
		}
		lock, err := e.Store.Last(ctx, events.PostLocked.Subject(string(post)))
		if err != nil || lock.Type != events.PostLocked {
			t.Fatalf("round %d: the lock in the log: %v %v", round, lock.Type, err)
		}
		taken := 0
		for i, err := range errs {
			if err != nil {
				wantCode(t, "a comment the lock overtook", err, fault.ECONFLICT, "")
				continue
			}
			taken++
			ev, err := e.Store.Last(ctx, events.CommentCreated.Subject(string(ids[i])))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Seq > lock.Seq {
				t.Errorf("round %d: comment %d landed at %d, after the lock at %d", round, i, ev.Seq, lock.Seq)
			}
		}
		p, err := e.DB.Post(ctx, post, "")
		if err != nil || p.CommentCount != taken {
			t.Errorf("round %d: %d comments taken, the post counts %d (%v)", round, taken, p.CommentCount, err)
		}
		_, err = e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(boss), PostID: post, Body: "from a moderator"})
		wantCode(t, "a moderator's comment on the locked post", err, fault.ECONFLICT, "")
	}
}
