package gateway

import (
	"net/http"

	"forum/events"
	"forum/projections"
)

// search answers GET /api/search: posts and comments for anyone, or with
// in=messages the caller's own direct messages and rooms.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := projections.SearchFilter{Q: q.Get("q"), In: q.Get("in"), Viewer: viewer(r), PageRequest: pr}
	if f.Viewer == "" && f.In == "messages" {
		s.writeError(w, r, events.Errorf(events.EUNAUTHENTICATED, "sign in to search your messages"))
		return
	}
	page, err := s.db.Search(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
