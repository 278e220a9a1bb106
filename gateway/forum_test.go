package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// feedPage fetches one page of /api/posts as c.
func feedPage(c *forumtest.Client, query url.Values) projections.Page[projections.Post] {
	c.F.T.Helper()
	var page projections.Page[projections.Post]
	c.MustDo("GET", "/api/posts?"+query.Encode(), nil, http.StatusOK, &page)
	return page
}

// feed follows the cursors of /api/posts with query from the first page to
// the last and returns the ids in order, checking each page on the way:
// at most limit items, a next cursor exactly when more follow, and a seq at
// least minSeq (the reader's last write).
func feed(c *forumtest.Client, query url.Values, limit int, minSeq uint64) []string {
	c.F.T.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(limit))
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			c.F.T.Fatalf("feed %v: no end after 1000 pages", query)
		}
		page := feedPage(c, q)
		if len(page.Items) > limit {
			c.F.T.Fatalf("feed %v: %d items on a page of %d", query, len(page.Items), limit)
		}
		if page.Seq < minSeq {
			c.F.T.Fatalf("feed %v: page seq %d is before the reader's last write %d", query, page.Seq, minSeq)
		}
		for _, p := range page.Items {
			ids = append(ids, p.ID)
		}
		if page.Next == nil {
			return ids
		}
		if len(page.Items) != limit {
			c.F.T.Fatalf("feed %v: a short page (%d of %d) with a next cursor", query, len(page.Items), limit)
		}
		q.Set("cursor", *page.Next)
	}
}

func reversedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// TestFeedPagingWhileInserting reads the feed page by page while new posts
// keep arriving: the pages together are exactly the posts there were when
// the first page was read, newest first, none repeated and none skipped.
func TestFeedPagingWhileInserting(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	// The model: every post's id, oldest first, and those in "help".
	var all, help []string
	add := func(p projections.Post) {
		all = append(all, p.ID)
		if slices.Contains(p.Categories, "help") {
			help = append(help, p.ID)
		}
	}
	for i := range 23 {
		cats := []string{"general"}
		if i%3 == 0 {
			cats = append(cats, "help")
		}
		add(mkPost(alice, fmt.Sprintf("post %d", i), cats...))
	}
	for _, tc := range []struct {
		name  string
		query url.Values
		model *[]string
	}{
		{"all", url.Values{}, &all},
		{"category", url.Values{"category": {"help"}}, &help},
	} {
		want := reversedIDs(*tc.model) // what there is when the first page is read
		q := tc.query
		q.Set("limit", "5")
		var got []string
		var lastWrite uint64
		for page := 0; ; page++ {
			p := feedPage(bob, q)
			if p.Seq < lastWrite {
				t.Fatalf("%s: page %d has seq %d, before the reader's last write %d", tc.name, page, p.Seq, lastWrite)
			}
			for _, item := range p.Items {
				got = append(got, item.ID)
			}
			// Others write between page fetches, into the same category.
			for i := range 2 {
				np := mkPost(bob, fmt.Sprintf("%s: new %d after page %d", tc.name, i, page), "general", "help")
				add(np)
				lastWrite = np.Seq
			}
			if p.Next == nil {
				break
			}
			q.Set("cursor", *p.Next)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: paging while inserting gave\n%v\nwant\n%v", tc.name, got, want)
		}
		// The newest page now starts with the posts that arrived meanwhile.
		first := feedPage(bob, url.Values{"category": q["category"], "limit": {"1"}})
		if len(first.Items) != 1 || first.Items[0].Seq != lastWrite {
			t.Errorf("%s: the newest post is not the last one written (seq %d)", tc.name, lastWrite)
		}
	}
}

