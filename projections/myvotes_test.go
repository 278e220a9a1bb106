package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// A reader's own votes on a page come back exact, whether kept in memory
// or, for a reader with too many to keep, looked up post by post.
func TestMyPostVotes(t *testing.T) {
	w := newWorld(t, 3)
	w.signup()
	w.signup()
	heavy, light := w.users[0], w.users[1]
	ctx := forumtest.Context(t)
	const n = 30
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			created, err := w.Svc.CreatePost(ctx, events.UserID(light), commands.PostInput{Title: fmt.Sprint("post ", i), Body: "body", Categories: []string{"general"}})
			id := created.ID
			if err == nil {
				err = w.Svc.Vote(ctx, commands.VoteInput{Voter: events.UserID(heavy), Target: events.Target{Kind: events.KindPost, ID: id}, Value: 1 - 2*(i%2)})
			}
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if err := w.Svc.Vote(ctx, commands.VoteInput{Voter: events.UserID(light), Target: events.Target{Kind: events.KindPost, ID: ids[5]}, Value: -1}); err != nil {
		t.Fatal(err)
	}
	picked := []string{ids[0], ids[5], ids[17], ids[n-1]}
	want := map[string]int{}
	for _, i := range []int{0, 5, 17, n - 1} {
		want[ids[i]] = 1 - 2*(i%2)
	}
	for user, want := range map[string]map[string]int{heavy: want, light: {ids[5]: -1}} {
		for name, read := range map[string]func(context.Context, events.UserID, []string) (map[string]int, error){
			"kept in memory": w.DB.MyPostVotes,
			"looked up": func(ctx context.Context, u events.UserID, ids []string) (map[string]int, error) {
				return projections.LookUpPostVotes(ctx, w.DB, string(u), ids)
			},
		} {
			got, err := read(ctx, events.UserID(user), picked)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("votes of %s, %s: %v, want %v", user, name, got, want)
			}
		}
	}
	// A vote that commits is seen at once, though the votes were kept.
	if err := w.Svc.Vote(ctx, commands.VoteInput{Voter: events.UserID(light), Target: events.Target{Kind: events.KindPost, ID: ids[5]}, Value: 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.DB.MyPostVotes(ctx, events.UserID(light), picked); got[ids[5]] != 1 {
		t.Errorf("after light's new vote: %v", got)
	}
}

// A session kept in memory stays while no session changes (a post does
// not forget it) and is read afresh once one does: after a sign-out it is
// gone at once.
func TestSessionsKeptUntilASessionChanges(t *testing.T) {
	w := newWorld(t, 5)
	ctx := forumtest.Context(t)
	w.signup()
	hash := commands.TokenHash(w.sessions[0].Token)
	if _, err := w.DB.SessionByTokenHash(ctx, hash); err != nil {
		t.Fatal(err)
	}
	kept := projections.SessionsForgotten(w.DB)
	if _, err := w.Svc.CreatePost(ctx, events.UserID(w.users[0]), commands.PostInput{Title: "a post", Body: "body", Categories: []string{"general"}}); err != nil {
		t.Fatal(err)
	}
	if got := projections.SessionsForgotten(w.DB); got != kept {
		t.Fatalf("a post made the sessions be forgotten (%d times, was %d)", got, kept)
	}
	if err := w.Svc.SignOut(ctx, w.sessions[0]); err != nil {
		t.Fatal(err)
	}
	if got := projections.SessionsForgotten(w.DB); got == kept {
		t.Fatal("a sign-out left the sessions kept")
	}
	if _, err := w.DB.SessionByTokenHash(ctx, hash); fault.Code(err) != fault.ENOTFOUND {
		t.Fatalf("the signed-out session: %v, want not found", err)
	}
}
