package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// errorOf decodes an error answer.
func errorOf(t *testing.T, body []byte) (code, until string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Until string }
	}
	json.Unmarshal(body, &e)
	return e.Error.Code, e.Error.Until
}

// Roles: admins from --admins (here: the configured nickname) grant roles;
// user objects carry them; only moderators reach the moderation routes.
func TestRoles(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, mod, ann := f.SignUp("boss"), f.SignUp("mod"), f.SignUp("ann")
	var me meAnswer
	boss.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if me.User.Role != "admin" {
		t.Fatalf("the configured admin's role: %q", me.User.Role)
	}
	if status, _ := mod.Do("PUT", "/api/users/"+ann.User.ID+"/role", map[string]any{"role": "admin"}); status != http.StatusForbidden {
		t.Errorf("a member granting a role: %d", status)
	}
	if status, _ := mod.Do("GET", "/api/mod/flags", nil); status != http.StatusForbidden {
		t.Errorf("a member reading the queue: %d", status)
	}
	boss.MustDo("PUT", "/api/users/"+mod.User.ID+"/role", map[string]any{"role": "moderator"}, http.StatusNoContent, nil)
	if status, _ := boss.Do("PUT", "/api/users/"+mod.User.ID+"/role", map[string]any{"role": "king"}); status != http.StatusBadRequest {
		t.Errorf("an unknown role: %d", status)
	}
	var prof struct{ User projections.User }
	ann.MustDo("GET", "/api/users/"+mod.User.ID, nil, http.StatusOK, &prof)
	if prof.User.Role != "moderator" {
		t.Errorf("the moderator's profile: %+v", prof.User)
	}
	p := mkPost(mod, "By a moderator")
	var got struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+p.ID, nil, http.StatusOK, &got)
	if got.Post.Author.Role != "moderator" {
		t.Errorf("the author of a post: %+v", got.Post.Author)
	}
	var member struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+mkPost(ann, "By a member").ID, nil, http.StatusOK, &member)
	if member.Post.Author.Role != "" || bytes.Contains(mustJSON(t, member.Post.Author), []byte("role")) {
		t.Errorf("a member carries a role: %+v", member.Post.Author)
	}
	mod.MustDo("GET", "/api/mod/flags", nil, http.StatusOK, nil)
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type flagQueue struct {
	Items []struct {
		projections.Flag
		Then *commands.Version
		Now  json.RawMessage
	}
}

