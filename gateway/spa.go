package gateway

import (
	"io/fs"
	"net/http"

	"forum/web"
)

// spaRoutes serves the single-page app: assets under /assets/, and
// index.html for every app route so links can be shared and reloaded.
func (s *Server) spaRoutes(mux *http.ServeMux) {
	assets, err := fs.Sub(web.Files, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	static := http.StripPrefix("/assets/", http.FileServerFS(assets))
	mux.Handle("GET /assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	}))
	index, err := web.Files.ReadFile("index.html")
	if err != nil {
		panic(err)
	}
	serveIndex := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(status)
			w.Write(index)
		}
	}
	for _, route := range []string{"/{$}", "/c/{category}", "/posts/{id}", "/posts/{id}/edit", "/new", "/signin", "/signup",
		"/users/{id}", "/chat", "/chat/{userId}", "/rooms", "/rooms/{name}"} {
		mux.HandleFunc("GET "+route, serveIndex(http.StatusOK))
	}
	mux.HandleFunc("/", serveIndex(http.StatusNotFound))
}
