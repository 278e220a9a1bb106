package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

type oneComment struct{ Comment projections.Comment }

// commentOn comments on post as c, answering replyTo when it is not "".
func commentOn(t *testing.T, c *forumtest.Client, post, body, replyTo string) projections.Comment {
	t.Helper()
	in := map[string]any{"body": body}
	if replyTo != "" {
		in["reply_to"] = replyTo
	}
	var out oneComment
	c.MustDo("POST", "/api/posts/"+post+"/comments", in, http.StatusCreated, &out)
	return out.Comment
}

// refusedReply checks that a reply to replyTo answers 400 naming the field
// reply_to, and that nothing reaches the log.
func refusedReply(t *testing.T, f *forumtest.Forum, c *forumtest.Client, post, replyTo, what string) {
	t.Helper()
	ctx := forumtest.Context(t)
	before, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, body := c.Do("POST", "/api/posts/"+post+"/comments", map[string]any{"body": "a reply", "reply_to": replyTo})
	var e struct{ Error struct{ Code, Field string } }
	json.Unmarshal(body, &e)
	if status != http.StatusBadRequest || e.Error.Code != "validation" || e.Error.Field != "reply_to" {
		t.Errorf("a reply to %s: %d %s, want 400 validation with field reply_to", what, status, body)
	}
	if after, err := f.Store.LastSeq(ctx); err != nil || after != before {
		t.Errorf("a reply to %s: the log moved from %d to %d (%v)", what, before, after, err)
	}
}

// A reply names a shown comment of the same post: comment.reply_to is that
// comment and its author, in the answer, the list, the frame and the
// export, and stays when that comment is deleted; anything else is refused
// with field reply_to and stores nothing.
func TestCommentReplies(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	mod := moderatorOf(t, f, "moddy")
	post, other := cyd.CreatePost("Replies"), cyd.CreatePost("Elsewhere")
	first := commentOn(t, ada, post, "First", "")
	if first.ReplyTo != nil {
		t.Errorf("a comment answering none: reply_to %+v, want null", first.ReplyTo)
	}

	cydWS := cyd.DialWS("")
	reply := commentOn(t, bob, post, "Answer", first.ID)
	if r := reply.ReplyTo; r == nil || r.ID != first.ID || r.Author.ID != ada.User.ID || r.Author.Nickname != "ada" {
		t.Fatalf("reply_to %+v, want %s by ada", reply.ReplyTo, first.ID)
	}
	fr := cydWS.WaitFor("the reply's frame", func(fr forumtest.Frame) bool {
		return fr.Str(t, "type") == "comment.created" && strings.Contains(fr.String(), reply.ID)
	})
	var frame struct{ Comment projections.Comment }
	fr.Decode(t, &frame)
	if r := frame.Comment.ReplyTo; r == nil || r.ID != first.ID || r.Author.ID != ada.User.ID {
		t.Errorf("the comment frame's reply_to: %s", fr)
	}

	theirs := commentOn(t, ada, other, "On another post", "")
	deleted := commentOn(t, ada, post, "Soon gone", "")
	ada.MustDo("DELETE", "/api/comments/"+deleted.ID, nil, http.StatusNoContent, nil)
	hidden := commentOn(t, ada, post, "Soon hidden", "")
	mod.MustDo("POST", "/api/mod/comments/"+hidden.ID+"/hide", map[string]any{"reason": "spam"}, http.StatusNoContent, nil)
	refusedReply(t, f, bob, post, theirs.ID, "another post's comment")
	refusedReply(t, f, bob, post, deleted.ID, "a deleted comment")
	refusedReply(t, f, bob, post, hidden.ID, "a hidden comment")
	refusedReply(t, f, bob, post, "01jq8r6n0p1q2r3s4t5v6w7x8y", "an unknown id")
	refusedReply(t, f, bob, post, "not an id", "a malformed id")

	// Deleting the answered comment leaves the reply pointing at it.
	ada.MustDo("DELETE", "/api/comments/"+first.ID, nil, http.StatusNoContent, nil)
	var page projections.Page[projections.Comment]
	bob.MustDo("GET", "/api/posts/"+post+"/comments", nil, http.StatusOK, &page)
	var listed *projections.Comment
	for i := range page.Items {
		if page.Items[i].ID == reply.ID {
			listed = &page.Items[i]
		}
	}
	if listed == nil || listed.ReplyTo == nil || listed.ReplyTo.ID != first.ID || listed.ReplyTo.Author.ID != ada.User.ID {
		t.Errorf("the reply in the list after its comment's delete: %+v", listed)
	}

	var exported []struct {
		Type string
		Data struct {
			CommentID string `json:"comment_id"`
			ReplyTo   string `json:"reply_to"`
		}
	}
	bob.MustDo("GET", "/api/me/export", nil, http.StatusOK, &exported)
	found := false
	for _, e := range exported {
		found = found || (e.Type == "comment.created" && e.Data.CommentID == reply.ID && e.Data.ReplyTo == first.ID)
	}
	if !found {
		t.Errorf("bob's export has no comment.created of %s with reply_to %s: %+v", reply.ID, first.ID, exported)
	}
}