// Flags go to the moderators' queue with the item as it was when flagged
// and as it is now; hiding takes it out of every list, count and search
// for everyone but moderators; restoring brings it back; all is logged.
func TestFlagHideRestore(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	var p struct{ Post projections.Post }
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "Spammy", "body": "buy pills original", "categories": []string{"general"}}, http.StatusCreated, &p)
	bobWS := bob.DialWS("")

	var flag struct{ Flag projections.Flag }
	bob.MustDo("POST", "/api/posts/"+p.Post.ID+"/flag", map[string]any{"reason": "spam"}, http.StatusCreated, &flag)
	if flag.Flag.Status != "open" || flag.Flag.Target.Kind != "post" || flag.Flag.Target.ID != p.Post.ID || flag.Flag.By.ID != bob.User.ID || flag.Flag.Reason != "spam" {
		t.Errorf("flag %+v", flag.Flag)
	}
	if status, body := bob.Do("POST", "/api/posts/"+p.Post.ID+"/flag", map[string]any{"reason": "again"}); status != http.StatusConflict {
		t.Errorf("a second flag by the same user: %d %s", status, body)
	}
	for _, bad := range []struct {
		url  string
		body any
		want int
	}{
		{"/api/posts/" + p.Post.ID + "/flag", map[string]any{"reason": ""}, 400},
		{"/api/posts/01jq8r4m2v6e3k0tdw5x7y9zab/flag", map[string]any{"reason": "x"}, 404},
		{"/api/comments/nope/flag", map[string]any{"reason": "x"}, 404},
	} {
		if status, body := ann.Do("POST", bad.url, bad.body); status != bad.want {
			t.Errorf("POST %s: %d %s, want %d", bad.url, status, body, bad.want)
		}
	}
	// The author edits after the flag: the queue shows both versions.
	ann.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": "innocent now"}, http.StatusOK, nil)
	var q flagQueue
	mod.MustDo("GET", "/api/mod/flags?status=open", nil, http.StatusOK, &q)
	if len(q.Items) != 1 || q.Items[0].Then == nil || q.Items[0].Then.Body != "buy pills original" || !bytes.Contains(q.Items[0].Now, []byte("innocent now")) {
		t.Fatalf("queue: %+v", q.Items)
	}

	mod.MustDo("POST", "/api/mod/flags/"+flag.Flag.ID+"/resolve", map[string]any{"action": "hide"}, http.StatusNoContent, nil)
	if fr := bobWS.WaitType("hidden"); !strings.Contains(fr.String(), p.Post.ID) {
		t.Errorf("hidden frame %s", fr)
	}
	var shown struct{ Post projections.Post }
	bob.MustDo("GET", "/api/posts/"+p.Post.ID, nil, http.StatusOK, &shown)
	if !shown.Post.Hidden || shown.Post.Body != "" || shown.Post.Title != "" || shown.Post.BodyHTML != "" {
		t.Errorf("a member sees the hidden post as %+v", shown.Post)
	}
	mod.MustDo("GET", "/api/posts/"+p.Post.ID, nil, http.StatusOK, &shown)
	if !shown.Post.Hidden || shown.Post.Body != "innocent now" {
		t.Errorf("the moderator sees the hidden post as %+v", shown.Post)
	}
	var feed projections.Page[projections.Post]
	bob.MustDo("GET", "/api/posts", nil, http.StatusOK, &feed)
	for _, fp := range feed.Items {
		if fp.ID == p.Post.ID {
			t.Error("the hidden post is in the feed")
		}
	}
	var cats struct{ Items []projections.Category }
	bob.MustDo("GET", "/api/categories", nil, http.StatusOK, &cats)
	for _, c := range cats.Items {
		if c.Slug == "general" && c.PostCount != 0 {
			t.Errorf("general counts %d posts with the hidden one", c.PostCount)
		}
	}
	var found searchPage
	bob.MustDo("GET", "/api/search?q=innocent", nil, http.StatusOK, &found)
	if len(found.Items) != 0 {
		t.Errorf("search finds the hidden post: %+v", found.Items)
	}
	mod.MustDo("GET", "/api/mod/flags?status=open", nil, http.StatusOK, &q)
	if len(q.Items) != 0 {
		t.Errorf("open flags after the hide: %+v", q.Items)
	}
	if status, _ := mod.Do("POST", "/api/mod/flags/"+flag.Flag.ID+"/resolve", map[string]any{"action": "dismiss"}); status != http.StatusConflict {
		t.Errorf("resolving twice: %d", status)
	}

	mod.MustDo("POST", "/api/mod/posts/"+p.Post.ID+"/restore", map[string]any{"reason": "on appeal"}, http.StatusNoContent, nil)
	if fr := bobWS.WaitType("restored"); !strings.Contains(fr.String(), p.Post.ID) {
		t.Errorf("restored frame %s", fr)
	}
	bob.MustDo("GET", "/api/search?q=innocent", nil, http.StatusOK, &found)
	if len(found.Items) != 1 {
		t.Errorf("search after the restore: %+v", found.Items)
	}

	// A comment, flagged and dismissed; a message hidden directly.
	var c struct{ Comment projections.Comment }
	bob.MustDo("POST", "/api/posts/"+p.Post.ID+"/comments", map[string]any{"body": "rude words"}, http.StatusCreated, &c)
	ann.MustDo("POST", "/api/comments/"+c.Comment.ID+"/flag", map[string]any{"reason": "rude"}, http.StatusCreated, &flag)
	mod.MustDo("POST", "/api/mod/flags/"+flag.Flag.ID+"/resolve", map[string]any{"action": "dismiss"}, http.StatusNoContent, nil)
	var m struct{ Message projections.Message }
	bob.MustDo("POST", "/api/chats/"+ann.User.ID+"/messages", map[string]any{"body": "nasty dm"}, http.StatusCreated, &m)
	if status, _ := mod.Do("POST", "/api/messages/"+m.Message.ID+"/flag", map[string]any{"reason": "x"}); status != http.StatusNotFound {
		t.Errorf("flagging someone else's DM: %d", status)
	}
	ann.MustDo("POST", "/api/messages/"+m.Message.ID+"/flag", map[string]any{"reason": "harassment"}, http.StatusCreated, nil)
	mod.MustDo("POST", "/api/mod/messages/"+m.Message.ID+"/hide", nil, http.StatusNoContent, nil)
	var dms projections.Page[projections.Message]
	ann.MustDo("GET", "/api/chats/"+bob.User.ID+"/messages", nil, http.StatusOK, &dms)
	if len(dms.Items) != 1 || !dms.Items[0].Hidden || dms.Items[0].Body != "" {
		t.Errorf("the hidden DM: %+v", dms.Items)
	}
	if status, _ := ann.Do("POST", "/api/mod/posts/"+p.Post.ID+"/hide", nil); status != http.StatusForbidden {
		t.Errorf("a member hiding: %d", status)
	}
	if status, _ := mod.Do("POST", "/api/mod/widgets/"+p.Post.ID+"/hide", nil); status != http.StatusNotFound {
		t.Errorf("hiding a widget: %d", status)
	}

	var log projections.Page[projections.ModAction]
	mod.MustDo("GET", "/api/mod/log", nil, http.StatusOK, &log)
	var actions []string
	for _, a := range log.Items {
		actions = append(actions, a.Action+":"+string(a.Target.Kind))
		if a.Action == "role" {
			if a.By.Nickname != "the forum" || a.Reason != "moderator" || a.Target.ID != mod.User.ID {
				t.Errorf("the role given from the command line: %+v", a)
			}
			continue
		}
		if a.By.ID != mod.User.ID || a.CreatedAt == "" {
			t.Errorf("log entry %+v", a)
		}
	}
	if got := strings.Join(actions, ","); got != "hide:message,dismiss:comment,restore:post,hide:post,role:user" {
		t.Errorf("the moderation log, newest first: %s", got)
	}
	if log.Items[1].Reason != "" || log.Items[2].Reason != "on appeal" || log.Items[3].Reason != "flagged" {
		t.Errorf("reasons: %+v", log.Items)
	}
}

