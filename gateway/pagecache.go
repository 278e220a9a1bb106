package gateway

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
)

// Bounds of the page cache: it holds answers as of one projection sequence,
// and forgets them all when the read models move on.
const (
	pageCacheEntries  = 1024
	pageCacheBytes    = 32 << 20
	pageCacheKeyBytes = 512
)

// pageCache holds anonymous answers of the hot read routes (feed pages,
// posts, categories) encoded, and gzipped when large, for the projection
// sequence they were read at. Every commit moves the sequence and so drops
// them: what is served is never older than what a fresh read would give.
type pageCache struct {
	mu      sync.Mutex
	seq     uint64
	bytes   int
	entries map[string]*cachedPage
}

type cachedPage struct {
	body, gz []byte
}

func (c *pageCache) get(seq uint64, key string) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq {
		return nil
	}
	return c.entries[key]
}

func (c *pageCache) put(seq uint64, key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq || c.entries == nil {
		c.seq, c.bytes, c.entries = seq, 0, map[string]*cachedPage{}
	}
	size := len(key) + len(p.body) + len(p.gz)
	if len(key) > pageCacheKeyBytes || len(c.entries) >= pageCacheEntries || c.bytes+size > pageCacheBytes {
		return
	}
	c.entries[key] = p
	c.bytes += size
}

// readCached answers a read that depends only on the URL and, for a signed-in
// reader, on who reads. Anonymous readers get an ETag naming the projection
// sequence (304 while nothing changed) and bytes from the page cache; signed-in
// readers' answers hold their own votes and are encoded afresh.
func (s *Server) readCached(w http.ResponseWriter, r *http.Request, load func() (any, error)) {
	anonymous := viewer(r) == "" && s.proj != nil
	var seq uint64
	key := r.URL.Path + "?" + r.URL.RawQuery
	if anonymous {
		seq = s.proj.Seq()
		w.Header().Set("Cache-Control", "no-cache")
		if etag := seqETag(seq); etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if p := s.pages.get(seq, key); p != nil {
			writeCached(w, r, seq, p)
			return
		}
	}
	v, err := load()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !anonymous || s.proj.Seq() != seq {
		// Signed in, or the read models moved while this was read (it may be newer than seq): neither cached
		// nor labelled with a sequence.
		writeJSON(w, http.StatusOK, v)
		return
	}
	var buf bytes.Buffer
	if err := jsonEncoder(&buf).Encode(v); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := &cachedPage{body: buf.Bytes()}
	if len(p.body) >= compressMin {
		p.gz = gzipBytes(p.body)
	}
	s.pages.put(seq, key, p)
	writeCached(w, r, seq, p)
}

func seqETag(seq uint64) string { return `"s` + strconv.FormatUint(seq, 10) + `"` }

// writeCached answers with a cached page as of seq, gzipped if the client takes it.
func writeCached(w http.ResponseWriter, r *http.Request, seq uint64, p *cachedPage) {
	h := w.Header()
	h.Set("ETag", seqETag(seq))
	h.Set("Content-Type", "application/json; charset=utf-8")
	body := p.body
	if p.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = p.gz
		h.Set("Content-Encoding", "gzip") // the compress middleware leaves an encoded answer alone
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
