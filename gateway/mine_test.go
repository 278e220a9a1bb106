package gateway_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// getAs reads path as c, asking for gzip or not, and decodes the answer.
func getAs(t *testing.T, c *forumtest.Client, path string, gz bool, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.F.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Accept-Encoding", "identity")
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", path, resp.StatusCode, err, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// asJSON returns v as the generic JSON value it encodes to.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every road that answers posts gives a signed-in reader the same post, with
// their own vote and marks (projections.Mine), as the read models do when
// asked directly; an anonymous reader gets none of those marks. The feed
// comes from the shared page cache with the reader's part written in, plain
// and gzipped; the single post too.
func TestEveryRoadGivesTheReaderTheirOwnMarks(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	var ids []string
	for _, title := range []string{"first", "second", "third"} {
		ids = append(ids, ann.CreatePost(title))
	}
	bob.MustDo(http.MethodPut, "/api/posts/"+ids[1]+"/vote", map[string]int{"value": 1}, http.StatusOK, nil)
	ctx := forumtest.Context(t)
	for _, reader := range []*forumtest.Client{bob, ann, f.Anon()} {
		viewer := reader.User.ID
		want, err := f.DB.Posts(ctx, projections.PostFilter{Viewer: viewer, Blocker: viewer})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range want.Items {
			if (p.Mine != nil) != (viewer != "") {
				t.Errorf("reader %q: post %s has marks %v", viewer, p.ID, p.Mine)
			}
		}
		for _, gz := range []bool{false, true} {
			var got struct{ Items []any }
			getAs(t, reader, "/api/posts", gz, &got)
			if w := asJSON(t, want.Items); !reflect.DeepEqual(asJSON(t, got.Items), w) {
				t.Errorf("reader %q, gzip %v: the feed gives\n%v\nthe read models\n%v", viewer, gz, got.Items, w)
			}
			for _, p := range want.Items {
				var one struct{ Post any }
				getAs(t, reader, "/api/posts/"+p.ID, gz, &one)
				direct, err := f.DB.Post(ctx, events.PostID(p.ID), events.UserID(viewer))
				if err != nil {
					t.Fatal(err)
				}
				if w := asJSON(t, direct); !reflect.DeepEqual(asJSON(t, one.Post), w) {
					t.Errorf("reader %q, gzip %v: post %s gives\n%v\nthe read models\n%v", viewer, gz, p.ID, one.Post, w)
				}
			}
		}
	}
}
