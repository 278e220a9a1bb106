package projections_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// An erased user's reactions still count and are listed as the deleted
// user's, in the live read models and in read models rebuilt from the
// stream alike; a reaction on a target the read models never held changes
// nothing.
func TestReactionsAfterErasure(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 7)
	ctx := forumtest.Context(t)
	w.play(20)
	ann, bob := w.users[0], w.users[1]
	post, err := w.Svc.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: "Erasure", Body: "b", Categories: []string{"general"}})
	w.must("post", err)
	target := events.Target{Kind: events.KindPost, ID: post.ID}
	for _, u := range []string{bob, ann} {
		_, err := w.Svc.React(ctx, commands.ReactInput{User: events.UserID(u), Target: target, Name: "heart", On: true})
		w.must("react", err)
	}
	_, err = w.Svc.React(ctx, commands.ReactInput{User: events.UserID(bob), Target: target, Name: "sad", On: true})
	w.must("react", err)
	w.must("erase bob", w.Svc.Erase(ctx, events.UserID(bob), "password-"+w.nicks[1]))
	head := w.head()

	check := func(what string, db *projections.DB) {
		t.Helper()
		r, err := db.Reactions(ctx, target, events.UserID(ann))
		if err != nil {
			t.Fatal(err)
		}
		if want := (projections.ReactionCounts{"heart": 2, "sad": 1}); !reflect.DeepEqual(r.Counts, want) || !reflect.DeepEqual(r.Mine, []string{"heart"}) {
			t.Errorf("%s: reactions %v mine %v, want %v mine [heart]", what, r.Counts, r.Mine, want)
		}
		page, err := db.Reactors(ctx, projections.ReactorFilter{Target: target, Name: "heart"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range page.Items {
			names = append(names, u.Nickname)
		}
		if want := []string{projections.ErasedNickname, w.nicks[0]}; !reflect.DeepEqual(names, want) {
			t.Errorf("%s: who reacted heart: %v, want %v", what, names, want)
		}
	}
	check("live", w.DB)
	res, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "rebuilt.db")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seq != head {
		t.Fatalf("rebuilt to %d, want %d", res.Seq, head)
	}
	rebuilt := openDB(t, res.Path)
	check("rebuilt", rebuilt)
	compareAnswers(t, "live vs rebuilt", w.answers(rebuilt), w.answers(w.DB))
}
