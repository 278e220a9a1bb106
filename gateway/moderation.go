package gateway

import (
	"encoding/json"
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Moderation and privacy: roles, flags, the moderators' queue and log,
// hiding, suspensions, purges, blocks, export and erasure.

// reasonBody is the body most moderation writes take.
type reasonBody struct {
	Reason string `json:"reason"`
}

// decodeOptional decodes a JSON body if there is one.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		return nil
	}
	return decode(w, r, v)
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Role events.Role `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.SetRole(r.Context(), p.UserID, events.UserID(r.PathValue("id")), in.Role))
}

// answer writes 204 for a write that succeeded, the error otherwise.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// flag answers POST /api/{posts|comments|messages}/{id}/flag.
func (s *Server) flag(kind events.Kind) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		var in reasonBody
		if err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		id, err := s.cmd.Flag(r.Context(), p.UserID, events.Target{Kind: kind, ID: r.PathValue("id")}, in.Reason)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		f, err := s.db.FlagByID(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, flagAnswer{Flag: f})
	}
}

// postModRoutes registers what moderators do to a post besides hiding it:
// pins and locks.
func (s *Server) postModRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/mod/posts/{id}/pin", s.moderator(s.pin))
	mux.HandleFunc("POST /api/mod/posts/{id}/unpin", s.moderator(s.unpin))
	mux.HandleFunc("POST /api/mod/posts/{id}/lock", s.moderator(s.lock(true)))
	mux.HandleFunc("POST /api/mod/posts/{id}/unlock", s.moderator(s.lock(false)))
}

// pin answers POST /api/mod/posts/{id}/pin {scope}.
func (s *Server) pin(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Scope events.PinScope `json:"scope"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.PinPost(r.Context(), p.UserID, events.PostID(r.PathValue("id")), in.Scope))
}

// unpin answers POST /api/mod/posts/{id}/unpin.
func (s *Server) unpin(w http.ResponseWriter, r *http.Request, p principal) {
	s.answer(w, r, s.cmd.UnpinPost(r.Context(), p.UserID, events.PostID(r.PathValue("id"))))
}

// lock answers POST /api/mod/posts/{id}/lock and /unlock.
func (s *Server) lock(locked bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		s.answer(w, r, s.cmd.LockPost(r.Context(), p.UserID, events.PostID(r.PathValue("id")), locked))
	}
}

// moderator wraps a handler for moderators only.
func (s *Server) moderator(h func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, p principal) {
		st, err := s.db.StandingOf(r.Context(), p.UserID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !projections.Moderator(st.Role) {
			s.writeError(w, r, fault.Errorf(fault.EFORBIDDEN, "only moderators may do that"))
			return
		}
		h(w, r, p)
	})
}

// queuedFlag is a flag in the moderators' queue: the item as it was when
// flagged (from the log) and as it is now.
type queuedFlag struct {
	projections.Flag
	Then *commands.Version `json:"then"`
	Now  any               `json:"now"`
}

func (s *Server) modFlags(w http.ResponseWriter, r *http.Request, _ principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "open", "hidden", "dismissed":
	default:
		s.writeError(w, r, fault.FieldError(fault.EINVALID, "status", `status must be "open", "hidden" or "dismissed"`))
		return
	}
	page, err := s.db.Flags(r.Context(), status, pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := make([]queuedFlag, 0, len(page.Items))
	for _, f := range page.Items {
		q := queuedFlag{Flag: f}
		if then, err := s.cmd.FlaggedAs(r.Context(), f); err == nil {
			q.Then = &then
		}
		switch f.Target.Kind {
		case events.KindPost:
			if v, err := s.db.PostRevealed(r.Context(), events.PostID(f.Target.ID), ""); err == nil {
				q.Now = v
			}
		case events.KindComment:
			if v, err := s.db.CommentRevealed(r.Context(), events.CommentID(f.Target.ID)); err == nil {
				q.Now = v
			}
		case events.KindMessage:
			if v, err := s.db.MessageRevealed(r.Context(), events.MessageID(f.Target.ID)); err == nil {
				q.Now = v
			}
		}
		items = append(items, q)
	}
	writeJSON(w, http.StatusOK, projections.Page[queuedFlag]{Items: items, Next: page.Next, Seq: page.Seq})
}

func (s *Server) resolveFlag(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Action events.FlagAction `json:"action"`
		Reason string            `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.ResolveFlag(r.Context(), p.UserID, events.FlagID(r.PathValue("id")), in.Action, in.Reason))
}

// kinds maps the plural of the routes to the kind of a target.
var kinds = map[string]events.Kind{"posts": events.KindPost, "comments": events.KindComment, "messages": events.KindMessage}

func (s *Server) setHidden(hide bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		kind, ok := kinds[r.PathValue("kind")]
		if !ok {
			s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
		var in reasonBody
		if err := decodeOptional(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.answer(w, r, s.cmd.SetHidden(r.Context(), p.UserID, events.Target{Kind: kind, ID: r.PathValue("id")}, hide, in.Reason))
	}
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Until  string `json:"until"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	until, err := commands.ParseTime("until", in.Until)
	if err == nil {
		err = s.cmd.Suspend(r.Context(), p.UserID, events.UserID(r.PathValue("id")), until, in.Reason)
	}
	s.answer(w, r, err)
}

