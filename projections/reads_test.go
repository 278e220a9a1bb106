package projections_test

import (
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// A post's view count is its distinct readers, and a reader's unread count
// is the comments after the last one they read that they would see: not
// their own, not those of users they block, not hidden or deleted ones.
func TestReadStates(t *testing.T) {
	t.Parallel()
	e, advance := forumtest.ClockedCore(t, "boss")
	ctx := forumtest.Context(t)
	boss, ann, bob, cid := e.Register("boss"), e.Register("ann"), e.Register("bob"), e.Register("cid")
	post, err := e.Cmds.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: "Thread", Body: "Body", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(author string) events.CommentID {
		t.Helper()
		id, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(author), PostID: events.PostID(post.ID), Body: "a comment"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	read := func(user string, upTo events.CommentID) {
		t.Helper()
		advance(10 * time.Second)
		if err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(user), PostID: events.PostID(post.ID), UpTo: upTo}); err != nil {
			t.Fatal(err)
		}
	}
	type readState struct {
		Read           bool
		UnreadComments int
		FirstUnread    events.CommentID
	}
	state := func(user string) readState {
		t.Helper()
		states, err := e.DB.ReadStates(ctx, events.UserID(user), []string{post.ID})
		if err != nil {
			t.Fatal(err)
		}
		st := states[post.ID]
		got := readState{Read: st.Read, UnreadComments: st.UnreadComments}
		if st.FirstUnread != nil {
			got.FirstUnread = events.CommentID(*st.FirstUnread)
		}
		return got
	}

	first := comment(bob)
	if got := state(cid); got != (readState{}) {
		t.Errorf("never opened: %+v, want unread and 0", got)
	}
	if got := state(ann); got != (readState{Read: true, UnreadComments: 1, FirstUnread: first}) {
		t.Errorf("the author, never opened: %+v, want read with bob's comment unread", got)
	}
	read(bob, "")
	read(cid, first)
	read(cid, "") // opening again moves nothing back
	if got := state(cid); got != (readState{Read: true}) {
		t.Errorf("cid read up to the last comment: %+v, want read, 0 unread", got)
	}
	if err := e.Cmds.Block(ctx, events.UserID(cid), events.UserID(bob), true); err != nil {
		t.Fatal(err)
	}
	comment(cid)
	comment(bob)
	hidden, deleted := comment(ann), comment(ann)
	visible := comment(ann)
	if err := e.Cmds.SetHidden(ctx, events.UserID(boss), events.Target{Kind: events.KindComment, ID: string(hidden)}, true, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.DeleteComment(ctx, events.UserID(ann), deleted); err != nil {
		t.Fatal(err)
	}
	// After first: cid's own, bob's, ann's hidden, deleted and visible.
	if got := state(cid); got != (readState{Read: true, UnreadComments: 1, FirstUnread: visible}) {
		t.Errorf("cid: %+v, want 1 unread (not their own, not bob's whom they block, not hidden or deleted)", got)
	}
	if got := state(bob); got != (readState{Read: true, UnreadComments: 1, FirstUnread: visible}) {
		t.Errorf("bob, who read up to his last comment by writing it: %+v, want 1 unread (ann's visible)", got)
	}
	p, err := e.DB.Post(ctx, events.PostID(post.ID), "")
	if err != nil || p.ViewCount != 3 {
		t.Errorf("view count %d (%v), want 3 distinct readers: ann (who wrote it), bob and cid", p.ViewCount, err)
	}
	if states, err := e.DB.ReadStates(ctx, "", []string{post.ID}); err != nil || states != nil {
		t.Errorf("anonymous read states %v, %v; want none", states, err)
	}
}

// A thread's unread comments are counted up to MaxUnreadComments: more
// say that many, fewer are exact.
func TestUnreadCommentsCapped(t *testing.T) {
	t.Parallel()
	e, advance := forumtest.ClockedCore(t, "boss")
	ctx := forumtest.Context(t)
	ann, bob := e.Register("ann"), e.Register("bob")
	post, err := e.Cmds.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: "Long", Body: "Body", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(bob), PostID: events.PostID(post.ID)}); err != nil {
		t.Fatal(err)
	}
	var ids []events.CommentID
	for range projections.MaxUnreadComments + 2 {
		id, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(ann), PostID: events.PostID(post.ID), Body: "more"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	unread := func() (int, string) {
		t.Helper()
		states, err := e.DB.ReadStates(ctx, events.UserID(bob), []string{post.ID})
		if err != nil {
			t.Fatal(err)
		}
		st := states[post.ID]
		if st.FirstUnread == nil {
			return st.UnreadComments, ""
		}
		return st.UnreadComments, *st.FirstUnread
	}
	if n, first := unread(); n != projections.MaxUnreadComments || first != string(ids[0]) {
		t.Errorf("%d comments unread: counted %d from %s, want %d from %s", len(ids), n, first, projections.MaxUnreadComments, ids[0])
	}
	advance(time.Minute)
	if err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(bob), PostID: events.PostID(post.ID), UpTo: ids[2]}); err != nil {
		t.Fatal(err)
	}
	if n, first := unread(); n != len(ids)-3 || first != string(ids[3]) {
		t.Errorf("%d comments unread: counted %d from %s, want them all from %s", len(ids)-3, n, first, ids[3])
	}
}
