package commands_test

import (
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

// ReadPost refuses a comment of another post and a hidden post, writes
// nothing when the position does not move, and writes a reader's position
// in a post at most once every few seconds (a first opening always).
func TestReadPostCoalesces(t *testing.T) {
	t.Parallel()
	e, advance := forumtest.ClockedCore(t, "boss")
	ctx := forumtest.Context(t)
	boss, ann, bob := e.Register("boss"), e.Register("ann"), e.Register("bob")
	mk := func(title string) string {
		p, err := e.Cmds.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: title, Body: "Body", Categories: []string{"general"}})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	post, other := mk("Thread"), mk("Other")
	var cs []events.CommentID
	for range 3 {
		id, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(ann), PostID: events.PostID(post), Body: "a comment"})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, id)
	}
	elsewhere, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(ann), PostID: events.PostID(other), Body: "elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	last := func() uint64 {
		t.Helper()
		seq, err := e.Store.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	read := func(upTo events.CommentID) error {
		return e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(bob), PostID: events.PostID(post), UpTo: upTo})
	}
	before := last()
	wantCode(t, "another post's comment", read(elsewhere), fault.EINVALID, "up_to_comment")
	wantCode(t, "not an id", read("nope"), fault.EINVALID, "up_to_comment")
	err = e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(bob), PostID: "0000000000000000000000000z"})
	wantCode(t, "unknown post", err, fault.ENOTFOUND, "")
	if got := last(); got != before {
		t.Fatalf("refused reads stored events: last seq %d, want %d", got, before)
	}
	position := func() uint64 {
		t.Helper()
		target, err := e.DB.ReadTargetOf(ctx, events.UserID(bob), events.PostID(post), "")
		if err != nil {
			t.Fatal(err)
		}
		return target.At
	}
	seqOf := func(c events.CommentID) uint64 {
		t.Helper()
		target, err := e.DB.ReadTargetOf(ctx, "", events.PostID(post), c)
		if err != nil || !target.OfPost {
			t.Fatalf("comment %s of the post: %+v %v", c, target, err)
		}
		return target.CommentSeq
	}
	steps := []struct {
		name    string
		advance time.Duration
		upTo    events.CommentID
		stored  bool
		flush   bool // the held position is written now
	}{
		{"first opening", 0, cs[0], true, false},
		{"further, too soon: held", time.Second, cs[1], false, false},
		{"further still, too soon: held instead", 0, cs[2], false, true},
		{"not further", 10 * time.Second, cs[0], false, false},
		{"opened again with none", 10 * time.Second, "", false, false},
	}
	var held uint64 // the last seq before the first position held
	for i, s := range steps {
		advance(s.advance)
		before := last()
		if i == 1 {
			held = before
		}
		if err := read(s.upTo); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := last() != before; got != s.stored && !s.flush {
			t.Errorf("%s: stored %v, want %v", s.name, got, s.stored)
		}
		if s.flush {
			// The held position is written when its interval ends (a
			// timer, maybe already) or at the latest at FlushReads: once.
			e.Cmds.FlushReads(ctx)
			if got := last(); got != held+1 || position() != seqOf(cs[2]) {
				t.Errorf("%s: %d events, position %d; want 1, at %s (%d)", s.name, got-held, position(), cs[2], seqOf(cs[2]))
			}
		}
	}
	if err := e.Cmds.SetHidden(ctx, events.UserID(boss), events.Target{Kind: events.KindPost, ID: post}, true, "spam"); err != nil {
		t.Fatal(err)
	}
	advance(10 * time.Second)
	wantCode(t, "hidden post", read(cs[2]), fault.ENOTFOUND, "")
}

