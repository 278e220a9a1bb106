package gateway

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// The page cache keeps one sequence's answers, within its bounds.
func TestPageCacheBounds(t *testing.T) {
	var c pageCache
	page := &cachedPage{body: []byte("{}")}
	for i := range 2 * pageCacheEntries {
		c.put(7, "/api/posts?cursor="+strconv.Itoa(i), page)
	}
	if len(c.entries) != pageCacheEntries {
		t.Errorf("%d entries, want at most %d", len(c.entries), pageCacheEntries)
	}
	c.put(7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes), page)
	if c.get(7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes)) != nil {
		t.Error("an over-long key was kept")
	}
	if c.get(8, "/api/posts?cursor=1") != nil || c.get(7, "/api/posts?cursor=1") == nil {
		t.Error("an answer of sequence 7 is not found at 7 only")
	}
	c.put(8, "/api/posts", &cachedPage{body: make([]byte, pageCacheBytes)})
	if len(c.entries) != 0 || c.get(7, "/api/posts?cursor=1") != nil {
		t.Errorf("a new sequence kept %d entries of the old one, or took an over-large page", len(c.entries))
	}
}

// A page gzipped in parts, the reader's votes written in between, is the
// gzip of the page with those votes: what a gzip reader makes of it is
// byte for byte the plain answer.
func TestGzipWithVotesDecodesToThePlainAnswer(t *testing.T) {
	var body bytes.Buffer
	body.WriteString(`{"items":[`)
	var posts []string
	for i := range 30 {
		id := fmt.Sprintf("p%02d", i)
		posts = append(posts, id)
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":%q,"title":"post %d","body":%q,"my_vote":0}`, id, i, strings.Repeat("text \"my_vote\":0 ", i))
	}
	body.WriteString(`],"next":null}`)
	p := &cachedPage{body: body.Bytes(), posts: posts}
	p.placeVotes()
	if !p.mergeable {
		t.Fatalf("placed %d votes for %d posts", len(p.votes), len(posts))
	}
	p.splitGzip()
	for _, votes := range []map[string]int{{}, {"p00": 1}, {"p29": -1}, {"p03": 1, "p04": -1, "p17": 1, "p28": -1}} {
		plain := p.withVotes(votes)
		var page struct {
			Items []struct {
				ID     string `json:"id"`
				MyVote int    `json:"my_vote"`
			}
		}
		if err := json.Unmarshal(plain, &page); err != nil {
			t.Fatalf("votes %v: %v", votes, err)
		}
		for _, it := range page.Items {
			if it.MyVote != votes[it.ID] {
				t.Fatalf("votes %v: post %s shows %d", votes, it.ID, it.MyVote)
			}
		}
		zr, err := gzip.NewReader(bytes.NewReader(p.gzipWithVotes(votes, plain)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("votes %v: gunzip: %v", votes, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("votes %v: gunzip gives %d bytes that differ from the %d plain ones", votes, len(got), len(plain))
		}
	}
}
