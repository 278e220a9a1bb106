package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// Nothing by a side road: what the API would not show a reader now never
// reaches them by a revision, a notification, an export or a list.

// moderatorOf signs up a moderator of f.
func moderatorOf(t testing.TB, f *forumtest.Forum, nickname string) *forumtest.Client {
	t.Helper()
	mod := f.SignUp(nickname)
	if err := f.Cmds.SetRole(forumtest.Context(t), "", events.UserID(mod.User.ID), "moderator"); err != nil {
		t.Fatal(err)
	}
	return mod
}

// revisionsOf answers GET /api/posts/{id}/revisions as c: the status and
// the versions.
func revisionsOf(t *testing.T, c *forumtest.Client, id string) (int, []commands.Revision, []byte) {
	t.Helper()
	status, body := c.Do("GET", "/api/posts/"+id+"/revisions", nil)
	var out struct{ Items []commands.Revision }
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("revisions: %v: %s", err, body)
		}
	}
	return status, out.Items, body
}

// The versions of a hidden or purged post answer as the post does: to
// moderators; anyone else, its author too, gets 404. Those of an erased
// author's post read [deleted], like the post.
func TestRevisionsAnswerAsThePost(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	var p struct{ Post projections.Post }
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "secret title", "body": "secret first", "categories": []string{"general"}}, http.StatusCreated, &p)
	ann.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": "secret second"}, http.StatusOK, nil)
	if status, revs, _ := revisionsOf(t, f.Anon(), p.Post.ID); status != http.StatusOK || len(revs) != 2 {
		t.Fatalf("before the hide: %d %+v", status, revs)
	}

	mod.MustDo("POST", "/api/mod/posts/"+p.Post.ID+"/hide", nil, http.StatusNoContent, nil)
	for name, c := range map[string]*forumtest.Client{"anonymous": f.Anon(), "a member": bob, "the author": ann} {
		if status, _, body := revisionsOf(t, c, p.Post.ID); status != http.StatusNotFound || bytes.Contains(body, []byte("secret")) {
			t.Errorf("%s reads a hidden post's versions: %d %s", name, status, body)
		}
	}
	if status, revs, _ := revisionsOf(t, mod, p.Post.ID); status != http.StatusOK || len(revs) != 2 || revs[1].Body != "secret second" {
		t.Errorf("the moderator reads a hidden post's versions: %d %+v", status, revs)
	}
	mod.MustDo("POST", "/api/mod/posts/"+p.Post.ID+"/restore", nil, http.StatusNoContent, nil)
	if status, revs, _ := revisionsOf(t, bob, p.Post.ID); status != http.StatusOK || len(revs) != 2 {
		t.Errorf("after the restore: %d %+v", status, revs)
	}

	// A purge hides the post as well.
	mod.MustDo("POST", "/api/mod/users/"+ann.User.ID+"/purge", map[string]any{"since": "2000-01-01T00:00:00Z"}, http.StatusNoContent, nil)
	if status, _, body := revisionsOf(t, bob, p.Post.ID); status != http.StatusNotFound {
		t.Errorf("a purged post's versions: %d %s", status, body)
	}

	// An erased author's post: every version reads [deleted], as the post.
	var q struct{ Post projections.Post }
	bob.MustDo("POST", "/api/posts", map[string]any{"title": "bob's title", "body": "bob's *words*", "categories": []string{"general"}}, http.StatusCreated, &q)
	bob.MustDo("PATCH", "/api/posts/"+q.Post.ID, map[string]any{"title": "bob's new title"}, http.StatusOK, nil)
	bob.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("bob")}, http.StatusNoContent, nil)
	var shown struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+q.Post.ID, nil, http.StatusOK, &shown)
	status, revs, body := revisionsOf(t, ann, q.Post.ID)
	if status != http.StatusOK || len(revs) != 2 || bytes.Contains(body, []byte("bob's")) {
		t.Fatalf("an erased author's versions: %d %s", status, body)
	}
	for i, r := range revs {
		if r.Title != shown.Post.Title || r.Body != shown.Post.Body || r.BodyHTML != shown.Post.BodyHTML || r.Title != "[deleted]" {
			t.Errorf("version %d: %+v, the post %+v", i, r, shown.Post)
		}
	}

	// A post written in clear before personal data was sealed: erasure
	// cannot shred it in the log, and its versions read [deleted] all the same.
	cyd := f.SignUp("cyd")
	id := events.NewID(time.Now())
	appendApplied(t, f, id, events.PostCreated, cyd.User.ID,
		events.PostCreatedData{PostID: id, AuthorID: cyd.User.ID, Title: "cyd's clear title", Body: "cyd's clear body", Categories: []string{"general"}})
	cyd.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("cyd")}, http.StatusNoContent, nil)
	status, revs, body = revisionsOf(t, ann, id)
	if status != http.StatusOK || len(revs) != 1 || revs[0].Body != "[deleted]" || bytes.Contains(body, []byte("clear")) {
		t.Errorf("an erased author's post written in clear: %d %s", status, body)
	}
}

