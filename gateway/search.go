package gateway

import (
	"context"
	"net/http"
	"sync"
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
	page, err := s.runSearch(r.Context(), f, release)
	if err == nil {
		err = s.blindResults(r, page.Items)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// runSearch runs one search and gives its slots back however it ends.
func (s *Server) runSearch(ctx context.Context, f projections.SearchFilter, release func()) (projections.Page[projections.SearchResult], error) {
	defer release()
	return s.db.Search(ctx, f)
}

// Searches running at once on this instance are at most maxSearches; one
// more waits up to searchWait for a slot, then answers 503 with
// Retry-After: the read budget of an address allows many more searches a
// second than two cores can answer. One client address runs at most
// maxClientSearches of them at once, so it never holds every slot: one
// more from it answers 429 with Retry-After at once, as a rate limit does.
const (
	maxSearches       = 4
	maxClientSearches = 2
	searchWait        = 100 * time.Millisecond
)

// errSearchesBusy is what a search that found no slot in time gets.
var errSearchesBusy = &fault.Error{Code: fault.EUNAVAILABLE, RetryAfter: 1,
	Message: "too many searches are running; try again in a moment"}

// errClientSearches is what a search gets whose client address already
// runs maxClientSearches.
var errClientSearches = &fault.Error{Code: fault.ERATELIMITED, RetryAfter: 1,
	Message: "your other searches are still running; try again when they end"}

// searchClients counts the searches running per client address (its
// addrKey); an address is counted only while it has one running.
type searchClients struct {
	mu      sync.Mutex
	running map[string]int
}

// take counts one more search of key, unless key already runs max.
func (c *searchClients) take(key string, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key] >= max {
		return false
	}
	if c.running == nil {
		c.running = map[string]int{}
	}
	c.running[key]++
	return true
}

// give counts one search of key fewer.
func (c *searchClients) give(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key]--; c.running[key] <= 0 {
		delete(c.running, key)
	}
}

// searchSlot takes a search slot of the client's address (errClientSearches
// if it has none left) and one of the instance, waiting up to searchWait;
// release gives both back. errSearchesBusy if none frees up in time.
func (s *Server) searchSlot(r *http.Request) (release func(), err error) {
	key := addrKey(s.clientIP(r))
	if !s.clientSearches.take(key, maxClientSearches) {
		return nil, errClientSearches
	}
	releaseInstance, err := s.instanceSearchSlot(r)
	if err != nil {
		s.clientSearches.give(key)
		return nil, err
	}
	return func() { releaseInstance(); s.clientSearches.give(key) }, nil
}

// instanceSearchSlot takes one of the instance's search slots, waiting up
// to searchWait; errSearchesBusy if none frees up in time.
func (s *Server) instanceSearchSlot(r *http.Request) (release func(), err error) {
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