// A suspended user reads but every write answers 403 suspended with the
// end; unsuspended, they write again. A purge hides all since a time.
func TestSuspendAndPurge(t *testing.T) {
	t.Parallel()
	// The forum's clock, moved on by the test: what was written before the
	// purge's time is a minute older than what it hides.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) {
		c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	}})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	old := mkPost(ann, "Before")
	clock.Add(int64(time.Minute))
	since := time.Unix(0, clock.Load()).UTC() // purged: what is written from here on
	recent := mkPost(ann, "Spam 1")
	var rc struct{ Comment projections.Comment }
	ann.MustDo("POST", "/api/posts/"+old.ID+"/comments", map[string]any{"body": "spam comment"}, http.StatusCreated, &rc)

	until := time.Unix(0, clock.Load()).Add(time.Hour).UTC().Truncate(time.Second)
	mod.MustDo("POST", "/api/mod/users/"+ann.User.ID+"/suspend", map[string]any{"until": until.Format(time.RFC3339), "reason": "cooling off"}, http.StatusNoContent, nil)
	status, body := ann.Do("POST", "/api/posts", map[string]any{"title": "t", "body": "b", "categories": []string{"general"}})
	if code, u := errorOf(t, body); status != http.StatusForbidden || code != "suspended" || u != until.Format(time.RFC3339) {
		t.Errorf("a suspended user's post: %d %s", status, body)
	}
	if status, _ := ann.Do("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "hi"}); status != http.StatusForbidden {
		t.Errorf("a suspended user's DM: %d", status)
	}
	ws := ann.DialWS("")
	ws.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "over the socket", "client_id": "s1"})
	if fr := ws.WaitType("error"); fr.Str(t, "code") != "suspended" {
		t.Errorf("a suspended user's DM over the socket: %s", fr)
	}
	ann.MustDo("GET", "/api/posts", nil, http.StatusOK, nil)
	if status, _ := mod.Do("POST", "/api/mod/users/"+ann.User.ID+"/suspend", map[string]any{"until": "tomorrow", "reason": "x"}); status != http.StatusBadRequest {
		t.Errorf("a bad until: %d", status)
	}
	if status, _ := mod.Do("POST", "/api/mod/users/"+ann.User.ID+"/suspend", map[string]any{"until": time.Unix(0, clock.Load()).Add(-time.Hour).Format(time.RFC3339), "reason": "x"}); status != http.StatusBadRequest {
		t.Errorf("an until in the past: %d", status)
	}
	if status, _ := bob.Do("POST", "/api/mod/users/"+mod.User.ID+"/suspend", map[string]any{"until": until.Format(time.RFC3339), "reason": "x"}); status != http.StatusForbidden {
		t.Errorf("a member suspending: %d", status)
	}
	mod.MustDo("POST", "/api/mod/users/"+ann.User.ID+"/unsuspend", nil, http.StatusNoContent, nil)
	mkPost(ann, "Back")

	mod.MustDo("POST", "/api/mod/users/"+ann.User.ID+"/purge", map[string]any{"since": since.Format(time.RFC3339Nano), "reason": "spammer"}, http.StatusNoContent, nil)
	var feed projections.Page[projections.Post]
	bob.MustDo("GET", "/api/posts?author="+ann.User.ID, nil, http.StatusOK, &feed)
	if len(feed.Items) != 1 || feed.Items[0].ID != old.ID {
		var o struct{ Post projections.Post }
		bob.MustDo("GET", "/api/posts/"+old.ID, nil, http.StatusOK, &o)
		t.Errorf("ann's posts after the purge: %+v (the first post: %+v, since %s)", feed.Items, o.Post, since.Format(time.RFC3339Nano))
	}
	var got struct{ Post projections.Post }
	bob.MustDo("GET", "/api/posts/"+recent.ID, nil, http.StatusOK, &got)
	if !got.Post.Hidden {
		t.Errorf("a purged post: %+v", got.Post)
	}
	var comments projections.Page[projections.Comment]
	bob.MustDo("GET", "/api/posts/"+old.ID+"/comments", nil, http.StatusOK, &comments)
	if len(comments.Items) != 1 || !comments.Items[0].Hidden || comments.Items[0].Body != "" {
		t.Errorf("a purged comment in place: %+v", comments.Items)
	}
	mod.MustDo("GET", "/api/posts/"+old.ID+"/comments", nil, http.StatusOK, &comments)
	if len(comments.Items) != 1 || !comments.Items[0].Hidden || comments.Items[0].Body != "spam comment" {
		t.Errorf("a moderator reads the purged comment in place: %+v", comments.Items)
	}
	bob.MustDo("GET", "/api/posts/"+old.ID, nil, http.StatusOK, &got)
	if got.Post.CommentCount != 0 {
		t.Errorf("the purged comment still counts: %d", got.Post.CommentCount)
	}
}

