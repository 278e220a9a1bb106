package projections_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// topicWorld is a world of n users and no posts yet.
func topicWorld(t *testing.T, users int) *world {
	t.Helper()
	w := newWorld(t, 11)
	for range users {
		w.signup()
	}
	return w
}

func (w *world) post(author int, cats ...string) string {
	w.t.Helper()
	if len(cats) == 0 {
		cats = []string{"general"}
	}
	p, err := w.Svc.CreatePost(forumtest.Context(w.t), events.UserID(w.users[author]), commands.PostInput{Title: "A title", Body: "a body", Categories: cats})
	w.must("post", err)
	return p.ID
}

func (w *world) comment(author int, post string) string {
	w.t.Helper()
	id, err := w.Svc.CreateComment(forumtest.Context(w.t), commands.CommentInput{Author: events.UserID(w.users[author]), PostID: events.PostID(post), Body: "a comment"})
	w.must("comment", err)
	return string(id)
}

func (w *world) vote(voter int, post string, value int) {
	w.t.Helper()
	w.must("vote", w.Svc.Vote(forumtest.Context(w.t), commands.VoteInput{Voter: events.UserID(w.users[voter]), Target: events.Target{Kind: events.KindPost, ID: post}, Value: value}))
}

// list reads every page of f (limit per page) and returns the posts' ids.
func (w *world) list(f projections.PostFilter) []string {
	w.t.Helper()
	w.head()
	var ids []string
	for pages := 0; ; pages++ {
		page, err := w.DB.Posts(forumtest.Context(w.t), f)
		w.must("list", err)
		for _, p := range page.Items {
			ids = append(ids, p.ID)
		}
		if page.Next == nil || pages > 100 {
			return ids
		}
		f.Cursor = *page.Next
	}
}

// TestLatestFollowsVisibleActivity: the latest list orders posts by their
// newest comment that shows; a hidden or deleted comment gives the post
// its earlier activity back, and the last commenter follows.
func TestLatestFollowsVisibleActivity(t *testing.T) {
	t.Parallel()
	w := topicWorld(t, 3)
	ctx := forumtest.Context(t)
	a, b, c := w.post(0), w.post(0), w.post(1)
	latest := projections.PostFilter{Sort: projections.SortLatest, Limit: 1}
	if got := w.list(latest); !slices.Equal(got, []string{c, b, a}) {
		t.Fatalf("latest before comments = %v, want %v", got, []string{c, b, a})
	}
	first := w.comment(1, a)
	second := w.comment(2, a)
	w.comment(2, b)
	if got := w.list(latest); !slices.Equal(got, []string{b, a, c}) {
		t.Fatalf("latest after comments = %v, want %v", got, []string{b, a, c})
	}
	w.must("delete", w.Svc.DeleteComment(ctx, events.UserID(w.users[2]), events.CommentID(second)))
	w.must("hide", w.Svc.SetHidden(ctx, "", events.Target{Kind: events.KindComment, ID: first}, true, "spam"))
	if got := w.list(latest); !slices.Equal(got, []string{b, c, a}) {
		t.Fatalf("latest after the hide = %v, want %v", got, []string{b, c, a})
	}
	w.head()
	p, err := w.DB.Post(ctx, events.PostID(a), "")
	w.must("post", err)
	if p.LastCommenter != nil || p.LastActivityAt != p.CreatedAt || len(p.Participants) != 1 {
		t.Errorf("post with no comment showing: last commenter %v, activity %s (created %s), participants %v", p.LastCommenter, p.LastActivityAt, p.CreatedAt, p.Participants)
	}
	w.must("restore", w.Svc.SetHidden(ctx, "", events.Target{Kind: events.KindComment, ID: first}, false, ""))
	w.head()
	p, err = w.DB.Post(ctx, events.PostID(a), "")
	w.must("post", err)
	if p.LastCommenter == nil || p.LastCommenter.ID != w.users[1] || p.LastActivityAt == p.CreatedAt {
		t.Errorf("restored comment: last commenter %v, activity %s", p.LastCommenter, p.LastActivityAt)
	}
	// A category's latest list walks its own index to the same order.
	other := w.post(0, "help")
	w.comment(1, c)
	cat := projections.PostFilter{Sort: projections.SortLatest, Category: "general", Limit: 2}
	// a's restored comment came before b's.
	if got := w.list(cat); !slices.Equal(got, []string{c, b, a}) {
		t.Fatalf("general's latest = %v, want %v", got, []string{c, b, a})
	}
	if got := w.list(projections.PostFilter{Sort: projections.SortLatest, Category: "help"}); !slices.Equal(got, []string{other}) {
		t.Fatalf("help's latest = %v", got)
	}
}

// TestParticipants: the author, then at most four of the most recent
// distinct commenters; an erased commenter shows as the deleted user.
func TestParticipants(t *testing.T) {
	t.Parallel()
	w := topicWorld(t, 7)
	ctx := forumtest.Context(t)
	p := w.post(0)
	for _, u := range []int{1, 2, 0, 3, 1, 4, 5, 6, 5} {
		w.comment(u, p)
	}
	w.head()
	got, err := w.DB.Post(ctx, events.PostID(p), "")
	w.must("post", err)
	var ids []string
	for _, u := range got.Participants {
		ids = append(ids, u.ID)
	}
	want := []string{w.users[0], w.users[5], w.users[6], w.users[4], w.users[1]}
	if !slices.Equal(ids, want) {
		t.Fatalf("participants = %v, want %v", ids, want)
	}
	if got.LastCommenter == nil || got.LastCommenter.ID != w.users[5] {
		t.Fatalf("last commenter = %v, want %s", got.LastCommenter, w.users[5])
	}
	w.must("erase", w.Svc.Erase(ctx, events.UserID(w.users[5]), "password-"+w.nicks[5]))
	w.head()
	got, err = w.DB.Post(ctx, events.PostID(p), "")
	w.must("post", err)
	if got.LastCommenter == nil || got.LastCommenter.Nickname != projections.ErasedNickname || got.Participants[1].Nickname != projections.ErasedNickname {
		t.Fatalf("erased commenter shows as %v and %v", got.LastCommenter, got.Participants[1])
	}
	// A reader who blocks a commenter sees neither as them.
	w.must("block", w.Svc.Block(ctx, events.UserID(w.users[1]), events.UserID(w.users[6]), true))
	w.head()
	got, err = w.DB.Post(ctx, events.PostID(p), events.UserID(w.users[1]))
	w.must("post", err)
	for _, u := range got.Participants {
		if u.ID == w.users[6] {
			t.Fatalf("the blocker sees the blocked user among the participants: %v", got.Participants)
		}
	}
}

