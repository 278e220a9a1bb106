package gateway

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// compressMin is the smallest JSON answer worth gzipping: below it the
// header and the CPU cost more than they save.
const compressMin = 1024

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// compress gzips JSON answers under /api/ of compressMin bytes or more for a
// client whose Accept-Encoding takes gzip. (The SPA's files are gzipped once
// at start-up instead; see serveAsset.)
func (s *Server) compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		if h := w.Header(); h["Vary"] == nil {
			h["Vary"] = headerVaryAE
		} else {
			h.Add("Vary", "Accept-Encoding")
		}
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipResponse{ResponseWriter: w}
		next.ServeHTTP(gw, r)
		gw.finish()
	})
}

// gzipResponse holds the start of an answer until it knows whether to gzip:
// a JSON body that reaches compressMin bytes is gzipped, anything else passes
// as it is.
type gzipResponse struct {
	http.ResponseWriter
	status  int
	buf     []byte
	decided bool
	zw      *gzip.Writer
}

// gzipBytes gzips a whole body with a pooled writer, at the level of every
// dynamic answer.
func gzipBytes(body []byte) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	zw.Write(body)
	zw.Close()
	zw.Reset(nil)
	gzipWriters.Put(zw)
	return buf.Bytes()
}

func (g *gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipResponse) WriteHeader(code int) {
	if g.status != 0 || g.decided {
		return
	}
	g.status = code
	// An answer encoded already, or of a known length, is decided now:
	// its body need not be held back.
	h := g.ResponseWriter.Header()
	if h.Get("Content-Encoding") != "" {
		g.decide(false)
	} else if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil {
		g.decide(n >= compressMin)
	}
}

func (g *gzipResponse) Write(p []byte) (int, error) {
	if g.decided {
		if g.zw != nil {
			return g.zw.Write(p)
		}
		return g.ResponseWriter.Write(p)
	}
	g.buf = append(g.buf, p...)
	if len(g.buf) >= compressMin {
		if err := g.decide(true); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// decide sends the header, gzipped if big is set and the answer is JSON that
// no one encoded yet, and then what was held back.
func (g *gzipResponse) decide(big bool) error {
	g.decided = true
	h := g.ResponseWriter.Header()
	if g.status == 0 {
		g.status = http.StatusOK
	}
	if big && h.Get("Content-Encoding") == "" && strings.HasPrefix(h.Get("Content-Type"), "application/json") &&
		g.status != http.StatusNoContent && g.status != http.StatusNotModified {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.zw = gzipWriters.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(g.status)
	buf := g.buf
	g.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if g.zw != nil {
		_, err = g.zw.Write(buf)
	} else {
		_, err = g.ResponseWriter.Write(buf)
	}
	return err
}

func (g *gzipResponse) finish() {
	if !g.decided {
		if g.status == 0 && len(g.buf) == 0 {
			return // nothing written: net/http sends its own 200
		}
		g.decide(false)
	}
	if g.zw != nil {
		g.zw.Close()
		g.zw.Reset(nil)
		gzipWriters.Put(g.zw)
		g.zw = nil
	}
}