// A block: the blocked user's DMs to the blocker answer 403, and their
// posts, comments and room messages leave the blocker's lists and pushes.
func TestBlock(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob, cy := f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cyd")
	annWS := ann.DialWS("")
	ann.MustDo("PUT", "/api/users/"+bob.User.ID+"/block", nil, http.StatusNoContent, nil)
	ann.MustDo("PUT", "/api/users/"+bob.User.ID+"/block", nil, http.StatusNoContent, nil)
	if status, _ := ann.Do("PUT", "/api/users/"+ann.User.ID+"/block", nil); status != http.StatusBadRequest {
		t.Errorf("blocking oneself: %d", status)
	}
	var blocks struct{ Items []projections.User }
	ann.MustDo("GET", "/api/me/blocks", nil, http.StatusOK, &blocks)
	if len(blocks.Items) != 1 || blocks.Items[0].ID != bob.User.ID {
		t.Errorf("ann's blocks: %+v", blocks.Items)
	}
	status, body := bob.Do("POST", "/api/chats/"+ann.User.ID+"/messages", map[string]any{"body": "hi"})
	if code, _ := errorOf(t, body); status != http.StatusForbidden || code != "forbidden" {
		t.Errorf("bob's DM to ann: %d %s", status, body)
	}
	ann.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "ann may still write"}, http.StatusCreated, nil)

	var before projections.Page[projections.Post]
	ann.MustDo("GET", "/api/posts", nil, http.StatusOK, &before)
	bp := mkPost(bob, "Bob's post")
	cp := mkPost(cy, "Cy's post")
	bob.MustDo("POST", "/api/posts/"+cp.ID+"/comments", map[string]any{"body": "bob's comment"}, http.StatusCreated, nil)
	cy.MustDo("POST", "/api/posts/"+cp.ID+"/comments", map[string]any{"body": "cy's comment"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "bob in the room"}, http.StatusCreated, nil)
	cy.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "cy in the room"}, http.StatusCreated, nil)
	annWS.Send(map[string]any{"type": "room.join", "room": "lobby"})
	annWS.WaitType("room.joined")
	bob.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "bob live"}, http.StatusCreated, nil)
	cy.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "cy live"}, http.StatusCreated, nil)
	annWS.WaitFor("cy's live message", func(fr forumtest.Frame) bool {
		if strings.Contains(fr.String(), bob.User.ID) && (fr.Type == "post.created" || fr.Type == "comment.created" || fr.Type == "room.message") {
			t.Errorf("ann got bob's %s", fr)
		}
		return fr.Type == "room.message" && fr.Message(t).Body == "cy live"
	})

	// A resume replays none of bob's either.
	resumed := ann.DialWS(fmt.Sprintf("after=%d", before.Seq))
	resumed.WaitFor("cy's post, replayed", func(fr forumtest.Frame) bool {
		if fr.Type == "post.created" && fr.Post(t).Author.ID == bob.User.ID {
			t.Errorf("the replay holds bob's post %s", fr)
		}
		return fr.Type == "post.created" && fr.Post(t).ID == cp.ID
	})

	var feed projections.Page[projections.Post]
	ann.MustDo("GET", "/api/posts", nil, http.StatusOK, &feed)
	if len(feed.Items) != 1 || feed.Items[0].ID != cp.ID {
		t.Errorf("ann's feed: %+v", feed.Items)
	}
	var others projections.Page[projections.Post]
	cy.MustDo("GET", "/api/posts", nil, http.StatusOK, &others)
	if len(others.Items) != 2 {
		t.Errorf("cy's feed: %d posts", len(others.Items))
	}
	var comments projections.Page[projections.Comment]
	ann.MustDo("GET", "/api/posts/"+cp.ID+"/comments", nil, http.StatusOK, &comments)
	if len(comments.Items) != 1 || comments.Items[0].Author.ID != cy.User.ID {
		t.Errorf("ann's comments: %+v", comments.Items)
	}
	var room projections.Page[projections.Message]
	ann.MustDo("GET", "/api/rooms/lobby/messages", nil, http.StatusOK, &room)
	for _, m := range room.Items {
		if m.From.ID == bob.User.ID {
			t.Errorf("bob's room message for ann: %+v", m)
		}
	}
	ann.MustDo("DELETE", "/api/users/"+bob.User.ID+"/block", nil, http.StatusNoContent, nil)
	bob.MustDo("POST", "/api/chats/"+ann.User.ID+"/messages", map[string]any{"body": "unblocked"}, http.StatusCreated, nil)
	ann.MustDo("GET", "/api/posts", nil, http.StatusOK, &feed)
	if len(feed.Items) != 2 {
		t.Errorf("ann's feed after unblocking: %d", len(feed.Items))
	}
	_ = bp
}

// The answers kept for Idempotency-Key retries are sealed under the user's
// key like their data in the log, and replay readable.
func TestKeptAnswersAreSealed(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	post := map[string]any{"title": "kept answer marker", "body": "b", "categories": []string{"general"}}
	status, _, first := idemDo(t, ann, f.URL, "POST", "/api/posts", "k1", post)
	if status != http.StatusCreated {
		t.Fatalf("post: %d %s", status, first)
	}
	status, replayed, again := idemDo(t, ann, f.URL, "POST", "/api/posts", "k1", post)
	if status != http.StatusCreated || !replayed || again != first {
		t.Errorf("replay: %d %v %s", status, replayed, again)
	}
	responses, err := f.Store.Responses(forumtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(ann.User.ID + "\x00k1"))
	kept, err := responses.Get(forumtest.Context(t), hex.EncodeToString(sum[:]))
	if err != nil || kept == nil || strings.Contains(string(kept.Body), "marker") || !strings.HasPrefix(string(kept.Body), "sealed:") {
		t.Errorf("the kept answer: %+v, %v", kept, err)
	}
}
