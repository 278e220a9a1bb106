package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"forum/web"
)

// The feed's page comes with the answers its first view reads (who is
// signed in, the categories, the first page of posts) in a JSON data block,
// so that the app renders without another round trip: on a slow link, a
// repeat visit costs the one request for the page.

// islandSlug is a category slug as the feed's route may name one.
var islandSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// feedSorts maps the last segment of a feed's path to the sort it asks for.
// "newest" is the old name of "new": the app shows it under its name now.
var feedSorts = map[string]string{"": "latest", "latest": "latest", "new": "new", "newest": "new", "top": "top"}

// islandReads returns the reads of the first view of the feed (of category,
// if set, in sort, top of period if set), spelt as the app asks for them.
func islandReads(category, sort, period string) []string {
	q := url.Values{}
	if category != "" {
		q.Set("category", category)
	}
	posts := "/api/posts?" + q.Encode()
	if category != "" {
		posts += "&"
	}
	posts += "sort=" + sort
	if period != "" {
		posts += "&period=" + url.QueryEscape(period)
	}
	return []string{"/api/me", "/api/categories", posts + "&limit=20"}
}

// islandAnswer is one read's answer as the app takes it.
type islandAnswer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// island answers reads as the API would for r's reader, through the whole
// handler (authentication, caches, limits), and returns them as a data
// block for the page. Answers other than 200 (and 401 from /api/me, which
// says "signed out") are left out: the app asks for those itself.
func (s *Server) island(r *http.Request, reads []string) []byte {
	answers := map[string]islandAnswer{}
	for _, read := range reads {
		u, err := url.Parse(read)
		if err != nil {
			continue
		}
		sub := r.Clone(r.Context())
		sub.URL, sub.RequestURI, sub.Method, sub.Body = u, read, http.MethodGet, http.NoBody
		sub.Header.Del("Accept-Encoding")
		sub.Header.Del("If-None-Match")
		sub.Header.Set("Accept", "application/json")
		rec := &memoryWriter{header: http.Header{}}
		s.handler.ServeHTTP(rec, sub)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if !rec.over && (rec.status == http.StatusOK || rec.status == http.StatusUnauthorized && read == "/api/me") && json.Valid(rec.body.Bytes()) {
			answers[read] = islandAnswer{Status: rec.status, Body: rec.body.Bytes()}
		}
	}
	data, err := json.Marshal(answers) // escapes <, > and &: nothing in it can close the script element
	if err != nil {
		return nil
	}
	return append(append([]byte(`<script type="application/json" id="preloaded">`), data...), "</script>"...)
}

// serveFeedPage answers the feed's route with the page and its island.
func (s *Server) serveFeedPage(w http.ResponseWriter, r *http.Request, category, segment string) {
	sort, known := feedSorts[segment]
	if !known {
		w.Header().Set("Cache-Control", "no-cache")
		serveAsset(w, r, s.app.Index, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet || category != "" && !islandSlug.MatchString(category) {
		w.Header().Set("Cache-Control", "no-cache")
		serveAsset(w, r, s.app.Index, http.StatusOK)
		return
	}
	period := ""
	if sort == "top" {
		period = r.URL.Query().Get("period")
	}
	body := bytes.Replace(s.app.Index.Body, []byte(web.IslandMark), s.island(r, islandReads(category, sort, period)), 1)
	h := w.Header()
	h.Set("Content-Type", s.app.Index.ContentType)
	h.Set("Vary", "Accept-Encoding, Cookie, Authorization")
	if _, signedIn := principalOf(r); signedIn || r.Header.Get("Cookie") != "" {
		h.Set("Cache-Control", "no-store") // it may hold the reader's account
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = gzipBytes(body)
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// maxIslandAnswer bounds one answer kept for the island.
const maxIslandAnswer = 1 << 20

// memoryWriter keeps an answer in memory, up to maxIslandAnswer bytes
// (past that, over is set and the answer is not used).
type memoryWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	over   bool
}

func (m *memoryWriter) Header() http.Header { return m.header }

func (m *memoryWriter) WriteHeader(code int) {
	if m.status == 0 {
		m.status = code
	}
}

func (m *memoryWriter) Write(b []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	if m.body.Len()+len(b) > maxIslandAnswer {
		m.over = true
		return len(b), nil
	}
	return m.body.Write(b)
}
