package gateway_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// bookmarkIDs reads every page of c's bookmarks (limit 1) and returns the
// ids in the order shown, and the posts' bookmarked fields.
func bookmarkIDs(c *forumtest.Client) (ids []string, marked []bool) {
	c.F.T.Helper()
	cursor := ""
	for range 50 {
		var page projections.Page[projections.Post]
		c.MustDo("GET", "/api/me/bookmarks?limit=1&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &page)
		for _, p := range page.Items {
			ids = append(ids, p.ID)
			marked = append(marked, p.Mine != nil && p.Bookmarked)
		}
		if page.Next == nil {
			return ids, marked
		}
		cursor = *page.Next
	}
	c.F.T.Fatal("more than 50 pages of bookmarks")
	return nil, nil
}

// lastSeq returns the stream's last sequence.
func lastSeq(f *forumtest.Forum) uint64 {
	f.T.Helper()
	seq, err := f.Store.LastSeq(forumtest.Context(f.T))
	if err != nil {
		f.T.Fatal(err)
	}
	return seq
}

// A reader bookmarks posts: PUT and DELETE answer 204 and, done twice,
// change nothing and append nothing; their list shows the newest bookmark
// first, paged; the post carries bookmarked for them alone; hidden and
// deleted posts leave the list; and it is theirs only (401 signed out).
func TestBookmarks(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann, bob := f.SignUp("boss"), f.SignUp("ann"), f.SignUp("bob")
	one, two, three := mkPost(bob, "One").ID, mkPost(bob, "Two").ID, mkPost(bob, "Three").ID

	for _, bad := range []struct {
		who          *forumtest.Client
		method, path string
		want         int
	}{
		{f.Anon(), "PUT", "/api/posts/" + one + "/bookmark", 401},
		{f.Anon(), "DELETE", "/api/posts/" + one + "/bookmark", 401},
		{f.Anon(), "GET", "/api/me/bookmarks", 401},
		{ann, "PUT", "/api/posts/01jq8r4m2v6e3k0tdw5x7y9zab/bookmark", 404},
		{ann, "PUT", "/api/posts/nope/bookmark", 404},
		{ann, "DELETE", "/api/posts/01jq8r4m2v6e3k0tdw5x7y9zab/bookmark", 404},
		{ann, "GET", "/api/me/bookmarks?cursor=zzz", 400},
	} {
		if status, body := bad.who.Do(bad.method, bad.path, nil); status != bad.want {
			t.Errorf("%s %s: %d %s, want %d", bad.method, bad.path, status, body, bad.want)
		}
	}

	for _, id := range []string{two, one, three} {
		ann.MustDo("PUT", "/api/posts/"+id+"/bookmark", nil, http.StatusNoContent, nil)
	}
	before := lastSeq(f)
	ann.MustDo("PUT", "/api/posts/"+one+"/bookmark", nil, http.StatusNoContent, nil)
	ann.MustDo("DELETE", "/api/posts/"+one+"/bookmark", nil, http.StatusNoContent, nil)
	ann.MustDo("DELETE", "/api/posts/"+one+"/bookmark", nil, http.StatusNoContent, nil)
	if got := lastSeq(f); got != before+1 {
		t.Errorf("a bookmark set twice and removed twice appended %d events, want 1", got-before)
	}
	ann.MustDo("PUT", "/api/posts/"+one+"/bookmark", nil, http.StatusNoContent, nil)
	ids, marked := bookmarkIDs(ann)
	if want := []string{one, three, two}; !slices.Equal(ids, want) {
		t.Errorf("ann's bookmarks %v, want the newest bookmark first %v", ids, want)
	}
	if slices.Contains(marked, false) {
		t.Errorf("bookmarks listed without bookmarked: %v", marked)
	}
	if ids, _ := bookmarkIDs(bob); len(ids) != 0 {
		t.Errorf("bob sees bookmarks %v", ids)
	}

	// The post says it, to its reader alone, on every road.
	var got struct{ Post projections.Post }
	ann.MustDo("GET", "/api/posts/"+one, nil, http.StatusOK, &got)
	if got.Post.Mine == nil || !got.Post.Bookmarked {
		t.Errorf("ann's bookmarked post: %+v", got.Post.Mine)
	}
	bob.MustDo("GET", "/api/posts/"+one, nil, http.StatusOK, &got)
	if got.Post.Mine == nil || got.Post.Bookmarked {
		t.Errorf("bob reads ann's bookmark: %+v", got.Post.Mine)
	}
	if _, body := f.Anon().Do("GET", "/api/posts/"+one, nil); bytes.Contains(body, []byte("bookmarked")) {
		t.Errorf("an anonymous reader gets bookmarked: %s", body)
	}
	var feed projections.Page[projections.Post]
	for _, gz := range []bool{false, true} {
		getAs(t, ann, "/api/posts?limit=10", gz, &feed)
		for _, p := range feed.Items {
			if p.Mine == nil || p.Bookmarked != slices.Contains([]string{one, two, three}, p.ID) {
				t.Errorf("feed (gzip %v): post %s bookmarked %+v", gz, p.ID, p.Mine)
			}
		}
	}

	// Hidden, a post leaves the list (a moderator's own list keeps it);
	// deleted, it leaves every list, and cannot be bookmarked again.
	boss.MustDo("PUT", "/api/posts/"+two+"/bookmark", nil, http.StatusNoContent, nil)
	boss.MustDo("POST", "/api/mod/posts/"+two+"/hide", nil, http.StatusNoContent, nil)
	if ids, _ := bookmarkIDs(ann); slices.Contains(ids, two) {
		t.Errorf("a hidden post stays in ann's bookmarks: %v", ids)
	}
	if ids, _ := bookmarkIDs(boss); !slices.Equal(ids, []string{two}) {
		t.Errorf("the moderator's bookmarks: %v", ids)
	}
	bob.MustDo("DELETE", "/api/posts/"+three, nil, http.StatusNoContent, nil)
	if ids, _ := bookmarkIDs(ann); !slices.Equal(ids, []string{one}) {
		t.Errorf("ann's bookmarks after a hide and a delete: %v", ids)
	}
	if status, body := ann.Do("PUT", "/api/posts/"+mkPost(bob, "Gone").ID+"/bookmark", nil); status != http.StatusNoContent {
		t.Errorf("bookmarking a post: %d %s", status, body)
	}
	if status, _ := ann.Do("DELETE", "/api/posts/"+three+"/bookmark", nil); status != http.StatusNoContent {
		t.Errorf("removing the bookmark of a deleted post: %d", status)
	}
	gone := mkPost(bob, "Deleted")
	bob.MustDo("DELETE", "/api/posts/"+gone.ID, nil, http.StatusNoContent, nil)
	if status, _ := ann.Do("PUT", "/api/posts/"+gone.ID+"/bookmark", nil); status != http.StatusConflict {
		t.Errorf("bookmarking a deleted post: %d, want 409", status)
	}
}

// notificationKinds returns c's notifications as kind:post, newest first.
func notificationKinds(c *forumtest.Client) []string {
	c.F.T.Helper()
	var page projections.Page[projections.Notification]
	c.MustDo("GET", "/api/notifications?limit=100", nil, http.StatusOK, &page)
	var out []string
	for _, n := range page.Items {
		post := ""
		if n.PostID != nil {
			post = *n.PostID
		}
		out = append(out, n.Kind+":"+post)
	}
	return out
}

// watchOf returns the watch level c reads on post id.
func watchOf(c *forumtest.Client, id string) events.WatchLevel {
	c.F.T.Helper()
	var got struct{ Post projections.Post }
	c.MustDo("GET", "/api/posts/"+id, nil, http.StatusOK, &got)
	if got.Post.Mine == nil {
		c.F.T.Fatalf("post %s without the reader's marks", id)
	}
	return got.Post.Watch
}

func setWatch(c *forumtest.Client, path string, level events.WatchLevel) {
	c.F.T.Helper()
	c.MustDo("PUT", path+"/watch", map[string]any{"level": level}, http.StatusNoContent, nil)
}

// Watch levels: PUT on a post or a category answers 204 and validates its
// level; a post's level is its own, else its categories', else watching
// for its author and commenters, else normal. Watching a post tells of
// every new comment, watching a category of every new post (live too); a
// muted post tells nothing, not even a mention or a reply.
func TestWatchLevels(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob, cid, dan := f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cid"), f.SignUp("dan")
	post := mkPost(ann, "Watched", "general", "help").ID

	for _, bad := range []struct {
		who  *forumtest.Client
		path string
		body any
		want int
	}{
		{f.Anon(), "/api/posts/" + post + "/watch", map[string]any{"level": "watching"}, 401},
		{f.Anon(), "/api/categories/help/watch", map[string]any{"level": "watching"}, 401},
		{bob, "/api/posts/" + post + "/watch", map[string]any{"level": "loud"}, 400},
		{bob, "/api/posts/" + post + "/watch", map[string]any{}, 400},
		{bob, "/api/categories/help/watch", map[string]any{"level": "tracking"}, 400},
		{bob, "/api/posts/01jq8r4m2v6e3k0tdw5x7y9zab/watch", map[string]any{"level": "muted"}, 404},
		{bob, "/api/categories/nope/watch", map[string]any{"level": "muted"}, 404},
	} {
		status, body := bad.who.Do("PUT", bad.path, bad.body)
		if status != bad.want {
			t.Errorf("PUT %s %v: %d %s, want %d", bad.path, bad.body, status, body, bad.want)
		}
		if status == 400 && !bytes.Contains(body, []byte(`"field":"level"`)) {
			t.Errorf("PUT %s %v: %s, want field level", bad.path, bad.body, body)
		}
	}

	// The defaults: the author watches; a commenter does not (told of
	// replies and mentions), nor the others.
	mkComment(cid, post, "First!")
	for who, want := range map[*forumtest.Client]events.WatchLevel{ann: "watching", cid: "normal", bob: "normal", dan: "normal"} {
		if got := watchOf(who, post); got != want {
			t.Errorf("%s's level on the post: %s, want %s", who.User.Nickname, got, want)
		}
	}

	// bob watches the category, dan the post; a comment by ann tells them,
	// not cid (a commenter), nor ann.
	bobWS := bob.DialWS("")
	setWatch(bob, "/api/categories/help", "watching")
	setWatch(dan, "/api/posts/"+post, "watching")
	before := lastSeq(f)
	setWatch(dan, "/api/posts/"+post, "watching")
	setWatch(bob, "/api/categories/help", "watching")
	if lastSeq(f) != before {
		t.Error("a level set twice appended an event")
	}
	if got := watchOf(bob, post); got != "watching" {
		t.Errorf("bob's level through the category: %s", got)
	}
	mkComment(ann, post, "Thanks")
	for _, who := range []*forumtest.Client{bob, dan} {
		if got := notificationKinds(who); len(got) == 0 || got[0] != "comment:"+post {
			t.Errorf("%s's notifications %v, want a comment on the post first", who.User.Nickname, got)
		}
	}
	if got := notificationKinds(cid); len(got) != 0 {
		t.Errorf("cid's notifications %v, want none: a commenter is told of replies and mentions", got)
	}
	if got := notificationKinds(ann); len(got) != 1 || got[0] != "reply:"+post {
		t.Errorf("ann's notifications %v, want cid's reply alone", got)
	}

	// A new post in a watched category tells its watcher, live.
	fresh := mkPost(cid, "New in help", "help").ID
	var note struct{ Notification projections.Notification }
	fr := bobWS.WaitFor("the topic notification", func(fr forumtest.Frame) bool {
		if fr.Type != "notification" {
			return false
		}
		fr.Decode(t, &note)
		return note.Notification.Kind != "comment"
	})
	if note.Notification.Kind != "topic" || note.Notification.PostID == nil || *note.Notification.PostID != fresh {
		t.Errorf("bob's notification frame: %s", fr)
	}
	if got := notificationKinds(dan); slices.Contains(got, "topic:"+fresh) {
		t.Errorf("dan, who watches no category, is told of the new post: %v", got)
	}

	// Muted, the post tells ann nothing: no reply, no mention; and bob's
	// own level on it beats his category's.
	setWatch(ann, "/api/posts/"+post, "muted")
	setWatch(bob, "/api/posts/"+post, "normal")
	told := len(notificationKinds(bob))
	mkComment(cid, post, "Hey @ann, look")
	if got := notificationKinds(ann); len(got) != 1 {
		t.Errorf("ann muted the post and is told %v", got)
	}
	if got := notificationKinds(bob); len(got) != told {
		t.Errorf("bob set normal on the post and is told of its comment: %v", got)
	}
	if got := watchOf(ann, post); got != "muted" {
		t.Errorf("ann's level: %s", got)
	}

	// A muted category mutes its posts, for mentions too; one watched
	// beside it wins.
	setWatch(dan, "/api/categories/showcase", "muted")
	mkPost(ann, "Look @dan", "showcase")
	both := mkPost(ann, "Look again @dan", "showcase", "help").ID
	for _, k := range notificationKinds(dan) {
		if k[:8] == "mention:" {
			t.Errorf("dan muted showcase and is told of a mention there: %s", k)
		}
	}
	setWatch(dan, "/api/categories/help", "watching")
	var level struct{ Level events.WatchLevel }
	for slug, want := range map[string]events.WatchLevel{"help": "watching", "showcase": "muted", "general": "normal"} {
		dan.MustDo("GET", "/api/categories/"+slug+"/watch", nil, http.StatusOK, &level)
		if level.Level != want {
			t.Errorf("dan's level on %s: %s, want %s", slug, level.Level, want)
		}
	}
	if status, _ := dan.Do("GET", "/api/categories/nope/watch", nil); status != http.StatusNotFound {
		t.Errorf("the level on no category: %d", status)
	}
	if status, _ := f.Anon().Do("GET", "/api/categories/help/watch", nil); status != http.StatusUnauthorized {
		t.Errorf("an anonymous reader's level: %d", status)
	}
	if got := watchOf(dan, both); got != "watching" {
		t.Errorf("a post in a watched and a muted category: %s, want watching", got)
	}
}

// Muted posts leave the reader's feed; posts of a muted category leave it
// too but stay on the category's page, unless the reader set a level on
// the post; the lists of other readers (and the shared cached pages) keep
// them.
func TestMutedPostsLeaveTheFeed(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	muted := mkPost(ann, "Muted").ID
	shown := mkPost(ann, "Shown").ID
	showcase := mkPost(ann, "Showcase", "showcase").ID
	kept := mkPost(ann, "Showcase, watched", "showcase").ID
	// Read once before, so a shared page of the feed is cached.
	all := []string{kept, showcase, shown, muted}
	if got := feedIDs(bob, "/api/posts?"); !slices.Equal(got, all) {
		t.Fatalf("the feed: %v", got)
	}

	setWatch(bob, "/api/posts/"+muted, "muted")
	setWatch(bob, "/api/categories/showcase", "muted")
	setWatch(bob, "/api/posts/"+kept, "normal")
	for _, gz := range []bool{false, true} {
		var page projections.Page[projections.Post]
		getAs(t, bob, "/api/posts?limit=10", gz, &page)
		var ids []string
		for _, p := range page.Items {
			ids = append(ids, p.ID)
		}
		if want := []string{kept, shown}; !slices.Equal(ids, want) {
			t.Errorf("bob's feed (gzip %v): %v, want %v", gz, ids, want)
		}
	}
	for _, sort := range []string{"latest", "top", "top&period=day"} {
		if got := feedIDs(bob, "/api/posts?sort="+sort); !slices.Equal(got, []string{kept, shown}) {
			t.Errorf("bob's feed sorted %s: %v, want the muted ones gone", sort, got)
		}
		if got := feedIDs(bob, "/api/posts?category=general&sort="+sort); !slices.Equal(got, []string{shown}) {
			t.Errorf("general for bob sorted %s: %v, want the muted post gone", sort, got)
		}
	}
	if got := feedIDs(bob, "/api/posts?filter=new"); !slices.Equal(got, []string{kept, shown}) {
		t.Errorf("bob's new posts: %v, want the muted ones gone", got)
	}
	if got := feedIDs(bob, "/api/posts?filter=new&category=showcase"); !slices.Equal(got, []string{kept, showcase}) {
		t.Errorf("bob's new posts in showcase: %v, want both", got)
	}
	if got := feedIDs(bob, "/api/posts?category=showcase"); !slices.Equal(got, []string{kept, showcase}) {
		t.Errorf("showcase for bob: %v, want both its posts", got)
	}
	if got := feedIDs(bob, "/api/posts?category=general"); !slices.Equal(got, []string{shown}) {
		t.Errorf("general for bob: %v, want the muted post gone", got)
	}
	if got := feedIDs(bob, "/api/posts?author="+ann.User.ID); len(got) != 4 {
		t.Errorf("ann's posts for bob: %v, want all four", got)
	}
	for _, who := range []*forumtest.Client{ann, f.Anon()} {
		if got := feedIDs(who, "/api/posts?"); !slices.Equal(got, all) {
			t.Errorf("the feed of another reader: %v", got)
		}
	}
	setWatch(bob, "/api/posts/"+muted, "normal")
	setWatch(bob, "/api/categories/showcase", "normal")
	if got := feedIDs(bob, "/api/posts?"); !slices.Equal(got, all) {
		t.Errorf("bob's feed with nothing muted: %v", got)
	}
}