// TestFeedFilters checks every combination of the feed's filters, paged,
// against a model of the forum.
func TestFeedFilters(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	users := []*forumtest.Client{f.SignUp("alice"), f.SignUp("bob"), f.SignUp("carol")}
	alice, bob, carol := users[0], users[1], users[2]
	type modelPost struct {
		id     string
		author string
		cats   []string
		votes  map[string]int // voter id → 1 or -1
	}
	catsOf := [][]string{{"general"}, {"help"}, {"general", "help"}, {"development"}}
	var model []*modelPost // oldest first
	var lastWrite uint64
	for i := range 30 {
		author := users[i%3]
		p := mkPost(author, fmt.Sprintf("post %d", i), catsOf[i%4]...)
		mp := &modelPost{id: p.ID, author: author.User.ID, cats: catsOf[i%4], votes: map[string]int{}}
		model = append(model, mp)
		vote := func(c *forumtest.Client, value int) {
			var v projections.Votes
			c.MustDo("PUT", "/api/posts/"+p.ID+"/vote", map[string]int{"value": value}, http.StatusOK, &v)
			if value == 0 {
				delete(mp.votes, c.User.ID)
			} else {
				mp.votes[c.User.ID] = value
			}
		}
		if i%3 == 0 {
			vote(bob, 1)
		}
		if i%5 == 0 {
			vote(bob, -1)
		}
		if i%2 == 0 {
			vote(carol, 1)
		}
		if i%7 == 0 {
			vote(carol, -1)
		}
		if i%11 == 0 {
			vote(alice, 1)
			vote(alice, 0)
		}
	}
	// Deleted posts leave every list, filtered or not.
	for _, i := range []int{0, 6, 13} {
		author := users[i%3]
		author.MustDo("DELETE", "/api/posts/"+model[i].id, nil, http.StatusNoContent, nil)
	}
	deleted := map[string]bool{model[0].id: true, model[6].id: true, model[13].id: true}
	var health struct {
		ProjectionSeq uint64 `json:"projection_seq"`
	}
	f.Anon().MustDo("GET", "/api/health", nil, http.StatusOK, &health)
	lastWrite = health.ProjectionSeq

	opts := func(cs ...*forumtest.Client) []string {
		out := []string{""}
		for _, c := range cs {
			out = append(out, c.User.ID)
		}
		return out
	}
	for _, cat := range []string{"", "general", "help", "development", "feedback"} {
		for _, author := range opts(alice, bob) {
			for _, liked := range opts(bob, carol) {
				for _, disliked := range opts(bob, carol) {
					q := url.Values{}
					var want []string
					for i := len(model) - 1; i >= 0; i-- {
						p := model[i]
						if deleted[p.id] || cat != "" && !slices.Contains(p.cats, cat) || author != "" && p.author != author ||
							liked != "" && p.votes[liked] != 1 || disliked != "" && p.votes[disliked] != -1 {
							continue
						}
						want = append(want, p.id)
					}
					for k, v := range map[string]string{"category": cat, "author": author, "liked_by": liked, "disliked_by": disliked} {
						if v != "" {
							q.Set(k, v)
						}
					}
					if got := feed(carol, q, 4, lastWrite); !slices.Equal(got, want) {
						t.Errorf("feed %v (limit 4):\n got %v\nwant %v", q, got, want)
					}
				}
			}
		}
	}
	// The default page is 20.
	if page := feedPage(f.Anon(), url.Values{}); len(page.Items) != projections.DefaultLimit || page.Next == nil {
		t.Errorf("default page: %d items, next %v; want %d and a next cursor", len(page.Items), page.Next, projections.DefaultLimit)
	}
}

// TestPostDetailAndComments reads a post and pages through its comments,
// oldest first, while more are written.
func TestPostDetailAndComments(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "Discuss", "general", "development")
	var want []string
	for i := range 7 {
		c := mkComment([]*forumtest.Client{alice, bob}[i%2], p.ID, fmt.Sprintf("comment %d", i))
		want = append(want, c.ID)
	}
	var got struct{ Post projections.Post }
	bob.MustDo("GET", "/api/posts/"+p.ID, nil, http.StatusOK, &got)
	if got.Post.CommentCount != 7 || got.Post.Title != "Discuss" || got.Post.Body != "Body of Discuss" ||
		!slices.Equal(got.Post.Categories, []string{"general", "development"}) || got.Post.Author.Nickname != "alice" {
		t.Errorf("post = %+v", got.Post)
	}

	var ids []string
	var lastWrite uint64
	cursor := ""
	for page := 0; ; page++ {
		var pg projections.Page[projections.Comment]
		bob.MustDo("GET", "/api/posts/"+p.ID+"/comments?limit=3&cursor="+cursor, nil, http.StatusOK, &pg)
		if pg.Seq < lastWrite {
			t.Fatalf("page %d: seq %d before the reader's last write %d", page, pg.Seq, lastWrite)
		}
		for _, c := range pg.Items {
			if c.PostID != p.ID {
				t.Errorf("comment %s of post %s in the list of %s", c.ID, c.PostID, p.ID)
			}
			ids = append(ids, c.ID)
		}
		// A new comment between pages comes at the end, in order.
		c := mkComment(bob, p.ID, fmt.Sprintf("late %d", page))
		want = append(want, c.ID)
		lastWrite = c.Seq
		if pg.Next == nil {
			break
		}
		cursor = *pg.Next
	}
	// Pages keep going until they reach the comments written meanwhile.
	if !slices.Equal(ids, want[:len(ids)]) || len(ids) < 7 {
		t.Errorf("comments paged = %v, want a prefix of %v", ids, want)
	}
	var all projections.Page[projections.Comment]
	bob.MustDo("GET", "/api/posts/"+p.ID+"/comments?limit=100", nil, http.StatusOK, &all)
	var allIDs []string
	for _, c := range all.Items {
		allIDs = append(allIDs, c.ID)
	}
	if !slices.Equal(allIDs, want) {
		t.Errorf("all comments = %v, want %v", allIDs, want)
	}
	bob.MustDo("GET", "/api/posts/"+p.ID, nil, http.StatusOK, &got)
	if got.Post.CommentCount != len(want) {
		t.Errorf("comment_count = %d, want %d", got.Post.CommentCount, len(want))
	}
	var one struct{ Comment projections.Comment }
	f.Anon().MustDo("GET", "/api/comments/"+want[1], nil, http.StatusOK, &one)
	if one.Comment.Body != "comment 1" || one.Comment.Author.Nickname != "bob" || one.Comment.PostID != p.ID {
		t.Errorf("comment = %+v", one.Comment)
	}
	var empty projections.Page[projections.Comment]
	f.Anon().MustDo("GET", "/api/posts/"+mkPost(alice, "Quiet", "general").ID+"/comments", nil, http.StatusOK, &empty)
	if len(empty.Items) != 0 || empty.Next != nil || empty.Items == nil {
		t.Errorf("comments of a post without any = %+v, want items [] and next null", empty)
	}
}