// notificationsOf returns c's notifications, newest first, and the unread
// count.
func notificationsOf(t *testing.T, c *forumtest.Client) ([]projections.Notification, int) {
	t.Helper()
	var list notificationsPage
	c.MustDo("GET", "/api/notifications", nil, http.StatusOK, &list)
	return list.Items, unread(c).Notifications
}

// actors lists who made each notification.
func actors(notes []projections.Notification) []string {
	var out []string
	for _, n := range notes {
		out = append(out, n.Actor.Nickname+":"+n.Kind)
	}
	return out
}

// After B blocks A, nothing A does is stored or pushed as B's
// notification (mentions in posts, comments, room messages; replies to B's
// posts), and the block takes A's earlier ones out of B's list and counts
// for good. A rebuild from the log gives the same.
func TestBlockedUsersNotifyNobody(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob, cyd := f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cyd")
	bobPost := mkPost(bob, "Bob's post")
	mkComment(ann, bobPost.ID, "before the block, @bob")
	mkComment(cyd, bobPost.ID, "cyd before the block")
	if notes, n := notificationsOf(t, bob); n != 2 || len(notes) != 2 {
		t.Fatalf("before the block: %d unread, %v", n, actors(notes))
	}

	bob.MustDo("PUT", "/api/users/"+ann.User.ID+"/block", nil, http.StatusNoContent, nil)
	if notes, n := notificationsOf(t, bob); n != 1 || len(notes) != 1 || notes[0].Actor.ID != cyd.User.ID {
		t.Errorf("the block leaves ann's earlier notification: %d unread, %v", n, actors(notes))
	}
	bobWS := bob.DialWS("")
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "t", "body": "hey @bob", "categories": []string{"general"}}, http.StatusCreated, nil)
	mkComment(ann, bobPost.ID, "a reply to bob's post")
	mkComment(ann, mkPost(cyd, "Cyd's").ID, "a mention of @bob in a comment")
	ann.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "@bob in the room"}, http.StatusCreated, nil)
	cyd.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "@bob from cyd"}, http.StatusCreated, nil)
	bobWS.WaitFor("cyd's mention", func(fr forumtest.Frame) bool {
		if fr.Type != "notification" {
			return false
		}
		var got struct{ Notification projections.Notification }
		fr.Decode(t, &got)
		if got.Notification.Actor.ID == ann.User.ID {
			t.Errorf("ann's notification pushed to bob: %s", fr)
		}
		return got.Notification.Actor.ID == cyd.User.ID
	})
	notes, n := notificationsOf(t, bob)
	if got := strings.Join(actors(notes), ","); got != "cyd:mention,cyd:reply" || n != 2 {
		t.Errorf("bob's notifications while blocking ann: %s, %d unread", got, n)
	}

	// Unblocked, ann notifies again; what came while blocked stays away.
	bob.MustDo("DELETE", "/api/users/"+ann.User.ID+"/block", nil, http.StatusNoContent, nil)
	mkComment(ann, bobPost.ID, "after the unblock")
	notes, n = notificationsOf(t, bob)
	if got := strings.Join(actors(notes), ","); got != "ann:reply,cyd:mention,cyd:reply" || n != 3 {
		t.Errorf("after the unblock: %s, %d unread", got, n)
	}

	// The same from a rebuild.
	ctx := forumtest.Context(t)
	keys, err := f.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := projections.Rebuild(ctx, f.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "read.db"), UntilSeq: head, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, _, err := projections.OpenDB(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rebuilt.Close()
	again, err := rebuilt.Notifications(ctx, events.UserID(bob.User.ID), projections.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	live, err := f.DB.Notifications(ctx, events.UserID(bob.User.ID), projections.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	again.Seq, live.Seq = 0, 0
	if a, b := mustJSON(t, again), mustJSON(t, live); !bytes.Equal(a, b) {
		t.Errorf("rebuilt notifications differ:\n%s\nlive:\n%s", a, b)
	}
}

// A notification's excerpt never shows text its source no longer shows:
// an edit rewrites it; a hide, a delete or the author's erasure removes it.
func TestNotificationExcerptsFollowTheSource(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(bob, "Bob's")
	c := mkComment(ann, post.ID, "@bob regrettable words")
	var p struct{ Post projections.Post }
	ann.MustDo("POST", "/api/posts", map[string]any{"title": "t", "body": "@bob more regrettable words", "categories": []string{"general"}}, http.StatusCreated, &p)
	ann.MustDo("PATCH", "/api/comments/"+c.ID, map[string]any{"body": "@bob kind words"}, http.StatusOK, nil)
	ann.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": "@bob kinder words"}, http.StatusOK, nil)
	notes, _ := notificationsOf(t, bob)
	if len(notes) != 2 || notes[0].Excerpt != "@bob kinder words" || notes[1].Excerpt != "@bob kind words" {
		t.Errorf("excerpts after the edits: %+v", notes)
	}

	cyd := f.SignUp("cyd")
	hidden := mkComment(cyd, post.ID, "@bob cyd's words to hide")
	mod.MustDo("POST", "/api/mod/comments/"+hidden.ID+"/hide", nil, http.StatusNoContent, nil)
	mkComment(cyd, post.ID, "@bob cyd's words to delete")
	var list notificationsPage
	bob.MustDo("GET", "/api/notifications", nil, http.StatusOK, &list)
	cyd.MustDo("DELETE", "/api/comments/"+*list.Items[0].CommentID, nil, http.StatusNoContent, nil)
	ann.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("ann")}, http.StatusNoContent, nil)
	_, body := bob.Do("GET", "/api/notifications", nil)
	for _, gone := range []string{"words", "ann"} {
		if bytes.Contains(body, []byte(gone)) {
			t.Errorf("bob's notifications still hold %q: %s", gone, body)
		}
	}
	if notes, n := notificationsOf(t, bob); len(notes) != 0 || n != 0 {
		t.Errorf("bob's notifications: %+v, %d unread", notes, n)
	}
}

