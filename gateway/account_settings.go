package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
)

// accountSettingsRoutes are the routes of what a user changes about their
// own account: password, profile and preferences.
func (s *Server) accountSettingsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PATCH /api/me", s.signedIn(s.updateProfile))
	mux.HandleFunc("PUT /api/me/password", s.signedIn(s.changePassword))
	mux.HandleFunc("PUT /api/me/preferences", s.signedIn(s.setPreferences))
}

// changePassword checks the current password, throttled like a sign-in
// (per account and client address, and per address), sets the new one and
// ends the caller's other sessions on every instance at once.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p principal) {
	var in commands.ChangePasswordInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	login, addr := "account:"+string(p.UserID), addrKey(s.clientIP(r))
	if blocked, retry := s.signIns.blocked(login, addr, s.now()); blocked {
		rateLimited(w, retry)
		return
	}
	ended, err := s.cmd.ChangePassword(r.Context(), p.UserID, p.SessionID, in)
	if fault.Code(err) == fault.EUNAUTHENTICATED {
		s.signIns.failed(login, addr, s.now())
	}
	s.answerSessionsEnded(w, r, ended, err)
}

// updateProfile sets the profile fields given and answers the account.
func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, p principal) {
	var in commands.ProfileInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.UpdateProfile(r.Context(), p.UserID, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.db.Account(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userAnswer{User: u})
}

func (s *Server) setPreferences(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		EmailNotifications events.EmailNotifications `json:"email_notifications"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.SetPreferences(r.Context(), p.UserID, in.EmailNotifications); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