// TestConcurrentVotes has many users vote at once on one post and one
// comment: the counts come out exact.
func TestConcurrentVotes(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	author := f.SignUp("author")
	p := mkPost(author, "Vote on me", "general")
	c := mkComment(author, p.ID, "and on me")
	var voters []*forumtest.Client
	for i := range 50 {
		voters = append(voters, f.SignUp(fmt.Sprintf("voter%02d", i)))
	}
	targets := map[string]string{"post": "/api/posts/" + p.ID, "comment": "/api/comments/" + c.ID}
	vote := func(v *forumtest.Client, kind string, value int) projections.Votes {
		r := sendScenario(t, f.URL, scenario{Method: "PUT", URL: targets[kind] + "/vote", Token: v.Token, Body: map[string]int{"value": value}})
		var out projections.Votes
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
			t.Errorf("%s vote %d by %s: status %d: %s", kind, value, v.User.Nickname, r.Status, r.Body)
		}
		return out
	}
	counts := func(kind string) projections.Votes {
		var v projections.Votes
		if kind == "post" {
			var out struct{ Post projections.Post }
			f.Anon().MustDo("GET", targets[kind], nil, http.StatusOK, &out)
			v.Likes, v.Dislikes = out.Post.Likes, out.Post.Dislikes
		} else {
			var out struct{ Comment projections.Comment }
			f.Anon().MustDo("GET", targets[kind], nil, http.StatusOK, &out)
			v.Likes, v.Dislikes = out.Comment.Likes, out.Comment.Dislikes
		}
		return v
	}

	// Everyone likes both, at once.
	var wg sync.WaitGroup
	for _, v := range voters {
		for kind := range targets {
			wg.Go(func() {
				if got := vote(v, kind, 1); got.MyVote != 1 {
					t.Errorf("%s: my_vote %d after a like", kind, got.MyVote)
				}
			})
		}
	}
	wg.Wait()
	for kind := range targets {
		if got := counts(kind); got.Likes != 50 || got.Dislikes != 0 {
			t.Errorf("%s after 50 likes: %+v", kind, got)
		}
	}

	// Then each runs a sequence of its own, all at once; the last value counts.
	sequences := [][]int{{1}, {-1}, {1, 0}, {-1, 1}, {1, -1, 0, 1}, {0}, {1, 1, 1}, {-1, -1}, {0, -1}, {-1, 0, 0}, {1, -1, 1, -1}}
	want := map[int]int{}
	for i := range voters {
		s := sequences[i%len(sequences)]
		want[s[len(s)-1]]++
	}
	for i, v := range voters {
		for kind := range targets {
			wg.Go(func() {
				for _, value := range sequences[i%len(sequences)] {
					vote(v, kind, value)
				}
			})
		}
	}
	wg.Wait()
	for kind := range targets {
		if got := counts(kind); got.Likes != want[1] || got.Dislikes != want[-1] {
			t.Errorf("%s after mixed votes: likes %d dislikes %d, want %d and %d", kind, got.Likes, got.Dislikes, want[1], want[-1])
		}
	}
	for i, v := range voters[:len(sequences)] {
		s := sequences[i]
		if got := vote(v, "post", s[len(s)-1]); got.MyVote != s[len(s)-1] || got.Likes != want[1] || got.Dislikes != want[-1] {
			t.Errorf("%s repeats its last vote %d: %+v", v.User.Nickname, s[len(s)-1], got)
		}
		liked := feed(v, url.Values{"liked_by": {v.User.ID}}, 20, 0)
		if (s[len(s)-1] == 1) != slices.Contains(liked, p.ID) {
			t.Errorf("%s (last vote %d): liked_by lists %v", v.User.Nickname, s[len(s)-1], liked)
		}
	}
}

