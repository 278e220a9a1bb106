package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// Every body is Markdown, rendered by the server into body_html: in the
// answer to its creation, in every read, and in the rendering a preview
// shows.
func TestBodiesAreRenderedMarkdown(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	const body = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) https://e.com"
	const want = `<p><strong>bold</strong> &lt;script&gt;alert(1)&lt;/script&gt; x <a rel="nofollow ugc noopener" href="https://e.com">https://e.com</a></p>`

	var created struct{ Post projections.Post }
	alice.MustDo("POST", "/api/posts", map[string]any{"title": "T", "body": body, "categories": []string{"general"}}, http.StatusCreated, &created)
	if created.Post.Body != body || created.Post.BodyHTML != want {
		t.Errorf("created post: body %q, body_html %q; want %q", created.Post.Body, created.Post.BodyHTML, want)
	}
	var read struct{ Post projections.Post }
	alice.MustDo("GET", "/api/posts/"+created.Post.ID, nil, http.StatusOK, &read)
	if read.Post.BodyHTML != want {
		t.Errorf("read post: body_html %q, want %q", read.Post.BodyHTML, want)
	}
	var edited struct{ Post projections.Post }
	alice.MustDo("PATCH", "/api/posts/"+created.Post.ID, map[string]any{"body": "~~old~~ new"}, http.StatusOK, &edited)
	if edited.Post.BodyHTML != "<p><del>old</del> new</p>" {
		t.Errorf("edited post: body_html %q", edited.Post.BodyHTML)
	}

	var comment struct{ Comment projections.Comment }
	bob.MustDo("POST", "/api/posts/"+created.Post.ID+"/comments", map[string]any{"body": body}, http.StatusCreated, &comment)
	if comment.Comment.BodyHTML != want {
		t.Errorf("comment: body_html %q, want %q", comment.Comment.BodyHTML, want)
	}
	var dm struct{ Message projections.Message }
	bob.MustDo("POST", "/api/chats/"+alice.User.ID+"/messages", map[string]any{"body": body}, http.StatusCreated, &dm)
	if dm.Message.BodyHTML != want {
		t.Errorf("message: body_html %q, want %q", dm.Message.BodyHTML, want)
	}
	var history struct{ Items []projections.Message }
	alice.MustDo("GET", "/api/chats/"+bob.User.ID+"/messages", nil, http.StatusOK, &history)
	if len(history.Items) != 1 || history.Items[0].BodyHTML != want {
		t.Errorf("history: %+v", history.Items)
	}

	var preview struct {
		BodyHTML string `json:"body_html"`
	}
	alice.MustDo("POST", "/api/preview", map[string]any{"body": body}, http.StatusOK, &preview)
	if preview.BodyHTML != want {
		t.Errorf("preview: %q, want %q", preview.BodyHTML, want)
	}
	if status, _ := alice.Do("POST", "/api/preview", map[string]any{"body": ""}); status != http.StatusBadRequest {
		t.Errorf("preview of nothing: %d, want 400", status)
	}
	if status, _ := f.Anon().Do("POST", "/api/preview", map[string]any{"body": "x"}); status != http.StatusUnauthorized {
		t.Errorf("anonymous preview: %d, want 401", status)
	}
}

type notificationsPage struct {
	Items []projections.Notification
	Next  *string
}

type meAnswer struct {
	User   projections.User
	Unread projections.Unread
}

func unread(c *forumtest.Client) projections.Unread {
	c.F.T.Helper()
	var me meAnswer
	c.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	return me.Unread
}

