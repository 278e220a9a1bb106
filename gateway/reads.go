package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

// readPost records how far the reader has read a post: 204, whether the
// position was written, held back to be written when its interval ends,
// or there was nothing new to write.
func (s *Server) readPost(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		UpToComment *string `json:"up_to_comment"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	read := commands.ReadPostInput{User: p.UserID, PostID: events.PostID(r.PathValue("id"))}
	if in.UpToComment != nil {
		if *in.UpToComment == "" {
			s.writeError(w, r, fault.FieldError(fault.EINVALID, "up_to_comment", "up_to_comment must be the id of a comment of this post, or null"))
			return
		}
		read.UpTo = events.CommentID(*in.UpToComment)
	}
	if err := s.cmd.ReadPost(r.Context(), read); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readingNotWith are the feed's parameters a reader's list does not take:
// it is newest post first, of every author.
var readingNotWith = []string{"sort", "period", "author", "liked_by", "disliked_by"}

// listReading answers one of a signed-in reader's own lists of posts
// (?filter=unread or new), never from the page cache: 401 for a reader
// not signed in.
func (s *Server) listReading(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r)
	if viewer == "" {
		s.writeError(w, r, fault.Errorf(fault.EUNAUTHENTICATED, "sign in to see the posts you have not read"))
		return
	}
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	for _, name := range readingNotWith {
		if q.Has(name) {
			s.writeError(w, r, fault.FieldError(fault.EINVALID, name, name+" does not go with filter: a reader's list takes category, limit and cursor"))
			return
		}
	}
	page, err := s.db.ReadingPosts(r.Context(), projections.ReadingFilter{
		List: q.Get("filter"), Viewer: events.UserID(viewer), Category: q.Get("category"), PageRequest: pr,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header()["Cache-Control"] = headerPrivate
	writeJSON(w, http.StatusOK, page)
}