// streamEvents returns every event in the stream, oldest first.
func allStreamEvents(t *testing.T, store *events.Store) []events.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	last, err := store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := store.Follow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Stop()
	var out []events.Event
	for len(out) == 0 || out[len(out)-1].Seq < last {
		ev, err := fl.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestEditAndDelete(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "Original title", "general", "help")
	c := mkComment(bob, p.ID, "original comment")
	keep := mkComment(bob, p.ID, "stays")
	postURL, commentURL := "/api/posts/"+p.ID, "/api/comments/"+c.ID
	runScenarios(t, f, []scenario{
		{Name: "edit post", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"title": "Second title"},
			ExpectedStatus: 200, ExpectedContent: []string{`"title":"Second title"`, `"body":"Body of Original title"`, `"categories":["general","help"]`, `"edited_at":"`}},
		{Name: "edit post again", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"body": "New body", "categories": []string{"development"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"title":"Second title"`, `"body":"New body"`, `"categories":["development"]`}},
		{Name: "edit post by another", Method: "PATCH", URL: postURL, Token: bob.Token, Body: map[string]any{"title": "Mine now"},
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}},
		{Name: "edit post anonymous", Method: "PATCH", URL: postURL, Body: map[string]any{"title": "x"}, ExpectedStatus: 401},
		{Name: "edit unknown post", Method: "PATCH", URL: "/api/posts/" + unknownID, Token: alice.Token, Body: map[string]any{"title": "x"}, ExpectedStatus: 404},
		{Name: "edit malformed post id", Method: "PATCH", URL: "/api/posts/xyz", Token: alice.Token, Body: map[string]any{"title": "x"}, ExpectedStatus: 404},
		{Name: "edit post to an empty title", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"title": ""},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "edit post to no categories", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"categories": []string{}},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "edit post to an unknown category", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"categories": []string{"nope"}},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "edit post with a wrong type", Method: "PATCH", URL: postURL, Token: alice.Token, Body: `{"title":["x"]}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "edit post wrong content type", Method: "PATCH", URL: postURL, Token: alice.Token, Body: `{"title":"x"}`, ContentType: "text/plain", ExpectedStatus: 415},
		{Name: "edit post too large", Method: "PATCH", URL: postURL, Token: alice.Token, Body: bodyTooBig, ExpectedStatus: 413},

		{Name: "edit comment", Method: "PATCH", URL: commentURL, Token: bob.Token, Body: map[string]any{"body": "edited comment"},
			ExpectedStatus: 200, ExpectedContent: []string{`"body":"edited comment"`, `"edited_at":"`, `"id":"` + c.ID + `"`}},
		{Name: "edit comment by another", Method: "PATCH", URL: commentURL, Token: alice.Token, Body: map[string]any{"body": "x"},
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}},
		{Name: "edit comment anonymous", Method: "PATCH", URL: commentURL, Body: map[string]any{"body": "x"}, ExpectedStatus: 401},
		{Name: "edit unknown comment", Method: "PATCH", URL: "/api/comments/" + unknownID, Token: bob.Token, Body: map[string]any{"body": "x"}, ExpectedStatus: 404},
		{Name: "edit comment to empty", Method: "PATCH", URL: commentURL, Token: bob.Token, Body: map[string]any{"body": " "},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},

		{Name: "delete comment by another", Method: "DELETE", URL: commentURL, Token: alice.Token, ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}},
		{Name: "delete comment anonymous", Method: "DELETE", URL: commentURL, ExpectedStatus: 401},
		{Name: "delete unknown comment", Method: "DELETE", URL: "/api/comments/" + unknownID, Token: bob.Token, ExpectedStatus: 404},
		{Name: "delete comment", Method: "DELETE", URL: commentURL, Token: bob.Token, ExpectedStatus: 204},
		{Name: "deleted comment shows as removed", Method: "GET", URL: commentURL, ExpectedStatus: 200,
			ExpectedContent: []string{`"deleted":true`, `"body":""`}, NotExpectedContent: []string{"edited comment"}},
		{Name: "deleted comment stays in place in the list", Method: "GET", URL: postURL + "/comments", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"id":"` + c.ID + `"`, `"deleted":true`, `"id":"` + keep.ID + `"`, `"body":"stays"`}},
		{Name: "comment_count counts the comments left", Method: "GET", URL: postURL, ExpectedStatus: 200, ExpectedContent: []string{`"comment_count":1`}},
		{Name: "edit deleted comment", Method: "PATCH", URL: commentURL, Token: bob.Token, Body: map[string]any{"body": "back"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"conflict"`}},
		{Name: "vote on deleted comment", Method: "PUT", URL: commentURL + "/vote", Token: alice.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"conflict"`}},
		{Name: "delete deleted comment", Method: "DELETE", URL: commentURL, Token: bob.Token, ExpectedStatus: 409},

		{Name: "like before deletion", Method: "PUT", URL: postURL + "/vote", Token: bob.Token, Body: map[string]int{"value": 1}, ExpectedStatus: 200},
		{Name: "delete post by another", Method: "DELETE", URL: postURL, Token: bob.Token, ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}},
		{Name: "delete post anonymous", Method: "DELETE", URL: postURL, ExpectedStatus: 401},
		{Name: "delete unknown post", Method: "DELETE", URL: "/api/posts/" + unknownID, Token: alice.Token, ExpectedStatus: 404},
		{Name: "delete malformed post id", Method: "DELETE", URL: "/api/posts/x", Token: alice.Token, ExpectedStatus: 404},
		{Name: "delete post", Method: "DELETE", URL: postURL, Token: alice.Token, ExpectedStatus: 204},
		{Name: "deleted post shows as removed", Method: "GET", URL: postURL, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + p.ID + `"`, `"deleted":true`, `"title":""`, `"body":""`}, NotExpectedContent: []string{"Second title", "New body"}},
		{Name: "deleted post leaves the feed", Method: "GET", URL: "/api/posts", ExpectedStatus: 200, NotExpectedContent: []string{p.ID}},
		{Name: "deleted post leaves its category", Method: "GET", URL: "/api/posts?category=development", ExpectedStatus: 200, NotExpectedContent: []string{p.ID}},
		{Name: "deleted post leaves its author's list", Method: "GET", URL: "/api/posts?author=" + alice.User.ID, ExpectedStatus: 200, NotExpectedContent: []string{p.ID}},
		{Name: "deleted post leaves the liked list", Method: "GET", URL: "/api/posts?liked_by=" + bob.User.ID, ExpectedStatus: 200, NotExpectedContent: []string{p.ID}},
		{Name: "deleted post's comments can still be read", Method: "GET", URL: postURL + "/comments", ExpectedStatus: 200, ExpectedContent: []string{keep.ID}},
		{Name: "edit deleted post", Method: "PATCH", URL: postURL, Token: alice.Token, Body: map[string]any{"title": "Back"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"conflict"`}},
		{Name: "vote on deleted post", Method: "PUT", URL: postURL + "/vote", Token: bob.Token, Body: map[string]int{"value": -1},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"conflict"`}},
		{Name: "comment on deleted post", Method: "POST", URL: postURL + "/comments", Token: bob.Token, Body: map[string]string{"body": "hello?"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"conflict"`}},
		{Name: "delete deleted post", Method: "DELETE", URL: postURL, Token: alice.Token, ExpectedStatus: 409},
		{Name: "author's post_count drops", Method: "GET", URL: "/api/users/" + alice.User.ID, ExpectedStatus: 200, ExpectedContent: []string{`"post_count":0`}},
		{Name: "category post_count drops", Method: "GET", URL: "/api/categories", ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"general","name":"General","post_count":0`, `"slug":"development","name":"Development","post_count":0`}},
	})

	// The edits are kept as events in the log: the history of the post.
	keys, err := f.Store.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var history []events.PostEditedData
	var commentEdits, deletions int
	for _, ev := range allStreamEvents(t, f.Store) {
		switch ev.Type {
		case events.PostEdited:
			var d events.PostEditedData
			if err := ev.Payload(&d); err != nil {
				t.Fatal(err)
			}
			if _, err := keys.OpenPayload(context.Background(), ev.Actor, &d); err != nil { // the text is sealed in the log
				t.Fatal(err)
			}
			if d.PostID == p.ID {
				history = append(history, d)
			}
		case events.CommentEdited:
			commentEdits++
		case events.PostDeleted, events.CommentDeleted:
			deletions++
		}
	}
	if len(history) != 2 || history[0].Title != "Second title" || history[0].Body != "Body of Original title" ||
		history[1].Body != "New body" || !slices.Equal(history[1].Categories, []string{"development"}) {
		t.Errorf("post.edited events = %+v, want the two edits in order", history)
	}
	if commentEdits != 1 || deletions != 2 {
		t.Errorf("%d comment.edited and %d deletion events, want 1 and 2", commentEdits, deletions)
	}
	ev, err := f.Store.Last(context.Background(), events.PostCreated.Subject(p.ID))
	var created events.PostCreatedData
	if err == nil {
		if err = ev.Payload(&created); err == nil {
			_, err = keys.OpenPayload(context.Background(), ev.Actor, &created)
		}
	}
	if err != nil || created.Title != "Original title" || strings.Contains(string(ev.Data), "Original title") {
		t.Errorf("the original post.created is gone, or holds its title in clear: %v %s", err, ev.Data)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob, carol := f.SignUp("alice"), f.SignUp("bob"), f.SignUp("carol")
	a1, a2, b1 := mkPost(alice, "a1", "general"), mkPost(alice, "a2", "help"), mkPost(bob, "b1", "general")
	for _, v := range []struct {
		who   *forumtest.Client
		post  projections.Post
		value int
	}{{carol, a1, 1}, {carol, b1, 1}, {carol, a2, -1}, {bob, a1, -1}} {
		v.who.MustDo("PUT", "/api/posts/"+v.post.ID+"/vote", map[string]int{"value": v.value}, http.StatusOK, nil)
	}
	mkComment(carol, a1.ID, "c1")
	mkComment(carol, b1.ID, "c2")
	mkComment(bob, a1.ID, "c3")

	type profile struct {
		User         projections.User `json:"user"`
		PostCount    int              `json:"post_count"`
		CommentCount int              `json:"comment_count"`
		Online       bool             `json:"online"`
	}
	for _, tc := range []struct {
		user            *forumtest.Client
		posts, comments int
	}{{alice, 2, 0}, {bob, 1, 1}, {carol, 0, 2}} {
		var got profile
		f.Anon().MustDo("GET", "/api/users/"+tc.user.User.ID, nil, http.StatusOK, &got)
		if got.User.ID != tc.user.User.ID || got.User.Nickname != tc.user.User.Nickname || got.User.CreatedAt == "" || got.User.Email != "" ||
			got.PostCount != tc.posts || got.CommentCount != tc.comments {
			t.Errorf("profile of %s = %+v, want %d posts and %d comments", tc.user.User.Nickname, got, tc.posts, tc.comments)
		}
		var own profile
		tc.user.MustDo("GET", "/api/users/"+tc.user.User.ID, nil, http.StatusOK, &own)
		if own.User.Email != tc.user.User.Nickname+"@example.com" || own.PostCount != tc.posts {
			t.Errorf("own profile of %s = %+v", tc.user.User.Nickname, own)
		}
	}
	// The profile's lists are feed filters.
	for _, tc := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"alice's posts", url.Values{"author": {alice.User.ID}}, []string{a2.ID, a1.ID}},
		{"carol's posts", url.Values{"author": {carol.User.ID}}, nil},
		{"liked by carol", url.Values{"liked_by": {carol.User.ID}}, []string{b1.ID, a1.ID}},
		{"disliked by carol", url.Values{"disliked_by": {carol.User.ID}}, []string{a2.ID}},
		{"disliked by bob", url.Values{"disliked_by": {bob.User.ID}}, []string{a1.ID}},
		{"liked by bob", url.Values{"liked_by": {bob.User.ID}}, nil},
		{"liked by carol, disliked by bob", url.Values{"liked_by": {carol.User.ID}, "disliked_by": {bob.User.ID}}, []string{a1.ID}},
		{"liked by carol, by alice", url.Values{"liked_by": {carol.User.ID}, "author": {alice.User.ID}}, []string{a1.ID}},
	} {
		if got := feed(f.Anon(), tc.query, 1, 0); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Votes on a post carry into my_vote on lists read by the voter.
	page := feedPage(carol, url.Values{"liked_by": {carol.User.ID}})
	for _, p := range page.Items {
		if p.MyVote != 1 {
			t.Errorf("carol's liked list: my_vote %d on %s", p.MyVote, p.Title)
		}
	}
}

