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
	"time"

	"forum/projections"
)

// The page cache keeps one shown sequence's answers, within its bounds.
func TestPageCacheBounds(t *testing.T) {
	var c pageCache
	now := time.Now()
	page := &cachedPage{seq: 7, at: now, body: []byte("{}")}
	for i := range 2 * pageCacheEntries {
		c.put(7, "/api/posts?cursor="+strconv.Itoa(i), page)
	}
	if len(c.entries) != pageCacheEntries {
		t.Errorf("%d entries, want at most %d", len(c.entries), pageCacheEntries)
	}
	c.put(7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes), page)
	if c.get(7, 7, "/api/posts?q="+strings.Repeat("x", pageCacheKeyBytes), now) != nil {
		t.Error("an over-long key was kept")
	}
	if c.get(8, 8, "/api/posts?cursor=1", now) != nil || c.get(7, 7, "/api/posts?cursor=1", now) == nil {
		t.Error("an answer of shown sequence 7 is not found at 7 only")
	}
	c.put(8, "/api/posts", &cachedPage{body: make([]byte, pageCacheBytes)})
	if len(c.entries) != 0 || c.get(7, 7, "/api/posts?cursor=1", now) != nil {
		t.Errorf("a new sequence kept %d entries of the old one, or took an over-large page", len(c.entries))
	}
}

// An answer read before some reads (the sequence moved, the shown sequence
// did not) is served for viewCountLag, then read again.
func TestPageCacheLagsOnlyViewCounts(t *testing.T) {
	var c pageCache
	now := time.Now()
	c.put(7, "/api/posts", &cachedPage{seq: 9, at: now, body: []byte("{}")})
	if c.get(7, 12, "/api/posts", now.Add(viewCountLag-time.Millisecond)) == nil {
		t.Error("an answer read before reads alone is not served within the lag")
	}
	if c.get(7, 12, "/api/posts", now.Add(viewCountLag)) != nil {
		t.Error("an answer read before reads alone is served past the lag")
	}
	if c.get(7, 9, "/api/posts", now.Add(time.Hour)) == nil {
		t.Error("an answer of the current sequence is not served")
	}
}

// A page gzipped in parts, the reader's votes and marks written in between,
// is the gzip of the page with them: what a gzip reader makes of it is byte
// for byte the plain answer, whatever the length of what is written in.
func TestGzipWithFillsDecodesToThePlainAnswer(t *testing.T) {
	var body bytes.Buffer
	body.WriteString(`{"items":[`)
	var posts []string
	var refs []projections.PostRef
	for i := range 30 {
		id := fmt.Sprintf("p%02d", i)
		posts = append(posts, id)
		refs = append(refs, projections.PostRef{ID: id})
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":%q,"title":"post %d","body":%q,"my_vote":0,"pinned":null}`, id, i, strings.Repeat("text \"my_vote\":0 ", i))
	}
	body.WriteString(`],"next":null}`)
	p := &cachedPage{body: body.Bytes(), posts: refs}
	p.placeSlots()
	if !p.mergeable {
		t.Fatalf("placed %d slots for %d posts", len(p.slots), len(posts))
	}
	p.splitGzip()
	long := `,"mark":"` + strings.Repeat("m", 70000) + `"`
	cases := []struct {
		votes map[string]int
		frags map[string][]byte
	}{
		{votes: map[string]int{"p00": 1}},
		{votes: map[string]int{"p29": -1}},
		{votes: map[string]int{"p03": 1, "p04": -1, "p17": 1, "p28": -1}},
		{frags: map[string][]byte{"p00": []byte(`,"mark":"a"`), "p05": []byte(`,"mark":"b"`)}},
		{votes: map[string]int{"p05": -1}, frags: map[string][]byte{"p05": []byte(long), "p29": []byte(`,"mark":"z"`)}},
	}
	for n, tc := range cases {
		fills := readerFills(posts, tc.votes, tc.frags)
		plain := p.withFills(nil, fills)
		var page struct {
			Items []struct {
				ID     string `json:"id"`
				MyVote int    `json:"my_vote"`
				Mark   string `json:"mark"`
			}
		}
		if err := json.Unmarshal(plain, &page); err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		for _, it := range page.Items {
			want := ""
			if f := tc.frags[it.ID]; f != nil {
				want = strings.TrimSuffix(strings.TrimPrefix(string(f), `,"mark":"`), `"`)
			}
			if it.MyVote != tc.votes[it.ID] || it.Mark != want {
				t.Fatalf("case %d: post %s shows vote %d and a mark of %d bytes", n, it.ID, it.MyVote, len(it.Mark))
			}
		}
		zr, err := gzip.NewReader(bytes.NewReader(p.gzipWithFills(nil, fills)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("case %d: gunzip: %v", n, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("case %d: gunzip gives %d bytes that differ from the %d plain ones", n, len(got), len(plain))
		}
	}
	if readerFills(posts, map[string]int{}, nil) != nil {
		t.Error("a reader with neither votes nor marks gets fills")
	}
}