// Two positions sent 100 ms apart are both written: the second, held,
// within the interval, and nothing else.
func TestReadPostHeldLands(t *testing.T) {
	t.Parallel()
	const every = time.Second
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.ReadEvery = every }})
	ctx := forumtest.Context(t)
	ann, bob := e.Register("ann"), e.Register("bob")
	post, err := e.Cmds.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: "Thread", Body: "Body", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	var cs []events.CommentID
	for range 2 {
		id, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(ann), PostID: events.PostID(post.ID), Body: "a comment"})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, id)
	}
	before, err := e.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, c := range cs { // the second within the interval of the first: held
		if err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(bob), PostID: events.PostID(post.ID), UpTo: c}); err != nil {
			t.Fatal(err)
		}
	}
	target, err := e.DB.ReadTargetOf(ctx, "", events.PostID(post.ID), cs[1])
	if err != nil || !target.OfPost {
		t.Fatalf("comment %s of the post: %+v %v", cs[1], target, err)
	}
	forumtest.Eventually(t, "the last position written", func() bool {
		now, err := e.DB.ReadTargetOf(ctx, events.UserID(bob), events.PostID(post.ID), "")
		return err == nil && now.At == target.CommentSeq
	})
	if took := time.Since(start); took > every+2*time.Second {
		t.Errorf("the held position landed after %v, want about %v", took, every)
	}
	last, err := e.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var reads int
	for seq := before + 1; seq <= last; seq++ {
		ev, err := e.Store.Get(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == events.PostRead {
			reads++
		}
	}
	if reads != 2 || last != before+2 {
		t.Errorf("%d post.read events of %d, want exactly 2", reads, last-before)
	}
}

// Twenty readers opening a post at once count twenty views more than its author's, exactly.
func TestReadPostConcurrentViews(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann := e.Register("ann")
	post, err := e.Cmds.CreatePost(ctx, events.UserID(ann), commands.PostInput{Title: "Popular", Body: "Body", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	var readers []string
	for i := range 20 {
		readers = append(readers, e.Register("reader"+string(rune('a'+i))))
	}
	errs := make(chan error, 2*len(readers))
	for _, r := range readers {
		for range 2 { // each twice at once: one view still
			go func() {
				err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(r), PostID: events.PostID(post.ID)})
				errs <- err
			}()
		}
	}
	for range 2 * len(readers) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.DB.Post(ctx, events.PostID(post.ID), "")
	if err != nil || p.ViewCount != 21 {
		t.Fatalf("view count %d (%v), want 21 (its author's and twenty)", p.ViewCount, err)
	}
	states, err := e.DB.ReadStates(ctx, events.UserID(readers[7]), []string{post.ID})
	if err != nil || !states[post.ID].Read {
		t.Errorf("a reader's state %+v (%v), want read", states, err)
	}
}

// A deleted post takes no reads: refused as not found, nothing stored, no
// view counted; and readers racing its deletion store no read after it.
func TestReadPostRefusesADeletedPost(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann := e.Register("ann")
	var readers []string
	for i := range 16 {
		readers = append(readers, e.Register("reader"+string(rune('a'+i))))
	}
	ids := posts(t, e, ann, 2)
	if err := e.Cmds.DeletePost(ctx, events.UserID(ann), ids[0]); err != nil {
		t.Fatal(err)
	}
	err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(readers[0]), PostID: ids[0]})
	wantCode(t, "a deleted post", err, fault.ENOTFOUND, "")
	if n := eventsOn(t, e, events.PostRead.Subject(string(ids[0]))); n != 0 {
		t.Errorf("a read of a deleted post stored %d events", n)
	}
	if p, err := e.DB.Post(ctx, ids[0], ""); err != nil || p.ViewCount != 1 {
		t.Errorf("the deleted post's views: %d (%v), want its author's alone", p.ViewCount, err)
	}

	race := ids[1]
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, r := range readers {
		wg.Go(func() {
			<-start
			err := e.Cmds.ReadPost(ctx, commands.ReadPostInput{User: events.UserID(r), PostID: race})
			if err != nil && fault.Code(err) != fault.ENOTFOUND {
				t.Errorf("a read racing the delete: %v", err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := e.Cmds.DeletePost(ctx, events.UserID(ann), race); err != nil {
			t.Error(err)
		}
	})
	close(start)
	wg.Wait()
	del, err := e.Store.Last(ctx, events.PostDeleted.Subject(string(race)))
	if err != nil {
		t.Fatal(err)
	}
	reads, err := e.Store.History(ctx, []string{events.PostRead.Subject(string(race))}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range reads {
		if ev.Seq > del.Seq {
			t.Errorf("a read stored at %d, after the delete at %d", ev.Seq, del.Seq)
		}
	}
}