// TestListsCarrySeq checks that every list answer says the stream sequence
// it was read at, and that it includes the reader's own last write.
func TestListsCarrySeq(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "p", "general")
	c := mkComment(bob, p.ID, "c")
	var dm, room struct{ Message projections.Message }
	alice.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]string{"body": "hi"}, http.StatusCreated, &dm)
	bob.MustDo("POST", "/api/rooms/general/messages", map[string]string{"body": "hello room"}, http.StatusCreated, &room)
	for _, tc := range []struct {
		who   *forumtest.Client
		path  string
		write uint64
	}{
		{alice, "/api/posts", p.Seq},
		{alice, "/api/categories", p.Seq},
		{bob, "/api/posts/" + p.ID + "/comments", c.Seq},
		{bob, "/api/posts?author=" + alice.User.ID, c.Seq},
		{alice, "/api/contacts", dm.Message.Seq},
		{alice, "/api/chats/" + bob.User.ID + "/messages", dm.Message.Seq},
		{bob, "/api/rooms", room.Message.Seq},
		{bob, "/api/rooms/general/messages", room.Message.Seq},
	} {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Seq   *uint64           `json:"seq"`
		}
		tc.who.MustDo("GET", tc.path, nil, http.StatusOK, &page)
		if page.Seq == nil || *page.Seq < tc.write || tc.write == 0 || page.Items == nil {
			t.Errorf("GET %s: seq %v, want at least %d (the reader's last write)", tc.path, page.Seq, tc.write)
		}
	}
	// Also for the empty and impossible filters.
	for _, q := range []string{"?category=nope", "?liked_by=" + bob.User.ID + "&disliked_by=" + bob.User.ID} {
		var page projections.Page[projections.Post]
		bob.MustDo("GET", "/api/posts"+q, nil, http.StatusOK, &page)
		if page.Seq < c.Seq || len(page.Items) != 0 {
			t.Errorf("GET /api/posts%s: %d items at seq %d, want none at >= %d", q, len(page.Items), page.Seq, c.Seq)
		}
	}
}

