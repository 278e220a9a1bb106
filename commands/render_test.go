package commands_test

import (
	"strings"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// renderedAs returns how the event at seq says its body is shown.
func renderedAs(t *testing.T, e *forumtest.Core, seq uint64) events.Rendering {
	t.Helper()
	ev, err := e.Store.Get(forumtest.Context(t), seq)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Render events.Rendering `json:"render"`
	}
	if err := ev.Payload(&d); err != nil {
		t.Fatal(err)
	}
	return d.Render
}

// lastSeq returns the sequence of the newest event on subject.
func lastSeq(t *testing.T, e *forumtest.Core, subject string) uint64 {
	t.Helper()
	ev, err := e.Store.Last(forumtest.Context(t), subject)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Seq
}

// A command that finds its body's rendering over the budget of time says
// so in its event, and every reader is shown the body as escaped text; the
// projector does not measure, so the read models follow the event alone.
// Not parallel: it changes how every command measures.
func TestSlowRenderingIsRecordedAsText(t *testing.T) {
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ada, grace := e.Register("ada"), e.Register("grace")
	body := "**slow** <b>"
	text := "<p>**slow** &lt;b&gt;</p>"
	commands.SetRenderTook(t, func(time.Time) time.Duration { return e.Cmds.RenderBudget + time.Nanosecond })

	post, err := e.Cmds.CreatePost(ctx, events.UserID(ada), commands.PostInput{Title: "t", Body: body, Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := e.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(grace), PostID: events.PostID(post.ID), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	edited := body + " again"
	if err := e.Cmds.EditPost(ctx, commands.PostEdit{User: events.UserID(ada), ID: events.PostID(post.ID), Patch: commands.PostPatch{Body: &edited}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Cmds.EditComment(ctx, commands.CommentEdit{User: events.UserID(grace), ID: cid, Body: edited}); err != nil {
		t.Fatal(err)
	}
	dm, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ada), To: events.UserID(grace), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	room, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ada), Room: "lobby", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	for what, seq := range map[string]uint64{
		"post.created": post.Seq, "comment.created": lastSeq(t, e, events.CommentCreated.Subject(string(cid))),
		"post.edited": lastSeq(t, e, events.PostEdited.Subject(post.ID)), "comment.edited": lastSeq(t, e, events.CommentEdited.Subject(string(cid))),
		"dm.sent": dm, "room.message": room,
	} {
		if got := renderedAs(t, e, seq); got != events.AsText {
			t.Errorf("%s says render %q, want %q", what, got, events.AsText)
		}
	}
	if post.BodyHTML != text {
		t.Errorf("the post shows %q, want %q", post.BodyHTML, text)
	}
	if html, err := commands.Preview(body); err != nil || html != text {
		t.Errorf("the preview shows %q (%v), want %q", html, err, text)
	}
	p, err := e.DB.Post(ctx, events.PostID(post.ID), events.UserID(ada))
	if err != nil || p.BodyHTML != "<p>**slow** &lt;b&gt; again</p>" {
		t.Errorf("the edited post shows %q (%v)", p.BodyHTML, err)
	}
	c, err := e.DB.Comment(ctx, cid, events.UserID(ada))
	if err != nil || c.BodyHTML != "<p>**slow** &lt;b&gt; again</p>" {
		t.Errorf("the edited comment shows %q (%v)", c.BodyHTML, err)
	}

	// Within the budget, the event says nothing and the body is Markdown.
	commands.SetRenderTook(t, func(time.Time) time.Duration { return 0 })
	quick, err := e.Cmds.CreatePost(ctx, events.UserID(ada), commands.PostInput{Title: "t", Body: body, Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := renderedAs(t, e, quick.Seq); got != events.AsMarkdown || !strings.HasPrefix(quick.BodyHTML, "<p><strong>slow</strong>") {
		t.Errorf("a quick rendering: event says %q, post shows %q", got, quick.BodyHTML)
	}
}