// A hidden post takes no comment: 409 conflict with a clear message, and
// nothing changes (no comment, no count, no notification, no event).
func TestNoCommentsOnHiddenPosts(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(ann, "To hide")
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", nil, http.StatusNoContent, nil)
	var writes []threadWrite
	for _, c := range []*forumtest.Client{bob, ann, mod} {
		writes = append(writes, threadWrite{c, "POST", "/api/posts/" + post.ID + "/comments", map[string]any{"body": "hello @ann"}})
	}
	refuseInThread(t, f, writes)
	var comments projections.Page[projections.Comment]
	mod.MustDo("GET", "/api/posts/"+post.ID+"/comments", nil, http.StatusOK, &comments)
	if len(comments.Items) != 0 {
		t.Errorf("comments of the hidden post: %+v", comments.Items)
	}
	if notes, n := notificationsOf(t, ann); len(notes) != 0 || n != 0 {
		t.Errorf("ann is told: %+v", notes)
	}

	// A comment that raced the hide (decided by an instance that had not
	// applied it yet) is in the log: it is kept, and tells nobody.
	appendComment(t, f, bob, post.ID, "raced @ann")
	if notes, n := notificationsOf(t, ann); len(notes) != 0 || n != 0 {
		t.Errorf("ann is told of a comment that raced the hide: %+v", notes)
	}

	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/restore", nil, http.StatusNoContent, nil)
	mkComment(bob, post.ID, "restored, so open again")
}

// exportOf returns c's export, parsed.
func exportOf(t *testing.T, c *forumtest.Client) ([]commands.Exported, []byte) {
	t.Helper()
	status, body := c.Do("GET", "/api/me/export", nil)
	var out []commands.Exported
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("export: %d %s", status, body)
	}
	return out, body
}