// TestDemoContent checks that --demo seeds a living forum.
func TestDemoContent(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	users := map[string]*forumtest.Client{}
	for _, nick := range commands.DemoUsers {
		c := f.Anon()
		var out struct {
			User  projections.User
			Token string
		}
		c.MustDo("POST", "/api/signin", map[string]string{"login": nick, "password": commands.DemoPassword}, http.StatusOK, &out)
		c.Token, c.User = out.Token, out.User
		users[nick] = c
	}
	if len(users) < 12 {
		t.Errorf("%d demo users, want a dozen", len(users))
	}

	var feed projections.Page[projections.Post]
	f.Anon().MustDo("GET", "/api/posts?limit=100", nil, http.StatusOK, &feed)
	authors, likes, comments, dislikes := map[string]bool{}, 0, 0, 0
	for _, p := range feed.Items {
		authors[p.Author.ID] = true
		likes += p.Likes
		dislikes += p.Dislikes
		comments += p.CommentCount
	}
	if len(feed.Items) < 10 || len(authors) < 8 || likes < 20 || dislikes < 1 || comments < 15 {
		t.Errorf("demo feed: %d posts by %d authors, %d likes, %d dislikes, %d comments", len(feed.Items), len(authors), likes, dislikes, comments)
	}
	var cats projections.Page[projections.Category]
	f.Anon().MustDo("GET", "/api/categories", nil, http.StatusOK, &cats)
	used := 0
	for _, c := range cats.Items {
		if c.PostCount > 0 {
			used++
		}
	}
	if used < 5 {
		t.Errorf("demo posts in %d categories, want several: %+v", used, cats.Items)
	}
	// The welcome leads every list, pinned; views and unread marks are not
	// all zero.
	welcome := feed.Items[0]
	if welcome.Title != "Welcome to the forum!" || welcome.Pinned == nil || *welcome.Pinned != events.PinGlobal {
		t.Errorf("the first post on the feed: %q pinned %v, want the welcome pinned globally", welcome.Title, welcome.Pinned)
	}
	var cs projections.Page[projections.Comment]
	f.Anon().MustDo("GET", "/api/posts/"+welcome.ID+"/comments", nil, http.StatusOK, &cs)
	if len(cs.Items) == 0 {
		t.Errorf("the first demo post has no comments")
	}
	viewed := 0
	for _, p := range feed.Items {
		if p.ViewCount > 1 {
			viewed++
		}
	}
	if viewed < len(feed.Items)/2 {
		t.Errorf("%d of %d demo posts viewed by more than their author", viewed, len(feed.Items))
	}
	unread := 0
	for _, c := range users {
		var mine projections.Page[projections.Post]
		c.MustDo("GET", "/api/posts?filter=unread", nil, http.StatusOK, &mine)
		unread += len(mine.Items)
	}
	if unread == 0 {
		t.Errorf("no demo user has a post with unread comments")
	}

	ada, grace := users["ada"], users["grace"]
	var dms projections.Page[projections.Message]
	grace.MustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &dms)
	if len(dms.Items) < 2 {
		t.Errorf("grace and ada have %d messages, want a conversation", len(dms.Items))
	}
	var contacts projections.Page[projections.Contact]
	ada.MustDo("GET", "/api/contacts", nil, http.StatusOK, &contacts)
	if len(contacts.Items) != len(users)-1 || contacts.Items[0].User.ID != grace.User.ID || contacts.Items[0].LastMessageAt == nil {
		t.Errorf("ada's contacts = %+v, want everyone else, grace first", contacts.Items)
	}
	var rooms projections.Page[projections.Room]
	ada.MustDo("GET", "/api/rooms", nil, http.StatusOK, &rooms)
	var talked string
	for _, r := range rooms.Items {
		if r.LastMessageAt != nil {
			talked = r.Name
			break
		}
	}
	if talked == "" {
		t.Fatalf("no demo room has messages: %+v", rooms.Items)
	}
	var msgs projections.Page[projections.Message]
	ada.MustDo("GET", "/api/rooms/"+talked+"/messages", nil, http.StatusOK, &msgs)
	speakers := map[string]bool{}
	for _, m := range msgs.Items {
		speakers[m.From.ID] = true
	}
	if len(msgs.Items) < 3 || len(speakers) < 2 {
		t.Errorf("room %s: %d messages from %d people, want a conversation", talked, len(msgs.Items), len(speakers))
	}
}

