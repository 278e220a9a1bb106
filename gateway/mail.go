package gateway

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"forum/commands"
	"forum/fault"
	"forum/internal/limit"
)

// mailLimits bound the mail that requests cause, whatever --rate-limits
// says: each mail goes to someone who did not ask for it if the address
// is not the sender's.
type mailLimits struct {
	forgotAddr  *limit.Keyed // forgotten passwords per client address
	forgotEmail *limit.Keyed // per address asked about, as typed (ignoring case)
	change      *limit.Keyed // new addresses per account
}

func newMailLimits() *mailLimits {
	return &mailLimits{
		forgotAddr:  limit.New(rate.Every(6*time.Minute), 10),
		forgotEmail: limit.New(rate.Every(20*time.Minute), 3),
		change:      limit.New(rate.Every(12*time.Minute), 5),
	}
}

func (s *Server) mailRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/email/verify", s.verifyEmail)
	mux.HandleFunc("POST /api/password/forgot", s.forgotPassword)
	mux.HandleFunc("POST /api/password/reset", s.resetPassword)
	mux.HandleFunc("PUT /api/me/email", s.signedIn(s.changeEmail))
}

// verifyEmail follows a verification link: the token is the proof, so no
// session is needed (the link may be opened in another browser).
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.cmd.VerifyEmail(r.Context(), in.Token); err != nil && !isStored(err) {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// forgotPassword answers 204 whether or not the address names an account,
// and in the same time (commands.ForgotFloor).
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	if ok, retry := s.mail.forgotAddr.Allow(addrKey(s.clientIP(r)), now); !ok {
		rateLimited(w, retry)
		return
	}
	if ok, retry := s.mail.forgotEmail.Allow(strings.ToLower(in.Email), now); !ok {
		rateLimited(w, retry)
		return
	}
	if err := s.cmd.ForgotPassword(r.Context(), in.Email); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetPassword sets a new password through a reset link; every session
// of the account ends, on every instance (the hub closes their sockets
// as each applies the event).
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in commands.ResetInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.ResetPassword(r.Context(), in); err != nil && !isStored(err) {
		s.writeError(w, r, err)
		return
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// changeEmailAnswer is the answer of PUT /api/me/email: the address that
// was sent a link, pending until it is followed.
type changeEmailAnswer struct {
	Email  string `json:"email"`
	Status string `json:"status"`
}

func (s *Server) changeEmail(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	addr, login := addrKey(s.clientIP(r)), string(p.UserID)
	if blocked, retry := s.signIns.blocked(login, addr, s.now()); blocked {
		rateLimited(w, retry)
		return
	}
	if ok, retry := s.mail.change.Allow(login, s.now()); !ok {
		rateLimited(w, retry)
		return
	}
	err := s.cmd.ChangeEmail(r.Context(), commands.ChangeEmailInput{User: p.UserID, Email: in.Email, Password: in.Password})
	if fe := fieldOf(err); fe == "password" {
		s.signIns.failed(login, addr, s.now())
	}
	if err != nil && !isStored(err) {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, changeEmailAnswer{Email: in.Email, Status: "pending"})
}

// fieldOf returns the field an application error names ("" for none).
func fieldOf(err error) string {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
