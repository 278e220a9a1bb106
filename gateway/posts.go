package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

func (s *Server) categories(w http.ResponseWriter, r *http.Request) {
	s.readCached(w, r, func(string) (any, error) { return s.db.Categories(r.Context()) }, nil)
}

func (s *Server) listPosts(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("filter") {
		s.listReading(w, r)
		return
	}
	// The query is read only when the page is not cached: a cached page
	// was read from the same query, which was valid then.
	filter := func(viewer string) (projections.PostFilter, error) {
		q := r.URL.Query()
		limit, err := queryInt(r, "limit")
		if err != nil {
			return projections.PostFilter{}, err
		}
		sort, period, err := projections.ParseSort(q.Get("sort"), q.Get("period"))
		return projections.PostFilter{
			Category: q.Get("category"), Author: q.Get("author"), LikedBy: q.Get("liked_by"), DislikedBy: q.Get("disliked_by"),
			Viewer: viewer, Blocker: viewer, Muter: viewer, Sort: sort, Period: period, Now: s.now(), Limit: limit, Cursor: q.Get("cursor"),
		}, err
	}
	load := func(viewer string) (any, error) {
		f, err := filter(viewer)
		if err != nil {
			return nil, err
		}
		return s.db.Posts(r.Context(), f)
	}
	if f, err := filter(""); err != nil || f.TimeBound() {
		// Top within a period moves with the clock alone: read afresh.
		s.readFresh(w, r, load)
		return
	}
	s.readCached(w, r, load, func(v any) []projections.PostRef {
		var refs []projections.PostRef
		for _, p := range v.(projections.Page[projections.Post]).Items {
			refs = append(refs, p.Ref())
		}
		return refs
	})
}

// readFresh answers a read that no cache may keep, as the reader sees it.
func (s *Server) readFresh(w http.ResponseWriter, r *http.Request, load func(viewer string) (any, error)) {
	v, err := load(viewerOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header()["Cache-Control"] = headerNoCache
	writeJSON(w, http.StatusOK, v)
}

// writePost answers with one post as the reader sees it.
func (s *Server) writePost(w http.ResponseWriter, r *http.Request, status int, id string) {
	p, err := s.db.Post(r.Context(), events.PostID(id), events.UserID(viewerOf(r)))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, postAnswer{Post: p})
}

func (s *Server) getPost(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "post not found"))
		return
	}
	s.readCached(w, r, func(viewer string) (any, error) {
		if st, err := s.db.StandingOf(r.Context(), events.UserID(viewer)); viewer != "" && err == nil && projections.Moderator(st.Role) {
			// Not from the cache: a moderator's page, with hidden text.
			p, err := s.db.PostRevealed(r.Context(), events.PostID(id), events.UserID(viewer))
			return postAnswer{Post: p}, err
		}
		p, err := s.db.Post(r.Context(), events.PostID(id), events.UserID(viewer))
		return postAnswer{Post: p}, err
	}, func(v any) []projections.PostRef { return []projections.PostRef{v.(postAnswer).Post.Ref()} })
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request, p principal) {
	var in commands.PostInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	post, err := s.cmd.CreatePost(r.Context(), p.UserID, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, postAnswer{Post: post})
}

func (s *Server) editPost(w http.ResponseWriter, r *http.Request, p principal) {
	var patch commands.PostPatch
	if err := decode(w, r, &patch); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.cmd.EditPost(r.Context(), commands.PostEdit{User: p.UserID, ID: events.PostID(id), Patch: patch}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writePost(w, r, http.StatusOK, id)
}

func (s *Server) deletePost(w http.ResponseWriter, r *http.Request, p principal) {
	if err := s.cmd.DeletePost(r.Context(), p.UserID, events.PostID(r.PathValue("id"))); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readsHidden reports whether the reader is a moderator, who reads hidden
// items as they are.
func (s *Server) readsHidden(r *http.Request) bool {
	viewer := viewerOf(r)
	if viewer == "" {
		return false
	}
	st, err := s.db.StandingOf(r.Context(), events.UserID(viewer))
	return err == nil && projections.Moderator(st.Role)
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "post not found"))
		return
	}
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := projections.CommentFilter{PostID: id, Viewer: viewerOf(r), Reveal: s.readsHidden(r), From: r.URL.Query().Get("from"), PageRequest: pr}
	page, err := s.db.Comments(r.Context(), f)
	if err == nil {
		page.Items, err = withoutBlocked(s, r, page.Items, func(c projections.Comment) string { return c.Author.ID })
	}
	if err == nil {
		err = s.blindComments(r, page.Items)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// writeComment answers with one comment as the reader sees it.
func (s *Server) writeComment(w http.ResponseWriter, r *http.Request, status int, id string) {
	c, err := s.db.Comment(r.Context(), events.CommentID(id), events.UserID(viewerOf(r)))
	if err == nil {
		c, err = s.blindComment(r, c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, commentAnswer{Comment: c})
}

// getComment answers one comment; a comment under a hidden post is hidden
// with its thread, from all but moderators (404, as its post's comments).
func (s *Server) getComment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "comment not found"))
		return
	}
	c, err := s.db.Comment(r.Context(), events.CommentID(id), events.UserID(viewerOf(r)))
	if err == nil && !s.readsHidden(r) {
		var p projections.Post
		if p, err = s.db.Post(r.Context(), events.PostID(c.PostID), ""); err == nil && p.Hidden {
			err = fault.Errorf(fault.ENOTFOUND, "comment not found")
		}
	}
	if err == nil {
		c, err = s.blindComment(r, c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, commentAnswer{Comment: c})
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Body    string           `json:"body"`
		ReplyTo events.CommentID `json:"reply_to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.cmd.CreateComment(r.Context(), commands.CommentInput{Author: p.UserID, PostID: events.PostID(r.PathValue("id")), Body: in.Body, ReplyTo: in.ReplyTo})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeComment(w, r, http.StatusCreated, string(id))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.cmd.EditComment(r.Context(), commands.CommentEdit{User: p.UserID, ID: events.CommentID(id), Body: in.Body}); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeComment(w, r, http.StatusOK, id)
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request, p principal) {
	if err := s.cmd.DeleteComment(r.Context(), p.UserID, events.CommentID(r.PathValue("id"))); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// vote returns the handler that sets the reader's vote on a post or comment
// (kind events.KindPost or events.KindComment).
func (s *Server) vote(kind events.Kind) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		var in struct {
			Value *int `json:"value"`
		}
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if in.Value == nil {
			s.writeError(w, r, fault.FieldError(fault.EINVALID, "value", "value must be 1, -1 or 0"))
			return
		}
		target := events.Target{Kind: kind, ID: r.PathValue("id")}
		if err := s.cmd.Vote(r.Context(), commands.VoteInput{Voter: p.UserID, Target: target, Value: *in.Value}); err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := s.db.Votes(r.Context(), target, p.UserID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// preview answers a body's rendering, as it would show once posted.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, _ principal) {
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	html, err := commands.PreviewWith(in.Body, s.db.MediaLookup(r.Context()))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"body_html": html})
}

// revisions answers a page of the versions of a post, oldest first, as the
// read models keep them rendered, and as the post itself answers this
// reader: a hidden post's only to moderators.
func (s *Server) revisions(w http.ResponseWriter, r *http.Request) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.cmd.Revisions(r.Context(), events.PostID(r.PathValue("id")), s.readsHidden(r), pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
