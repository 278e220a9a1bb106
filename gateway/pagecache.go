package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"forum/events"
	"forum/projections"
)

// Bounds of the page cache: it holds answers as of one shown sequence
// (projections.Projector.ShownSeq), and forgets them all when the read
// models show anything new.
const (
	pageCacheEntries  = 1024
	pageCacheBytes    = 32 << 20
	pageCacheKeyBytes = 512
	// viewCountLag is how long a kept answer is served while only readers'
	// reads came after it: its view counts lag behind by at most that.
	viewCountLag = 2 * time.Second
)

// pageCache holds anonymous answers of the hot read routes (feed pages,
// posts, categories) encoded, and gzipped when large, for the shown
// sequence they were read at. Every commit that shows something new drops
// them: what is served is never older than what a fresh read would give,
// but for posts' view counts, which readers' reads move many times a
// second: an answer read before some reads is served for viewCountLag.
type pageCache struct {
	mu      sync.Mutex
	shown   uint64
	bytes   int
	entries map[string]*cachedPage
}

type cachedPage struct {
	seq      uint64    // the projection sequence it was read at (or after)
	at       time.Time // when it was read
	body, gz []byte
	// posts are the posts the page shows, in order, and slots where each
	// one's "my_vote":0 sits in body (the 0): a signed-in reader's own
	// vote and marks (projections.Mine) are written there, without
	// encoding the page again. mergeable is false for a page whose slots
	// could not be placed.
	posts     []projections.PostRef
	slots     []int
	mergeable bool
	gzParts   [][]byte // see gzsplice.go; nil for a page too small to gzip
}

// myVoteKey is how a post's own-vote field starts in the encoded page. In
// JSON a quote inside a string is escaped, so `":` occurs only after a key:
// no user text can fake it.
var myVoteKey = []byte(`"my_vote":0`)

// placeSlots finds where the my_vote of each of p's posts sits.
func (p *cachedPage) placeSlots() {
	for at := 0; ; {
		i := bytes.Index(p.body[at:], myVoteKey)
		if i < 0 {
			break
		}
		p.slots = append(p.slots, at+i+len(myVoteKey)-1)
		at += i + len(myVoteKey)
	}
	p.mergeable = len(p.slots) == len(p.posts)
}

// readerFills returns, for each of posts in order, what its slot holds for
// one reader: their vote and the JSON fragment of their marks (nil where
// that is the page's own 0 and nothing); nil when every one is.
func readerFills(posts []string, votes map[string]int, frags map[string][]byte) [][]byte {
	var fills [][]byte
	for i, id := range posts {
		v, frag := votes[id], frags[id]
		if v == 0 && len(frag) == 0 {
			continue
		}
		if fills == nil {
			fills = make([][]byte, len(posts))
		}
		fills[i] = append(strconv.AppendInt(nil, int64(v), 10), frag...)
	}
	return fills
}

// withFills returns p's body with fills (readerFills) in its slots,
// appended to out (which may be nil).
func (p *cachedPage) withFills(out []byte, fills [][]byte) []byte {
	n := len(p.body)
	for _, f := range fills {
		n += len(f)
	}
	out = slices.Grow(out[:0], n)
	last := 0
	for i, at := range p.slots {
		if fills[i] == nil {
			continue
		}
		out = append(out, p.body[last:at]...)
		out = append(out, fills[i]...)
		last = at + 1
	}
	return append(out, p.body[last:]...)
}

// get returns the answer kept for key at shown sequence shown, if it was
// read at seq or less than viewCountLag ago.
func (c *pageCache) get(shown, seq uint64, key string, now time.Time) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shown != shown {
		return nil
	}
	p := c.entries[key]
	if p == nil || (p.seq != seq && now.Sub(p.at) >= viewCountLag) {
		return nil
	}
	return p
}