// An export holds the caller's own events only: nothing of a comment on
// their post, a mention of them, a direct message they received, a
// moderator's hide of their post, or a room message of another.
func TestExportHoldsOnlyOwnEvents(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, ann, bob := moderatorOf(t, f, "mod"), f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(ann, "ann's own post")
	mkComment(bob, post.ID, "bobtext comment on ann's post @ann")
	bob.MustDo("POST", "/api/chats/"+ann.User.ID+"/messages", map[string]any{"body": "bobtext dm to ann"}, http.StatusCreated, nil)
	ann.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "ann's answer"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "bobtext in the room @ann"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/posts/"+post.ID+"/flag", map[string]any{"reason": "bobtext reason"}, http.StatusCreated, nil)
	mod.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", map[string]any{"reason": "modtext"}, http.StatusNoContent, nil)
	bob.MustDo("PUT", "/api/users/"+ann.User.ID+"/block", nil, http.StatusNoContent, nil)

	evs, body := exportOf(t, ann)
	for _, leak := range []string{"bobtext", "modtext", bob.User.Email, "bob@"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("ann's export holds %q", leak)
		}
	}
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	for _, want := range []string{"user.registered", "post.created", "dm.sent"} {
		if !strings.Contains(strings.Join(types, ","), want) {
			t.Errorf("ann's export lacks %s: %v", want, types)
		}
	}
	if !bytes.Contains(body, []byte("ann's answer")) || !bytes.Contains(body, []byte("ann's own post")) {
		t.Errorf("ann's export lacks her own words: %s", body)
	}
	// A stolen session must not yield the password's hash to crack offline,
	// nor the token hashes of the other sessions.
	if regexp.MustCompile(`"password_hash":"[^"]`).Match(body) {
		t.Error("ann's export holds her password's hash")
	}
	if regexp.MustCompile(`"token_hash":"[^"]`).Match(body) {
		t.Error("ann's export holds a session's token hash")
	}
}

// An erased user reads as "deleted user" and their text as [deleted] on
// every road: a room's history, a conversation, the contacts, the profile,
// the post lists, comments and notifications.
func TestErasedUserOnEveryRoad(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	zed, bob := f.SignUp("zedmark"), f.SignUp("bob")
	const text = "zedtextmark"
	post := mkPost(zed, text+" post")
	bobPost := mkPost(bob, "Bob's")
	mkComment(zed, bobPost.ID, text+" comment @bob")
	zed.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": text + " room @bob"}, http.StatusCreated, nil)
	zed.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": text + " dm"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/chats/"+zed.User.ID+"/messages", map[string]any{"body": "bob's answer"}, http.StatusCreated, nil)
	zed.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("zedmark")}, http.StatusNoContent, nil)

	for _, path := range []string{
		"/api/rooms/lobby/messages",
		"/api/chats/" + zed.User.ID + "/messages",
		"/api/contacts",
		"/api/contacts?q=zed",
		"/api/users/" + zed.User.ID,
		"/api/posts",
		"/api/posts?author=" + zed.User.ID,
		"/api/posts/" + post.ID,
		"/api/posts/" + post.ID + "/revisions",
		"/api/posts/" + bobPost.ID + "/comments",
		"/api/notifications",
		"/api/search?q=" + text,
		"/api/search?in=messages&q=" + text,
	} {
		for name, c := range map[string]*forumtest.Client{"bob": bob, "anonymous": f.Anon()} {
			status, body := c.Do("GET", path, nil)
			if status >= 500 || (name == "bob" && status != http.StatusOK) {
				t.Errorf("%s GET %s: %d %s", name, path, status, body)
			}
			for _, marker := range []string{text, "zedmark"} {
				if bytes.Contains(body, []byte(marker)) {
					t.Errorf("%s GET %s holds %q: %s", name, path, marker, body)
				}
			}
		}
	}
	var room projections.Page[projections.Message]
	bob.MustDo("GET", "/api/rooms/lobby/messages", nil, http.StatusOK, &room)
	var dms projections.Page[projections.Message]
	bob.MustDo("GET", "/api/chats/"+zed.User.ID+"/messages", nil, http.StatusOK, &dms)
	for _, m := range append(room.Items, dms.Items...) {
		if m.From.ID == zed.User.ID && (m.From.Nickname != projections.ErasedNickname || m.Body != projections.ErasedText) {
			t.Errorf("an erased user's message: %+v", m)
		}
	}
	if len(dms.Items) != 2 || dms.Items[0].Body != "bob's answer" {
		t.Errorf("bob's conversation with the erased user: %+v", dms.Items)
	}

	// The erased account takes no message, and is no contact of those who
	// never wrote to it; bob keeps his conversation.
	status, body := bob.Do("POST", "/api/chats/"+zed.User.ID+"/messages", map[string]any{"body": "anyone there?"})
	if code, _ := errorOf(t, body); status != http.StatusNotFound || code != "not_found" {
		t.Errorf("a message to the erased user: %d %s", status, body)
	}
	bob.MustDo("GET", "/api/chats/"+zed.User.ID+"/messages", nil, http.StatusOK, &dms)
	if len(dms.Items) != 2 {
		t.Errorf("the conversation after a refused message: %+v", dms.Items)
	}
	for name, c := range map[string]*forumtest.Client{"bob": bob, "cyd": f.SignUp("cyd")} {
		var contacts projections.Page[projections.Contact]
		c.MustDo("GET", "/api/contacts", nil, http.StatusOK, &contacts)
		var listed bool
		for _, ct := range contacts.Items {
			listed = listed || ct.User.ID == zed.User.ID
		}
		if listed != (name == "bob") {
			t.Errorf("%s's contacts list the erased user: %v (%+v)", name, listed, contacts.Items)
		}
	}
}

