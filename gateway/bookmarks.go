package gateway

import (
	"net/http"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// bookmark answers PUT (on) and DELETE /api/posts/{id}/bookmark.
func (s *Server) bookmark(on bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		s.answer(w, r, s.cmd.SetBookmark(r.Context(), p.UserID, events.PostID(r.PathValue("id")), on))
	}
}

// myBookmarks answers GET /api/me/bookmarks: the caller's bookmarked posts
// as they see them, the newest bookmark first.
func (s *Server) myBookmarks(w http.ResponseWriter, r *http.Request, p principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.Bookmarks(r.Context(), projections.BookmarkFilter{User: p.UserID, Reveal: s.readsHidden(r), PageRequest: pr})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// watchInput is the body of PUT .../watch.
type watchInput struct {
	Level events.WatchLevel `json:"level"`
}

// watchPost answers PUT /api/posts/{id}/watch.
func (s *Server) watchPost(w http.ResponseWriter, r *http.Request, p principal) {
	var in watchInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.WatchPost(r.Context(), p.UserID, events.PostID(r.PathValue("id")), in.Level))
}

// watchCategory answers PUT /api/categories/{slug}/watch.
func (s *Server) watchCategory(w http.ResponseWriter, r *http.Request, p principal) {
	var in watchInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.WatchCategory(r.Context(), p.UserID, r.PathValue("slug"), in.Level))
}

// categoryWatch answers GET /api/categories/{slug}/watch: the caller's
// level on the category.
func (s *Server) categoryWatch(w http.ResponseWriter, r *http.Request, p principal) {
	slug := r.PathValue("slug")
	missing, err := s.db.MissingCategory(r.Context(), []string{slug})
	if err == nil && missing != "" {
		err = fault.Errorf(fault.ENOTFOUND, "category not found")
	}
	var level events.WatchLevel
	if err == nil {
		level, err = s.db.CategoryWatch(r.Context(), p.UserID, slug)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, watchInput{Level: level})
}