func (c *pageCache) put(shown uint64, key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shown != shown || c.entries == nil {
		c.shown, c.bytes, c.entries = shown, 0, map[string]*cachedPage{}
	}
	size := len(key) + len(p.body) + len(p.gz)
	for _, part := range p.gzParts {
		size += len(part)
	}
	if len(key) > pageCacheKeyBytes || len(c.entries) >= pageCacheEntries || c.bytes+size > pageCacheBytes {
		return
	}
	c.entries[key] = p
	c.bytes += size
}

// readCached answers a read that depends only on the URL and, for a
// signed-in reader, on their own votes on the posts it shows. load reads it
// as an anonymous reader sees it (my_vote 0); posts lists the ids of the
// posts in it, in order (nil for none). Answers carry an ETag naming the
// projection sequence (and the reader), so a repeat gets 304 while nothing
// changed, and are served from the page cache: encoded once per sequence,
// with a signed-in reader's votes written into the bytes.
func (s *Server) readCached(w http.ResponseWriter, r *http.Request, load func(viewer string) (any, error), posts func(any) []projections.PostRef) {
	viewer := viewerOf(r)
	if viewer != "" && s.readOwnPage(w, r, viewer, load) {
		return
	}
	seq := s.proj.Seq()
	etag := pageETag(seq, viewer)
	if s.notModified(w, r, etag) {
		return
	}
	p, kept, err := s.page(seq, r.URL.Path+"?"+r.URL.RawQuery, func() (any, error) { return load("") }, preparePage(posts))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !kept {
		etag = ""
	}
	if viewer == "" || len(p.posts) == 0 {
		writeCached(w, r, etag, p.body, p.gz)
		return
	}
	s.writeWithVotes(w, r, p, viewer, seq, etag)
}

// readOwnPage answers a reader whose pages are their own, not cached: a
// moderator sees hidden items, a user who blocks someone does not see their
// posts, nor one who mutes a post or a category those. It reports whether
// it answered.
func (s *Server) readOwnPage(w http.ResponseWriter, r *http.Request, viewer string, load func(viewer string) (any, error)) bool {
	st, err := s.db.StandingOf(r.Context(), events.UserID(viewer))
	if err != nil || !(projections.Moderator(st.Role) || st.Blocks || st.Mutes) {
		return false
	}
	v, err := load(viewer)
	if err != nil {
		s.writeError(w, r, err)
		return true
	}
	writeJSON(w, http.StatusOK, v)
	return true
}

// preparePage returns what a freshly encoded page gets before it is kept:
// the ids of its posts (posts may be nil), the places of their votes, and
// its gzipped bytes.
func preparePage(posts func(any) []projections.PostRef) func(p *cachedPage, v any) {
	return func(p *cachedPage, v any) {
		if posts != nil {
			p.posts = posts(v)
		}
		p.placeSlots()
		if len(p.body) >= compressMin {
			p.gz = gzipBytes(p.body)
			if p.mergeable && len(p.posts) > 0 {
				p.splitGzip()
			}
		}
	}
}

// writeWithVotes answers the cached page p, read at seq, with reader's own
// votes and marks on its posts written into it.
func (s *Server) writeWithVotes(w http.ResponseWriter, r *http.Request, p *cachedPage, viewer string, seq uint64, etag string) {
	if !p.mergeable {
		s.log.Error("page cache: cannot place the reader's votes", "path", r.URL.Path, "posts", len(p.posts), "found", len(p.slots))
		s.writeError(w, r, errors.New("page cache: votes not placed"))
		return
	}
	fills, err := s.readerFills(r, viewer, p.posts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.proj.Seq() != seq {
		etag = "" // the votes may be newer than the page
	}
	if fills == nil {
		writeCached(w, r, etag, p.body, p.gz)
		return
	}
	buf := fillBuffers.Get().(*[]byte)
	defer fillBuffers.Put(buf)
	if p.gzParts != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		*buf = p.gzipWithFills(*buf, fills)
		writeCached(w, r, etag, nil, *buf)
	} else {
		*buf = p.withFills(*buf, fills)
		writeCached(w, r, etag, *buf, nil)
	}
	if cap(*buf) > maxFillBuffer {
		*buf = nil
	}
}

