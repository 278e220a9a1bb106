package gateway

import (
	"net/http"
	"time"

	"forum/fault"
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
	f := projections.SearchFilter{Q: q.Get("q"), In: q.Get("in"), Viewer: viewerOf(r), PageRequest: pr}
	if f.Viewer == "" && f.In == "messages" {
		s.writeError(w, r, fault.Errorf(fault.EUNAUTHENTICATED, "sign in to search your messages"))
		return
	}
	release, err := s.searchSlot(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.Search(r.Context(), f)
	release()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// Searches running at once on this instance are at most maxSearches; one
// more waits up to searchWait for a slot, then answers 503 with
// Retry-After: the read budget of an address allows many more searches a
// second than two cores can answer.
const (
	maxSearches = 4
	searchWait  = 100 * time.Millisecond
)

// errSearchesBusy is what a search that found no slot in time gets.
var errSearchesBusy = &fault.Error{Code: fault.EUNAVAILABLE, RetryAfter: 1,
	Message: "too many searches are running; try again in a moment"}

// searchSlot takes a search slot, waiting up to searchWait; release gives
// it back. errSearchesBusy if none frees up in time.
func (s *Server) searchSlot(r *http.Request) (release func(), err error) {
	select {
	case s.searches <- struct{}{}:
		return func() { <-s.searches }, nil
	default:
	}
	timer := time.NewTimer(searchWait)
	defer timer.Stop()
	select {
	case s.searches <- struct{}{}:
		return func() { <-s.searches }, nil
	case <-timer.C:
		return nil, errSearchesBusy
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}
