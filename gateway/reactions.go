package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

// reactionRoutes registers the routes of reactions on posts, comments and
// messages.
func (s *Server) reactionRoutes(mux *http.ServeMux) {
	for plural, kind := range kinds {
		mux.HandleFunc("PUT /api/"+plural+"/{id}/reactions/{name}", s.signedIn(s.react(kind, true)))
		mux.HandleFunc("DELETE /api/"+plural+"/{id}/reactions/{name}", s.signedIn(s.react(kind, false)))
		mux.HandleFunc("GET /api/"+plural+"/{id}/reactions/{name}", s.reactors(kind))
	}
}

// react answers PUT (on true) and DELETE (on false)
// /api/{posts|comments|messages}/{id}/reactions/{name}: the target's
// reactions as the user now sees them.
func (s *Server) react(kind events.Kind, on bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		in := commands.ReactInput{
			User:   p.UserID,
			Target: events.Target{Kind: kind, ID: r.PathValue("id")},
			Name:   events.ReactionName(r.PathValue("name")),
			On:     on,
		}
		v, err := s.cmd.React(r.Context(), in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// reactors answers GET /api/{posts|comments|messages}/{id}/reactions/{name}:
// a page of the users who reacted so, first to react first, as the reader
// may see them (not the users they block; a message only to who may read
// it, a hidden item only to moderators).
func (s *Server) reactors(kind events.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		target := events.Target{Kind: kind, ID: r.PathValue("id")}
		name := events.ReactionName(r.PathValue("name"))
		pr, err := pageRequest(r)
		if err == nil && !name.Valid() {
			err = fault.FieldError(fault.EINVALID, "name", "name must be one of the reactions")
		}
		if err == nil {
			err = s.mayListReactions(r, target)
		}
		var page projections.Page[projections.User]
		if err == nil {
			page, err = s.db.Reactors(r.Context(), projections.ReactorFilter{Target: target, Name: name, Blocker: events.UserID(viewerOf(r)), PageRequest: pr})
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, page)
	}
}

// mayListReactions returns ENOTFOUND unless the reader may see target: a
// post, comment or message that is not hidden (a post or comment with its
// thread) but to moderators; a direct message only to its two sides, a
// room's message to anyone signed in, as the room's history.
func (s *Server) mayListReactions(r *http.Request, target events.Target) error {
	notFound := fault.Errorf(fault.ENOTFOUND, "%s not found", target.Kind)
	if !events.ValidID(target.ID) {
		return notFound
	}
	ctx := r.Context()
	postID := target.ID
	switch target.Kind {
	case events.KindMessage:
		viewer := viewerOf(r)
		if viewer == "" {
			return fault.Errorf(fault.EUNAUTHENTICATED, "sign in first")
		}
		return s.cmd.MayReadMessage(ctx, events.MessageID(target.ID), events.UserID(viewer), s.readsHidden(r))
	case events.KindComment:
		c, err := s.db.Comment(ctx, events.CommentID(target.ID), "")
		if err != nil {
			return err
		}
		if c.Hidden && !s.readsHidden(r) {
			return notFound
		}
		postID = c.PostID
	}
	p, err := s.db.Post(ctx, events.PostID(postID), "")
	if err != nil {
		return err
	}
	if p.Hidden && !s.readsHidden(r) {
		return notFound
	}
	return nil
}