// fillBuffers hold the bytes of pages written with a reader's fills, one
// request at a time each; one grown past maxFillBuffer is let go.
var fillBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxFillBuffer = 256 << 10

// readerFills reads viewer's votes and marks on posts and returns what the
// slots of a page of them hold (see readerFills).
func (s *Server) readerFills(r *http.Request, viewer string, posts []projections.PostRef) ([][]byte, error) {
	ids := make([]string, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	votes, err := s.db.MyPostVotes(r.Context(), events.UserID(viewer), ids)
	if err != nil {
		return nil, err
	}
	mines, err := s.db.Mines(r.Context(), events.UserID(viewer), posts)
	if err != nil {
		return nil, err
	}
	var frags map[string][]byte
	for id, m := range mines {
		frag, err := projections.MineFragment(m)
		if err != nil {
			return nil, err
		}
		if len(frag) > 0 {
			if frags == nil {
				frags = make(map[string][]byte, len(mines))
			}
			frags[id] = frag
		}
	}
	return readerFills(ids, votes, frags), nil
}

// notModified sets the Cache-Control of a cached read (private for a
// signed-in reader) and answers 304 when the client holds etag.
func (s *Server) notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	if viewerOf(r) == "" {
		w.Header()["Cache-Control"] = headerNoCache
	} else {
		w.Header()["Cache-Control"] = headerPrivate
	}
	if !etagMatches(r.Header.Get("If-None-Match"), etag) {
		return false
	}
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusNotModified)
	return true
}

// page returns the cached answer of key as of seq (see pageCache), or
// loads and encodes it, lets prepare add to it, and keeps it unless the
// read models showed something new meanwhile. kept is true when the
// answer is as of seq, to be labelled with it: false when the read models
// moved while it was read (it may be newer than seq), and for a kept answer
// read before seq, whose view counts lag behind (labelled with seq, a
// client would keep them past viewCountLag with 304s).
func (s *Server) page(seq uint64, key string, load func() (any, error), prepare func(*cachedPage, any)) (p *cachedPage, kept bool, err error) {
	shown, now := s.proj.ShownSeq(), time.Now()
	if p := s.pages.get(shown, seq, key, now); p != nil {
		return p, p.seq == seq, nil
	}
	v, err := load()
	if err != nil {
		return nil, false, err
	}
	var buf bytes.Buffer
	if err := jsonEncoder(&buf).Encode(v); err != nil {
		return nil, false, err
	}
	p = &cachedPage{seq: seq, at: now, body: buf.Bytes()}
	if prepare != nil {
		prepare(p, v)
	}
	if s.proj.ShownSeq() == shown {
		s.pages.put(shown, key, p)
	}
	return p, s.proj.Seq() == seq, nil
}

// pageETag names a cached answer: the projection sequence it was read at,
// and for a signed-in reader a short hash of who (their votes are in it).
func pageETag(seq uint64, viewer string) string {
	if viewer == "" {
		return seqETag(seq)
	}
	sum := sha256.Sum256([]byte(viewer))
	return `"s` + strconv.FormatUint(seq, 10) + "-" + hex.EncodeToString(sum[:6]) + `"`
}

func seqETag(seq uint64) string { return `"s` + strconv.FormatUint(seq, 10) + `"` }

// writeCached answers with a page: gz, its gzipped form if there is one,
// goes to a client that takes it; etag may be "" for none.
func writeCached(w http.ResponseWriter, r *http.Request, etag string, body, gz []byte) {
	h := w.Header()
	if etag != "" {
		h.Set("ETag", etag)
	}
	h["Content-Type"] = headerJSON
	if gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = gz
		h["Content-Encoding"] = headerGzip // the compress middleware leaves an encoded answer alone
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