// Mentions in posts, comments and room messages, and comments on one's
// post, notify: listed newest first, pushed to every connection of the
// notified user, counted in /api/me until read.
func TestNotifications(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	adaWS, adaWS2 := ada.DialWS(""), ada.DialWS("")

	var post struct{ Post projections.Post }
	bob.MustDo("POST", "/api/posts", map[string]any{"title": "Hi", "body": "Hello @ada and @CYD. And @bob, @nobody, email@ada.com", "categories": []string{"general"}}, http.StatusCreated, &post)
	for _, w := range []*forumtest.WSClient{adaWS, adaWS2} {
		fr := w.WaitType("notification")
		var got struct {
			Seq          uint64
			Notification projections.Notification
		}
		fr.Decode(t, &got)
		n := got.Notification
		if n.Kind != "mention" || n.Actor.ID != bob.User.ID || n.PostID == nil || *n.PostID != post.Post.ID || n.CommentID != nil || n.Read ||
			n.Excerpt != "Hello @ada and @CYD. And @bob, @nobody, email@ada.com" || got.Seq != post.Post.Seq || n.ID == "" {
			t.Errorf("%s: notification frame %s", w.Name, fr)
		}
	}
	if u := unread(cyd); u.Notifications != 1 {
		t.Errorf("cyd: unread %+v, want 1 notification (the mention ignores case)", u)
	}
	if u := unread(bob); u.Notifications != 0 {
		t.Errorf("bob mentioning himself: unread %+v", u)
	}

	// A comment on bob's post: a reply to bob; with a mention of bob in it,
	// still one notification.
	var c1, c2 struct{ Comment projections.Comment }
	cyd.MustDo("POST", "/api/posts/"+post.Post.ID+"/comments", map[string]any{"body": "Nice"}, http.StatusCreated, &c1)
	ada.MustDo("POST", "/api/posts/"+post.Post.ID+"/comments", map[string]any{"body": "Thanks @bob!"}, http.StatusCreated, &c2)
	bob.MustDo("POST", "/api/posts/"+post.Post.ID+"/comments", map[string]any{"body": "My own comment"}, http.StatusCreated, nil)
	var list notificationsPage
	bob.MustDo("GET", "/api/notifications", nil, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0].Kind != "mention" || *list.Items[0].CommentID != c2.Comment.ID || list.Items[0].Actor.ID != ada.User.ID ||
		list.Items[1].Kind != "reply" || *list.Items[1].CommentID != c1.Comment.ID || *list.Items[1].PostID != post.Post.ID {
		t.Fatalf("bob's notifications: %+v", list.Items)
	}
	if u := unread(bob); u.Notifications != 2 {
		t.Errorf("bob: unread %+v, want 2", u)
	}
	bob.MustDo("GET", "/api/notifications?limit=1", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Next == nil {
		t.Fatalf("first page of one: %+v", list)
	}
	var rest notificationsPage
	bob.MustDo("GET", "/api/notifications?limit=1&cursor="+*list.Next, nil, http.StatusOK, &rest)
	if len(rest.Items) != 1 || rest.Items[0].Kind != "reply" || rest.Next != nil {
		t.Errorf("second page: %+v", rest)
	}

	// Reading: up to the older one leaves the newer unread, and every
	// connection of the reader is told.
	bobWS := bob.DialWS("")
	bob.MustDo("POST", "/api/notifications/read", map[string]any{"up_to": rest.Items[0].ID}, http.StatusNoContent, nil)
	if fr := bobWS.WaitType("notifications.read"); fr.Str(t, "up_to") != rest.Items[0].ID {
		t.Errorf("notifications.read frame %s", fr)
	}
	if u := unread(bob); u.Notifications != 1 {
		t.Errorf("bob after reading the older: %+v", u)
	}
	bob.MustDo("POST", "/api/notifications/read", map[string]any{"up_to": "999999999"}, http.StatusNoContent, nil)
	bob.MustDo("GET", "/api/notifications", nil, http.StatusOK, &list)
	if u := unread(bob); u.Notifications != 0 || !list.Items[0].Read || !list.Items[1].Read {
		t.Errorf("bob after reading all: %+v, %+v", u, list.Items)
	}
	for _, bad := range []any{map[string]any{"up_to": "x"}, map[string]any{"up_to": ""}, map[string]any{"up_to": 5}, map[string]any{"up_to": "-1"}, map[string]any{"up_to": "01"}} {
		if status, body := bob.Do("POST", "/api/notifications/read", bad); status != http.StatusBadRequest {
			t.Errorf("read %v: %d %s", bad, status, body)
		}
	}
	if status, _ := f.Anon().Do("GET", "/api/notifications", nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", status)
	}

	// A deleted comment takes its notification with it.
	cyd.MustDo("DELETE", "/api/comments/"+c1.Comment.ID, nil, http.StatusNoContent, nil)
	bob.MustDo("GET", "/api/notifications", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || *list.Items[0].CommentID != c2.Comment.ID {
		t.Errorf("after the delete: %+v", list.Items)
	}

	// A mention in a room; direct messages count as unread dms.
	var rm struct{ Message projections.Message }
	cyd.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": "ping @ada"}, http.StatusCreated, &rm)
	adaWS.WaitFor("the room mention", func(fr forumtest.Frame) bool {
		var got struct{ Notification projections.Notification }
		if fr.Type != "notification" {
			return false
		}
		fr.Decode(t, &got)
		return got.Notification.Room != nil && *got.Notification.Room == "lobby" && *got.Notification.MessageID == rm.Message.ID
	})
	cyd.MustDo("POST", "/api/chats/"+ada.User.ID+"/messages", map[string]any{"body": "one"}, http.StatusCreated, nil)
	cyd.MustDo("POST", "/api/chats/"+ada.User.ID+"/messages", map[string]any{"body": "two"}, http.StatusCreated, nil)
	// ada commented on bob's post, which makes her no watcher: bob's own
	// comment after hers, neither a reply nor a mention, told her nothing.
	if u := unread(ada); u.Notifications != 2 || u.DMs != 2 {
		t.Errorf("ada: unread %+v, want 2 notifications (the post's mention, the room's mention) and 2 dms", u)
	}
}

// Rooms have members: joining and leaving are kept, one's rooms are listed
// with what is unread, and a room lists its members with who is online.
func TestRoomMembership(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	ada.MustDo("POST", "/api/rooms/lobby/join", nil, http.StatusNoContent, nil)
	ada.MustDo("POST", "/api/rooms/lobby/join", nil, http.StatusNoContent, nil)
	bob.MustDo("POST", "/api/rooms/lobby/join", nil, http.StatusNoContent, nil)
	ada.MustDo("POST", "/api/rooms/quiet/join", nil, http.StatusNoContent, nil)
	bobWS := bob.DialWS("")

	type roomsPage struct {
		Items []projections.Room
		Next  *string
	}
	mine := func(c *forumtest.Client) map[string]int {
		var p roomsPage
		c.MustDo("GET", "/api/rooms?mine=true", nil, http.StatusOK, &p)
		out := map[string]int{}
		for _, r := range p.Items {
			if !r.Member || r.Unread == nil {
				t.Errorf("mine: %+v", r)
				continue
			}
			out[r.Name] = *r.Unread
		}
		return out
	}
	if got := mine(ada); len(got) != 2 || got["lobby"] != 0 || got["quiet"] != 0 {
		t.Errorf("ada's rooms: %v", got)
	}
	var last struct{ Message projections.Message }
	for _, body := range []string{"one", "two", "three"} {
		ada.MustDo("POST", "/api/rooms/lobby/messages", map[string]any{"body": body}, http.StatusCreated, &last)
	}
	// Bob, a member who has not opened the room, gets its messages.
	bobWS.WaitFor("a member's message", func(fr forumtest.Frame) bool { return fr.Type == "room.message" && fr.Message(t).Body == "three" })
	if got := mine(bob); got["lobby"] != 3 {
		t.Errorf("bob's rooms: %v, want 3 unread in lobby", got)
	}
	if got := mine(ada); got["lobby"] != 0 {
		t.Errorf("the sender's own messages count as read: %v", got)
	}
	bob.MustDo("POST", "/api/rooms/lobby/read", map[string]any{"up_to": last.Message.ID}, http.StatusNoContent, nil)
	if fr := bobWS.WaitType("room.read"); fr.Str(t, "room") != "lobby" {
		t.Errorf("room.read frame %s", fr)
	}
	if got := mine(bob); got["lobby"] != 0 {
		t.Errorf("bob after reading: %v", got)
	}
	if status, _ := bob.Do("POST", "/api/rooms/quiet/read", map[string]any{"up_to": last.Message.ID}); status != http.StatusBadRequest {
		t.Errorf("reading a message of another room: %d", status)
	}

	var members struct {
		Items []projections.Member
		Next  *string
	}
	ada.MustDo("GET", "/api/rooms/lobby/members", nil, http.StatusOK, &members)
	online := map[string]bool{}
	for _, m := range members.Items {
		online[m.User.Nickname] = m.Online
	}
	if len(online) != 2 || !online["bob"] || online["ada"] {
		t.Errorf("lobby's members: %+v", members.Items)
	}
	ada.MustDo("GET", "/api/rooms/lobby/members?limit=1", nil, http.StatusOK, &members)
	if len(members.Items) != 1 || members.Next == nil {
		t.Errorf("a page of one member: %+v", members)
	}

	bob.MustDo("POST", "/api/rooms/lobby/leave", nil, http.StatusNoContent, nil)
	bob.MustDo("POST", "/api/rooms/lobby/leave", nil, http.StatusNoContent, nil)
	if got := mine(bob); len(got) != 0 {
		t.Errorf("bob's rooms after leaving: %v", got)
	}
	for _, c := range []struct {
		method, url string
		want        int
	}{
		{"POST", "/api/rooms/Bad%20Name/join", 400},
		{"POST", "/api/rooms/" + strings.Repeat("a", 33) + "/leave", 400},
		{"GET", "/api/rooms?mine=maybe", 400},
		{"GET", "/api/rooms/lobby/members?cursor=zzz", 400},
		{"GET", "/api/rooms?mine=true&cursor=zzz", 400},
	} {
		if status, body := ada.Do(c.method, c.url, nil); status != c.want {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.url, status, body, c.want)
		}
	}
	if status, _ := f.Anon().Do("POST", "/api/rooms/lobby/join", nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous join: %d", status)
	}
}

type searchPage struct {
	Items []projections.SearchResult
	Next  *string
}

// Search finds posts and comments by their words, best first, with a plain
// snippet; not deleted ones; and, asked for, the caller's own messages.
func TestSearch(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	var p1, p2 struct{ Post projections.Post }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "Zebra crossings", "body": "Where do **zebras** cross? Somewhere in Café Zürich.", "categories": []string{"general"}}, http.StatusCreated, &p1)
	bob.MustDo("POST", "/api/posts", map[string]any{"title": "Horses", "body": "Not a zebra at all.", "categories": []string{"general"}}, http.StatusCreated, &p2)
	var c struct{ Comment projections.Comment }
	cyd.MustDo("POST", "/api/posts/"+p2.Post.ID+"/comments", map[string]any{"body": "Zebras and okapis"}, http.StatusCreated, &c)

	search := func(c *forumtest.Client, query string) searchPage {
		t.Helper()
		var page searchPage
		c.MustDo("GET", "/api/search?"+query, nil, http.StatusOK, &page)
		return page
	}
	got := search(f.Anon(), "q=zebra")
	if len(got.Items) != 3 {
		t.Fatalf("zebra: %+v", got.Items)
	}
	kinds := map[string]bool{}
	for _, r := range got.Items {
		kinds[r.Kind] = true
		if r.Post == nil || r.Snippet == "" || strings.ContainsAny(r.Snippet, "<>") {
			t.Errorf("result %+v", r)
		}
		if r.Kind == "comment" && (r.Comment == nil || r.Comment.ID != c.Comment.ID || r.Post.ID != p2.Post.ID) {
			t.Errorf("comment result %+v", r)
		}
	}
	if !kinds["post"] || !kinds["comment"] {
		t.Errorf("kinds %v", kinds)
	}
	if got := search(f.Anon(), "q=zebra+crossings"); len(got.Items) != 1 || got.Items[0].Post.ID != p1.Post.ID {
		t.Errorf("every word must be there: %+v", got.Items)
	}
	if got := search(f.Anon(), "q=cafe+zurich"); len(got.Items) != 1 {
		t.Errorf("accents ignored: %+v", got.Items)
	}
	if got := search(f.Anon(), "q=zeb"); len(got.Items) != 3 {
		t.Errorf("the last word is a prefix: %d results", len(got.Items))
	}
	if got := search(f.Anon(), `q=%22zebra%22+%2A+%5E`); len(got.Items) != 3 {
		t.Errorf("quotes and operators are only separators: %+v", got.Items)
	}
	if got := search(f.Anon(), `q=NEAR%28+AND`); len(got.Items) != 0 {
		t.Errorf("operator words are words: %+v", got.Items)
	}
	first := search(f.Anon(), "q=zebra&limit=2")
	if len(first.Items) != 2 || first.Next == nil {
		t.Fatalf("a page of 2: %+v", first)
	}
	if rest := search(f.Anon(), "q=zebra&limit=2&cursor="+*first.Next); len(rest.Items) != 1 || rest.Next != nil {
		t.Errorf("the next page: %+v", rest)
	}

	// A deleted post is not found; an edited one is found by its new words.
	ada.MustDo("PATCH", "/api/posts/"+p1.Post.ID, map[string]any{"body": "Now about giraffes"}, http.StatusOK, nil)
	if got := search(f.Anon(), "q=giraffes"); len(got.Items) != 1 {
		t.Errorf("the edit: %+v", got.Items)
	}
	bob.MustDo("DELETE", "/api/posts/"+p2.Post.ID, nil, http.StatusNoContent, nil)
	if got := search(f.Anon(), "q=horses"); len(got.Items) != 0 {
		t.Errorf("a deleted post is found: %+v", got.Items)
	}

	// Messages: one's own DMs and the rooms one is a member of only.
	ada.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "secret walrus plans"}, http.StatusCreated, nil)
	bob.MustDo("POST", "/api/rooms/zoo/messages", map[string]any{"body": "walrus sighting in the zoo room"}, http.StatusCreated, nil)
	if got := search(ada, "q=walrus&in=messages"); len(got.Items) != 1 || got.Items[0].Kind != "dm" || got.Items[0].Message == nil {
		t.Errorf("ada's messages: %+v", got.Items)
	}
	if got := search(cyd, "q=walrus&in=messages"); len(got.Items) != 0 {
		t.Errorf("cyd sees others' DMs, or a room she is no member of: %+v", got.Items)
	}
	cyd.MustDo("POST", "/api/rooms/zoo/join", nil, http.StatusNoContent, nil)
	if got := search(cyd, "q=walrus&in=messages"); len(got.Items) != 1 || got.Items[0].Kind != "room" {
		t.Errorf("cyd's rooms: %+v", got.Items)
	}
	if got := search(f.Anon(), "q=walrus"); len(got.Items) != 0 {
		t.Errorf("messages in the public search: %+v", got.Items)
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"q=", 400}, {"q=%21%21", 400}, {"q=" + strings.Repeat("a", 201), 400}, {"q=a&in=bogus", 400},
		{"q=a&cursor=zz", 400}, {"q=a&limit=x", 400},
	} {
		if status, body := ada.Do("GET", "/api/search?"+c.query, nil); status != c.want {
			t.Errorf("search %s: %d %s, want %d", c.query, status, body, c.want)
		}
	}
	if status, _ := f.Anon().Do("GET", "/api/search?q=a&in=messages", nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous message search: %d", status)
	}
}