func (s *Server) unsuspend(w http.ResponseWriter, r *http.Request, p principal) {
	var in reasonBody
	if err := decodeOptional(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answer(w, r, s.cmd.Unsuspend(r.Context(), p.UserID, events.UserID(r.PathValue("id")), in.Reason))
}

func (s *Server) purge(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Since  string `json:"since"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	since, err := commands.ParseTime("since", in.Since)
	if err == nil {
		err = s.cmd.Purge(r.Context(), p.UserID, events.UserID(r.PathValue("id")), since, in.Reason)
	}
	s.answer(w, r, err)
}

func (s *Server) modLog(w http.ResponseWriter, r *http.Request, _ principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.ModLog(r.Context(), pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) block(blocked bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		s.answer(w, r, s.cmd.Block(r.Context(), p.UserID, events.UserID(r.PathValue("id")), blocked))
	}
}

func (s *Server) myBlocks(w http.ResponseWriter, r *http.Request, p principal) {
	ids, err := s.db.BlockedIDs(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := []projections.User{}
	for _, id := range ids {
		if u, err := s.db.User(r.Context(), events.UserID(id)); err == nil {
			items = append(items, u)
		}
	}
	writeJSON(w, http.StatusOK, usersAnswer{Items: items})
}

// export streams every event the caller made, oldest first, as one JSON
// array of envelopes (with each event's seq and subject).
func (s *Server) export(w http.ResponseWriter, r *http.Request, p principal) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="forum-export.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	w.Write([]byte("[\n"))
	first := true
	err := s.cmd.Export(r.Context(), p.UserID, func(e commands.Exported) error {
		if !first {
			if _, err := w.Write([]byte(",")); err != nil {
				return err
			}
		}
		first = false
		return enc.Encode(e)
	})
	if err != nil {
		s.log.Warn("export cut short", "user", p.UserID, "err", err)
		return // the answer ends without its closing bracket: not valid JSON, so not mistaken for whole
	}
	w.Write([]byte("]\n"))
}

func (s *Server) erase(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.Erase(r.Context(), p.UserID, in.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// withoutBlocked leaves out of items those by the users the reader blocks.
func withoutBlocked[T any](s *Server, r *http.Request, items []T, author func(T) string) ([]T, error) {
	blocked, err := s.blockedBy(r)
	if err != nil || len(blocked) == 0 {
		return items, err
	}
	out := items[:0]
	for _, it := range items {
		if !blocked[author(it)] {
			out = append(out, it)
		}
	}
	return out, nil
}

// blockedBy returns the set of users the reader blocks (none for an
// anonymous reader).
func (s *Server) blockedBy(r *http.Request) (map[string]bool, error) {
	viewer := viewerOf(r)
	if viewer == "" {
		return nil, nil
	}
	st, err := s.db.StandingOf(r.Context(), events.UserID(viewer))
	if err != nil || !st.Blocks {
		return nil, err
	}
	ids, err := s.db.BlockedIDs(r.Context(), events.UserID(viewer))
	if err != nil {
		return nil, err
	}
	blocked := make(map[string]bool, len(ids))
	for _, id := range ids {
		blocked[id] = true
	}
	return blocked, nil
}

// blindComments leaves out of comments' reply_to the authors the reader
// blocks, whose comments they are not shown (reply_to.author null).
func (s *Server) blindComments(r *http.Request, comments []projections.Comment) error {
	blocked, err := s.blockedBy(r)
	if err != nil || len(blocked) == 0 {
		return err
	}
	for i := range comments {
		comments[i] = comments[i].Blind(func(id string) bool { return blocked[id] })
	}
	return nil
}

// blindResults is blindComments for the comments search results show.
func (s *Server) blindResults(r *http.Request, results []projections.SearchResult) error {
	blocked, err := s.blockedBy(r)
	if err != nil || len(blocked) == 0 {
		return err
	}
	for _, res := range results {
		if res.Comment != nil {
			*res.Comment = res.Comment.Blind(func(id string) bool { return blocked[id] })
		}
	}
	return nil
}

// blindComment is blindComments for one comment.
func (s *Server) blindComment(r *http.Request, c projections.Comment) (projections.Comment, error) {
	cs := []projections.Comment{c}
	err := s.blindComments(r, cs)
	return cs[0], err
}
