package projections_test

import (
	"encoding/json"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// A reader's own marks on a page (watch levels, bookmarks, reactions, read
// states) come back the same whether kept in memory or looked up mark by
// mark, while the forum lives: the kept ones are read between rounds of
// bookmarks, watches (of posts and categories), reactions, reads,
// comments, hiding and erasure, so a mark kept past a change that should
// forget it shows.
//
// With room for few marks a reader, most readers have too many to keep and
// their pages look them up: the same again.
func TestKeptMarksAgreeWithTheirLookups(t *testing.T) {
	t.Run("kept", func(t *testing.T) { compareKeptMarks(t, 17) })
	t.Run("too many to keep", func(t *testing.T) {
		projections.SetMaxMarkSet(t, 3)
		compareKeptMarks(t, 19)
	})
}

func compareKeptMarks(t *testing.T, seed uint64) {
	w := newWorld(t, seed)
	ctx := forumtest.Context(t)
	compared, marked := 0, 0
	for round := range 12 {
		w.play(scaled(60))
		for _, u := range w.users {
			for at := 0; at < len(w.posts); at += projections.MaxLimit {
				var ids []string
				var refs []projections.PostRef
				for _, id := range w.posts[at:min(at+projections.MaxLimit, len(w.posts))] {
					p, err := w.DB.Post(ctx, events.PostID(id), "")
					if err != nil {
						continue // deleted
					}
					ids, refs = append(ids, id), append(refs, p.Ref())
				}
				kept, err := w.DB.Mines(ctx, events.UserID(u), refs)
				if err != nil {
					t.Fatal(err)
				}
				looked, err := projections.LookUpMines(ctx, w.DB, u, ids)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					a, _ := json.Marshal(kept[id])
					b, _ := json.Marshal(looked[id])
					if string(a) != string(b) {
						t.Fatalf("round %d, %s on %s: kept %s, looked up %s", round, u, id, a, b)
					}
					if m := looked[id]; m.Bookmarked || len(m.MyReactions) > 0 || m.Watch != events.WatchNormal {
						marked++
					}
					compared++
				}
			}
		}
	}
	if marked == 0 || marked == compared {
		t.Fatalf("%d of %d compared marks set: the world did not mark enough to tell", marked, compared)
	}
	t.Logf("%d marks compared, %d of them set", compared, marked)
}

// MineFragment writes what encoding/json writes of a Mine, after a comma
// and without its braces.
func TestMineFragmentIsItsJSON(t *testing.T) {
	first := "0123456789abcdefghjkmnpqrs"
	odd := "a\"b<c>&\\\u00e9\n"
	for _, m := range []*projections.Mine{
		{},
		{Read: true, UnreadComments: 99, FirstUnread: &first, MyReactions: []string{"heart", "laugh"}, Bookmarked: true, Watch: events.WatchWatching},
		{MyReactions: []string{}, Watch: events.WatchMuted},
		{FirstUnread: &odd, MyReactions: []string{odd}, Watch: events.WatchLevel(odd)},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := projections.MineFragment(m)
		if err != nil {
			t.Fatal(err)
		}
		if w := "," + string(want[1:len(want)-1]); string(got) != w {
			t.Errorf("MineFragment:\n got %s\nwant %s", got, w)
		}
	}
	if got, _ := projections.MineFragment(nil); got != nil {
		t.Errorf("MineFragment(nil) = %q", got)
	}
}
