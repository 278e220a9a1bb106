package gateway

import (
	"net/http"
)

func (s *Server) notifications(w http.ResponseWriter, r *http.Request, p principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.Notifications(r.Context(), p.UserID, pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) markNotificationsRead(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		UpTo string `json:"up_to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.MarkNotificationsRead(r.Context(), p.UserID, in.UpTo); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