// A purged user's posts leave every list, their comments and messages show
// hidden in place, and nothing of their text is readable but by moderators.
func TestPurgedUserOnEveryRoad(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, spam, bob := moderatorOf(t, f, "mod"), f.SignUp("spammer"), f.SignUp("bob")
	const text = "spamtextmark"
	post := mkPost(spam, text+" post", "general", "help")
	bob.MustDo("PUT", "/api/posts/"+post.ID+"/vote", map[string]any{"value": 1}, http.StatusOK, nil)
	bobPost := mkPost(bob, "Bob's")
	mkComment(spam, bobPost.ID, text+" comment @bob")
	spam.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": text + " room @bob"}, http.StatusCreated, nil)
	spam.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": text + " dm"}, http.StatusCreated, nil)
	mod.MustDo("POST", "/api/mod/users/"+spam.User.ID+"/purge", map[string]any{"since": "2000-01-01T00:00:00Z", "reason": "spam"}, http.StatusNoContent, nil)

	for _, path := range []string{
		"/api/rooms/lobby/messages",
		"/api/chats/" + spam.User.ID + "/messages",
		"/api/posts",
		"/api/posts?category=help",
		"/api/posts?author=" + spam.User.ID,
		"/api/posts?liked_by=" + bob.User.ID,
		"/api/posts/" + post.ID,
		"/api/posts/" + bobPost.ID + "/comments",
		"/api/notifications",
		"/api/search?q=" + text,
		"/api/search?in=messages&q=" + text,
	} {
		status, body := bob.Do("GET", path, nil)
		if status != http.StatusOK || bytes.Contains(body, []byte(text)) {
			t.Errorf("bob GET %s: %d %s", path, status, body)
		}
	}
	if status, _ := bob.Do("GET", "/api/posts/"+post.ID+"/revisions", nil); status != http.StatusNotFound {
		t.Errorf("a purged post's versions: %d", status)
	}
	var prof struct {
		PostCount    int `json:"post_count"`
		CommentCount int `json:"comment_count"`
	}
	bob.MustDo("GET", "/api/users/"+spam.User.ID, nil, http.StatusOK, &prof)
	if prof.PostCount != 0 || prof.CommentCount != 0 {
		t.Errorf("the purged user's profile counts %+v", prof)
	}
	for _, path := range []string{"/api/posts/" + post.ID, "/api/posts/" + post.ID + "/revisions", "/api/posts/" + bobPost.ID + "/comments"} {
		if status, body := mod.Do("GET", path, nil); status != http.StatusOK || !bytes.Contains(body, []byte(text)) {
			t.Errorf("the moderator GET %s: %d %s", path, status, body)
		}
	}
}

// A notification's excerpt is the text as it reads, not the Markdown as
// typed: a quote's link and marks do not show, and it stays one short line.
func TestNotificationExcerptsAreText(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(bob, "Bob's")
	mkComment(ann, post.ID, "[@pablo wrote:](http://example.com/posts/1?comment=2)\n> **quoted** `words` &amp; more\n\nHi @bob, see _this_.\n\n"+strings.Repeat("long ", 100))
	notes, _ := notificationsOf(t, bob)
	const want = "@pablo wrote: quoted words & more Hi @bob, see this. long"
	if len(notes) != 1 || !strings.HasPrefix(notes[0].Excerpt, want) || utf8.RuneCountInString(notes[0].Excerpt) != 140 {
		t.Errorf("the excerpt of a quote: %+v, want it to begin %q, 140 characters", notes, want)
	}
}
