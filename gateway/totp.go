package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

// totpRoutes are the routes of two factors: enrolling an authenticator,
// turning it off, and the second step of a sign-in.
func (s *Server) totpRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/me/totp", s.signedIn(s.startTOTP))
	mux.HandleFunc("POST /api/me/totp/confirm", s.signedIn(s.confirmTOTP))
	mux.HandleFunc("DELETE /api/me/totp", s.signedIn(s.disableTOTP))
	mux.HandleFunc("POST /api/signin/second-factor", s.secondFactor)
}

func (s *Server) startTOTP(w http.ResponseWriter, r *http.Request, p principal) {
	if err := decodeOptional(w, r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	enrol, err := s.cmd.StartTOTP(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, enrol)
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes, err := s.cmd.ConfirmTOTP(r.Context(), p.UserID, in.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}{codes})
}

// disableTOTP turns two factors off with the password, whose wrong guesses
// are throttled like sign-ins' (a stolen session must not try passwords
// freely to take the second factor away).
func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := commands.CheckCredentialLengths("", in.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	login, addr := ownLogin(p.UserID), addrKey(s.clientIP(r))
	if blocked, retry := s.signIns.blocked(login, addr, s.now()); blocked {
		rateLimited(w, retry)
		return
	}
	if err := s.cmd.DisableTOTP(r.Context(), p.UserID, in.Password); err != nil {
		if fault.Code(err) == fault.EUNAUTHENTICATED {
			s.signIns.failed(login, addr, s.now())
		}
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// twoFactorState is how GET /api/me tells a user's second factor: "on",
// "pending" (an enrolment not yet confirmed) or "off".
func twoFactorState(t projections.TOTP) string {
	switch {
	case t.On():
		return "on"
	case t.PendingSecret != "":
		return "pending"
	}
	return "off"
}

// ownLogin is the login a signed-in user's password checks are counted
// under: one no sign-in can type.
func ownLogin(user events.UserID) string { return "\x00user:" + string(user) }

// secondFactor is the second step of a sign-in that answered
// second_factor: the ticket and a code (or a recovery code) → the session,
// as /api/signin gives it. Wrong codes are throttled like wrong passwords,
// counted under the ticket's account and the client's address, and under
// the account alone too (secondFactorThrottle).
func (s *Server) secondFactor(w http.ResponseWriter, r *http.Request) {
	var in commands.SecondFactorInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	in.UserAgent = r.UserAgent()
	addr := addrKey(s.clientIP(r))
	user, err := s.cmd.TicketUser(r.Context(), in.Ticket)
	if err != nil {
		if fault.Code(err) == fault.EUNAUTHENTICATED {
			if blocked, retry := s.signIns.blocked("", addr, s.now()); blocked {
				rateLimited(w, retry)
				return
			}
			s.signIns.failed("", addr, s.now())
		}
		s.writeError(w, r, err)
		return
	}
	if blocked, retry := s.signIns.blockedSecondFactor(user, addr, s.now()); blocked {
		rateLimited(w, retry)
		return
	}
	sess, err := s.cmd.SecondFactor(r.Context(), in)
	if err != nil {
		if fault.Code(err) == fault.EUNAUTHENTICATED {
			s.signIns.failedSecondFactor(user, addr, s.now())
		}
		s.writeError(w, r, err)
		return
	}
	s.answerSession(w, r, http.StatusOK, sess)
}