// Every version of a post is read back from the log, oldest first.
func TestPostRevisions(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	var p struct{ Post projections.Post }
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "v1", "body": "first *text*", "categories": []string{"general"}}, http.StatusCreated, &p)
	ada.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"body": "second text"}, http.StatusOK, nil)
	ada.MustDo("PATCH", "/api/posts/"+p.Post.ID, map[string]any{"title": "v3", "categories": []string{"help", "general"}}, http.StatusOK, nil)
	other := mkPost(ada, "another")
	ada.MustDo("PATCH", "/api/posts/"+other.ID, map[string]any{"body": "not this one"}, http.StatusOK, nil)

	var revs struct{ Items []commands.Revision }
	f.Anon().MustDo("GET", "/api/posts/"+p.Post.ID+"/revisions", nil, http.StatusOK, &revs)
	want := []commands.Revision{
		{Title: "v1", Body: "first *text*", BodyHTML: "<p>first <em>text</em></p>", Categories: []string{"general"}},
		{Title: "v1", Body: "second text", BodyHTML: "<p>second text</p>", Categories: []string{"general"}},
		{Title: "v3", Body: "second text", BodyHTML: "<p>second text</p>", Categories: []string{"help", "general"}},
	}
	if len(revs.Items) != len(want) {
		t.Fatalf("revisions: %+v", revs.Items)
	}
	for i, r := range revs.Items {
		if r.Title != want[i].Title || r.Body != want[i].Body || r.BodyHTML != want[i].BodyHTML || strings.Join(r.Categories, ",") != strings.Join(want[i].Categories, ",") || r.EditedAt == "" {
			t.Errorf("revision %d: %+v, want %+v", i, r, want[i])
		}
		if i > 0 && r.EditedAt < revs.Items[i-1].EditedAt {
			t.Errorf("revision %d is older than %d", i, i-1)
		}
	}
	if revs.Items[0].EditedAt != p.Post.CreatedAt {
		t.Errorf("the first version's time %s, the post's %s", revs.Items[0].EditedAt, p.Post.CreatedAt)
	}
	ada.MustDo("DELETE", "/api/posts/"+p.Post.ID, nil, http.StatusNoContent, nil)
	for _, id := range []string{p.Post.ID, "01jq8r4m2v6e3k0tdw5x7y9zab", "nope"} {
		if status, body := f.Anon().Do("GET", "/api/posts/"+id+"/revisions", nil); status != http.StatusNotFound {
			t.Errorf("revisions of %s: %d %s, want 404", id, status, body)
		}
	}
}

