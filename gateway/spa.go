package gateway

import (
	"net/http"
	"strings"
	"sync"

	"forum/web"
)

// spaRoutes serves the single-page app: assets under /assets/, and
// index.html for every app route so links can be shared and reloaded.
func (s *Server) spaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /assets/{name...}", func(w http.ResponseWriter, r *http.Request) {
		a, immutable := s.app.Asset(r.PathValue("name"))
		if a == nil {
			http.NotFound(w, r)
			return
		}
		if immutable {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		serveAsset(w, r, a, http.StatusOK)
	})
	serveIndex := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			serveAsset(w, r, s.app.Index, status)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.serveFeedPage(w, r, "", "") })
	for _, sort := range []string{"latest", "new", "newest", "top"} {
		mux.HandleFunc("GET /"+sort, func(w http.ResponseWriter, r *http.Request) { s.serveFeedPage(w, r, "", sort) })
	}
	mux.HandleFunc("GET /c/{category}", func(w http.ResponseWriter, r *http.Request) { s.serveFeedPage(w, r, r.PathValue("category"), "") })
	mux.HandleFunc("GET /c/{category}/{sort}", func(w http.ResponseWriter, r *http.Request) {
		s.serveFeedPage(w, r, r.PathValue("category"), r.PathValue("sort"))
	})
	for _, route := range []string{"/posts/{id}", "/posts/{id}/edit", "/new-topic", "/signin", "/signup",
		"/users/{id}", "/chat", "/chat/{userId}", "/rooms", "/rooms/{name}", "/search", "/settings", "/mod", "/mod/log", "/bookmarks", "/unread", "/fresh"} {
		mux.HandleFunc("GET "+route, serveIndex(http.StatusOK))
	}
	mux.HandleFunc("/", serveIndex(http.StatusNotFound))
}

// serveAsset writes one prepared file: gzipped when the client takes gzip,
// 304 when it already holds this version.
func serveAsset(w http.ResponseWriter, r *http.Request, a *web.Asset, status int) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	body, etag := a.Body, a.ETag
	if a.Gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.Gzip, strings.TrimSuffix(a.ETag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if status == http.StatusOK && etagMatches(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return !(q == "q=0" || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") == "")
	}
	return false
}

// etagMatches reads If-None-Match: "*" or a list holding the tag, weak or strong.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// app is the SPA as served, built once per process from the embedded files.
var app = sync.OnceValue(func() *web.Bundle {
	b, err := web.Build()
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return b
})