// A reader who blocks the author of the comment a reply answers, whose
// comments they are not shown, is not shown that author in reply_to either
// (reply_to.author null, its id kept): in the list, from a permalink, one
// comment, search, the live frames (created and edited) and a resume's, while
// other readers see the author everywhere.
func TestReplyToBlockedAuthor(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	grace, linus, ken := f.SignUp("grace"), f.SignUp("linus"), f.SignUp("ken")
	post := ken.CreatePost("Replies and blocks")
	first := commentOn(t, linus, post, "Linus speaks", "")
	grace.MustDo("PUT", "/api/users/"+linus.User.ID+"/block", nil, http.StatusNoContent, nil)
	graceWS, kenWS := grace.DialWS(""), ken.DialWS("")
	before := graceWS.Hello.Seq
	reply := commentOn(t, ken, post, "Ken answers", first.ID)
	ken.MustDo("PATCH", "/api/comments/"+reply.ID, map[string]any{"body": "Ken answers again"}, http.StatusOK, nil)

	// check asserts what reader is shown of the reply's reply_to.
	check := func(road string, c *projections.Comment, blind bool) {
		t.Helper()
		switch r := c.ReplyTo; {
		case r == nil || r.ID != first.ID:
			t.Errorf("%s: reply_to %+v, want %s", road, r, first.ID)
		case blind && r.Author != nil:
			t.Errorf("%s: reply_to.author %+v for linus's blocker, want null", road, r.Author)
		case !blind && (r.Author == nil || r.Author.ID != linus.User.ID):
			t.Errorf("%s: reply_to.author %+v, want linus", road, r.Author)
		}
	}
	for _, q := range []string{"", "?from=" + reply.ID} {
		for _, reader := range []*forumtest.Client{grace, ken} {
			var page projections.Page[projections.Comment]
			reader.MustDo("GET", "/api/posts/"+post+"/comments"+q, nil, http.StatusOK, &page)
			var listed *projections.Comment
			for i := range page.Items {
				if page.Items[i].ID == reply.ID {
					listed = &page.Items[i]
				}
			}
			if listed == nil {
				t.Fatalf("%s's list%s has no reply: %+v", reader.User.Nickname, q, page.Items)
			}
			check(reader.User.Nickname+"'s list"+q, listed, reader == grace)
		}
	}
	for _, reader := range []*forumtest.Client{grace, ken} {
		var one oneComment
		reader.MustDo("GET", "/api/comments/"+reply.ID, nil, http.StatusOK, &one)
		check(reader.User.Nickname+"'s comment", &one.Comment, reader == grace)
		var found projections.Page[projections.SearchResult]
		reader.MustDo("GET", "/api/search?q=again", nil, http.StatusOK, &found)
		if len(found.Items) != 1 || found.Items[0].Comment == nil {
			t.Fatalf("%s's search: %+v, want the reply", reader.User.Nickname, found.Items)
		}
		check(reader.User.Nickname+"'s search", found.Items[0].Comment, reader == grace)
	}

	// frames checks the reply's created and edited frames on w.
	frames := func(road string, w *forumtest.WSClient, blind bool) {
		t.Helper()
		for _, typ := range []string{"comment.created", "comment.edited"} {
			fr := w.WaitFor(road+" "+typ, func(fr forumtest.Frame) bool {
				return fr.Str(t, "type") == typ && strings.Contains(fr.String(), reply.ID)
			})
			var frame struct{ Comment projections.Comment }
			fr.Decode(t, &frame)
			check(road+" "+typ, &frame.Comment, blind)
		}
	}
	frames("grace's live", graceWS, true)
	frames("ken's live", kenWS, false)
	frames("grace's resumed", grace.DialWS(fmt.Sprint("after=", before)), true)
	frames("ken's resumed", ken.DialWS(fmt.Sprint("after=", before)), false)
}