// A sign-up with several problems names them all at once.
func TestSignUpNamesEveryProblem(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	f.SignUp("ada")
	type answer struct {
		Error struct {
			Code, Field string
			Errors      []struct{ Code, Field, Message string }
		}
	}
	var a answer
	status, body := f.Anon().Do("POST", "/api/signup", map[string]any{"nickname": "x", "email": "nope", "password": "short", "age": 200})
	if status != http.StatusBadRequest || json.Unmarshal(body, &a) != nil {
		t.Fatalf("signup: %d %s", status, body)
	}
	var fields []string
	for _, e := range a.Error.Errors {
		fields = append(fields, e.Field)
		if e.Code != "validation" || e.Message == "" {
			t.Errorf("problem %+v", e)
		}
	}
	if strings.Join(fields, ",") != "nickname,email,password,age" || a.Error.Field != "nickname" || a.Error.Code != "validation" {
		t.Errorf("problems %v, first %+v", fields, a.Error)
	}
	a = answer{}
	status, body = f.Anon().Do("POST", "/api/signup", map[string]any{"nickname": "ADA", "email": "ada@example.com", "password": "a fine long passphrase"})
	if status != http.StatusConflict || json.Unmarshal(body, &a) != nil || len(a.Error.Errors) != 2 ||
		a.Error.Errors[0].Field != "nickname" || a.Error.Errors[1].Field != "email" || a.Error.Errors[1].Code != "taken" {
		t.Errorf("both taken: %d %s", status, body)
	}
}
