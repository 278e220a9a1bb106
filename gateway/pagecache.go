package gateway

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
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
	if viewer(r) != "" || s.proj == nil {
		v, err := load()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
		return
	}
	h := w.Header()
	seq := s.proj.Seq()
	etag := `"s` + strconv.FormatUint(seq, 10) + `"`
	h.Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		h.Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	key := r.URL.Path + "?" + r.URL.RawQuery
	p := s.pages.get(seq, key)
	if p == nil {
		v, err := load()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			s.writeError(w, r, err)
			return
		}
		p = &cachedPage{body: buf.Bytes()}
		if len(p.body) >= compressMin {
			var gz bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
			zw.Write(p.body)
			zw.Close()
			p.gz = gz.Bytes()
		}
		if s.proj.Seq() != seq {
			// The read models moved while this was read: it may be newer than seq, so it is neither cached nor
			// labelled with it.
			etag = ""
		} else {
			s.pages.put(seq, key, p)
		}
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
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