// The author of the comment answered is told (kind reply), once even when
// also mentioned, never of their own reply nor of one by a user they block;
// the post's author is told of a reply to another's comment as of any
// comment, and once of a reply to their own.
func TestReplyNotifications(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd, dan := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd"), f.SignUp("dan")
	post := cyd.CreatePost("Replies")
	first := commentOn(t, ada, post, "First", "")
	adaWS := ada.DialWS("")

	reply := commentOn(t, bob, post, "Indeed, @ada, and @cyd too", first.ID)
	fr := adaWS.WaitType("notification")
	var got struct{ Notification projections.Notification }
	fr.Decode(t, &got)
	if n := got.Notification; n.Kind != "reply" || n.Actor.ID != bob.User.ID || n.CommentID == nil || *n.CommentID != reply.ID || *n.PostID != post {
		t.Errorf("ada's notification of the reply: %s", fr)
	}
	if ns, _ := notificationsOf(t, ada); len(ns) != 1 {
		t.Errorf("ada, answered and mentioned: %d notifications %+v, want one", len(ns), ns)
	}
	// cyd, the post's author, mentioned too: one notification of it.
	if ns, _ := notificationsOf(t, cyd); len(ns) != 2 || ns[0].Kind != "mention" || *ns[0].CommentID != reply.ID || *ns[1].CommentID != first.ID {
		t.Errorf("cyd: %+v, want the mention, then ada's comment", ns)
	}

	// Her own reply tells ada nothing.
	commentOn(t, ada, post, "Answering myself", first.ID)
	if ns, _ := notificationsOf(t, ada); len(ns) != 1 {
		t.Errorf("after ada's reply to herself: %d notifications, want 1", len(ns))
	}

	// ada blocks dan: his reply tells her nothing.
	ada.MustDo("PUT", "/api/users/"+dan.User.ID+"/block", nil, http.StatusNoContent, nil)
	commentOn(t, dan, post, "Again", first.ID)
	if ns, _ := notificationsOf(t, ada); len(ns) != 1 {
		t.Errorf("after a reply by a user she blocks: %d notifications, want 1", len(ns))
	}

	// A reply to cyd's own post's comment by ada: cyd told once, as a reply.
	theirs := commentOn(t, cyd, post, "From the author", "")
	last := commentOn(t, ada, post, "To the author", theirs.ID)
	if ns, _ := notificationsOf(t, cyd); len(ns) < 2 || ns[0].Kind != "reply" || *ns[0].CommentID != last.ID || *ns[1].CommentID == last.ID {
		t.Errorf("cyd after ada's reply to her comment: %+v", ns)
	}
}

// An erased user's answered comment shows its author as the erased user,
// as the comment itself does.
func TestReplyToErasedAuthor(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	post := bob.CreatePost("Replies")
	first := commentOn(t, ada, post, "First", "")
	reply := commentOn(t, bob, post, "Answer", first.ID)
	ada.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("ada")}, http.StatusNoContent, nil)
	var a, r oneComment
	bob.MustDo("GET", "/api/comments/"+first.ID, nil, http.StatusOK, &a)
	bob.MustDo("GET", "/api/comments/"+reply.ID, nil, http.StatusOK, &r)
	if r.Comment.ReplyTo == nil || r.Comment.ReplyTo.Author == nil || *r.Comment.ReplyTo.Author != a.Comment.Author || a.Comment.Author.Nickname == "ada" {
		t.Errorf("reply_to %+v, the erased author shows as %+v", r.Comment.ReplyTo, a.Comment.Author)
	}
}

// A reply that lands after the comment it answers was deleted (it passed
// the check before the delete) keeps its reply_to and tells that comment's
// author nothing; one naming another post's comment, which only a write
// past the command could make, answers none and tells nobody of it.
func TestReplyRacingItsCommentsDelete(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	post, other := bob.CreatePost("Replies"), bob.CreatePost("Elsewhere")
	first := commentOn(t, ada, post, "First", "")
	elsewhere := commentOn(t, ada, other, "Elsewhere", "")
	ada.MustDo("DELETE", "/api/comments/"+first.ID, nil, http.StatusNoContent, nil)
	// ada commented, which leaves her at normal: only a reply or a mention
	// could tell her of a comment.
	before, _ := notificationsOf(t, ada)

	late := events.NewID(time.Now())
	appendApplied(t, f, late, events.CommentCreated, bob.User.ID, events.CommentCreatedData{CommentID: late, PostID: post, AuthorID: bob.User.ID, Body: "Late", ReplyTo: events.CommentID(first.ID)})
	stray := events.NewID(time.Now())
	appendApplied(t, f, stray, events.CommentCreated, bob.User.ID, events.CommentCreatedData{CommentID: stray, PostID: post, AuthorID: bob.User.ID, Body: "Stray", ReplyTo: events.CommentID(elsewhere.ID)})

	if after, _ := notificationsOf(t, ada); len(after) != len(before) {
		t.Errorf("ada was told of a reply to a deleted comment or to another post's: %+v", after)
	}
	var got oneComment
	bob.MustDo("GET", "/api/comments/"+late, nil, http.StatusOK, &got)
	if r := got.Comment.ReplyTo; r == nil || r.ID != first.ID || r.Author.ID != ada.User.ID {
		t.Errorf("the late reply's reply_to: %+v", got.Comment.ReplyTo)
	}
	bob.MustDo("GET", "/api/comments/"+stray, nil, http.StatusOK, &got)
	if got.Comment.ReplyTo != nil {
		t.Errorf("a reply to another post's comment: reply_to %+v, want null", got.Comment.ReplyTo)
	}
}