// Edits, deletes and votes race on the same posts, from two instances: the
// log never holds an edit or a vote of a post after its delete, and every
// loser of a race answers 409, never 500.
func TestEditDeleteVoteRace(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	adaOnG, bobOnG := ada.As(g), bob.As(g)
	const rounds = 8
	var posts []string
	for i := range rounds {
		posts = append(posts, mkPost(ada, fmt.Sprint("race ", i), "general").ID)
	}
	forumtest.Eventually(t, "the second instance to see the posts", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	note := func(status int) {
		mu.Lock()
		statuses[status]++
		mu.Unlock()
	}
	for _, id := range posts {
		for i := range 3 {
			wg.Go(func() {
				s, _ := []*forumtest.Client{ada, adaOnG}[i%2].Do("PATCH", "/api/posts/"+id, map[string]any{"title": fmt.Sprint("edit ", i)})
				note(s)
			})
			wg.Go(func() {
				s, _ := []*forumtest.Client{bob, bobOnG}[i%2].Do("PUT", "/api/posts/"+id+"/vote", map[string]any{"value": 1 - 2*(i%2)})
				note(s)
			})
		}
		wg.Go(func() {
			s, _ := adaOnG.Do("DELETE", "/api/posts/"+id, nil)
			note(s)
		})
	}
	wg.Wait()
	for status := range statuses {
		if status != http.StatusOK && status != http.StatusNoContent && status != http.StatusConflict {
			t.Errorf("a racing write answered %d (%v)", status, statuses)
		}
	}
	deleted := map[string]bool{}
	for _, ev := range allStreamEvents(t, f.Store) {
		var d struct {
			PostID   string `json:"post_id"`
			TargetID string `json:"target_id"`
		}
		ev.Payload(&d)
		switch ev.Type {
		case events.PostDeleted:
			deleted[d.PostID] = true
		case events.PostEdited:
			if deleted[d.PostID] {
				t.Errorf("seq %d: an edit of %s after its delete", ev.Seq, d.PostID)
			}
		case events.PostVoted:
			if deleted[d.TargetID] {
				t.Errorf("seq %d: a vote on %s after its delete", ev.Seq, d.TargetID)
			}
		}
	}
	if len(deleted) != rounds {
		t.Errorf("%d posts deleted, want %d", len(deleted), rounds)
	}
	t.Logf("answers: %v", statuses)
}