// TestTopPagesAcrossTies: top orders by likes minus dislikes, the newest
// first among equals, and pages one post at a time without repeating or
// skipping one; a period keeps the posts created within it.
func TestTopPagesAcrossTies(t *testing.T) {
	t.Parallel()
	w := topicWorld(t, 4)
	old := w.post(0)
	w.vote(1, old, 1)
	w.vote(2, old, 1)
	w.advance(10 * 24 * time.Hour)
	a, b, c, d := w.post(0), w.post(1), w.post(2), w.post(3)
	for _, v := range []int{1, 2, 3} {
		w.vote(v, a, 1)
	}
	w.vote(0, b, 1)
	w.vote(0, c, 1)
	w.vote(1, d, -1)
	want := []string{a, old, c, b, d}
	for _, limit := range []int{1, 2, 20} {
		if got := w.list(projections.PostFilter{Sort: projections.SortTop, Period: projections.PeriodAll, Limit: limit}); !slices.Equal(got, want) {
			t.Fatalf("top, %d a page = %v, want %v", limit, got, want)
		}
	}
	week := projections.PostFilter{Sort: projections.SortTop, Period: projections.PeriodWeek, Now: w.advance(time.Hour), Limit: 1}
	if got := w.list(week); !slices.Equal(got, []string{a, c, b, d}) {
		t.Fatalf("top of the week = %v, want %v", got, []string{a, c, b, d})
	}
	cat := week
	cat.Category, cat.Limit = "general", 2
	if got := w.list(cat); !slices.Equal(got, []string{a, c, b, d}) {
		t.Fatalf("general's top of the week = %v", got)
	}
	// A vote moves a post in its category's list too.
	w.vote(3, d, 1)
	w.vote(2, d, 1)
	w.vote(0, d, 1)
	if got := w.list(cat); !slices.Equal(got, []string{a, d, c, b}) {
		t.Fatalf("general's top of the week after votes = %v", got)
	}
}

// TestPinsLeadNewAndLatestNotTop: a pinned post leads the first page of new
// and latest, beyond the limit, and no later page; top ranks it by score.
func TestPinsLeadNewAndLatestNotTop(t *testing.T) {
	t.Parallel()
	w := topicWorld(t, 2)
	ctx := forumtest.Context(t)
	pinned, a, b := w.post(0), w.post(0), w.post(1, "help")
	w.comment(1, a)
	w.vote(1, b, 1)
	w.must("pin", w.Svc.PinPost(ctx, "", events.PostID(pinned), events.PinGlobal))
	for _, tc := range []struct {
		f    projections.PostFilter
		want []string
	}{
		{projections.PostFilter{Sort: projections.SortNew, Limit: 1}, []string{pinned, b, a}},
		{projections.PostFilter{Sort: projections.SortLatest, Limit: 1}, []string{pinned, a, b}},
		{projections.PostFilter{Sort: projections.SortLatest, Category: "help", Limit: 1}, []string{pinned, b}},
		{projections.PostFilter{Sort: projections.SortTop, Period: projections.PeriodAll, Limit: 1}, []string{b, a, pinned}},
	} {
		if got := w.list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s = %v, want %v", tc.f.Sort, tc.f.Category, got, tc.want)
		}
	}
}

// TestCursorOfAnotherSort: a cursor given to another sort (or another
// period of top) is refused with its field, not read as something else.
func TestCursorOfAnotherSort(t *testing.T) {
	t.Parallel()
	w := topicWorld(t, 1)
	ctx := forumtest.Context(t)
	w.post(0)
	w.post(0)
	w.head()
	cursors := map[string]string{}
	for _, f := range []projections.PostFilter{{Sort: projections.SortNew}, {Sort: projections.SortLatest}, {Sort: projections.SortTop, Period: projections.PeriodAll}} {
		f.Limit = 1
		page, err := w.DB.Posts(ctx, f)
		w.must("page", err)
		if page.Next == nil {
			t.Fatalf("%s: no next page", f.Sort)
		}
		cursors[string(f.Sort)] = *page.Next
	}
	for from, c := range cursors {
		for _, f := range []projections.PostFilter{{Sort: projections.SortNew}, {Sort: projections.SortLatest}, {Sort: projections.SortTop, Period: projections.PeriodAll}, {Sort: projections.SortTop, Period: projections.PeriodDay}} {
			if string(f.Sort) == from && f.Period != projections.PeriodDay {
				continue
			}
			f.Cursor = c
			_, err := w.DB.Posts(ctx, f)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != fault.EINVALID || fe.Field != "cursor" {
				t.Errorf("a %s cursor on %s %s: %v, want invalid cursor", from, f.Sort, f.Period, err)
			}
		}
	}
}
