package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	var in commands.RegisterInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.cmd.Register(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.cmd.StartSession(r.Context(), id, r.UserAgent())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerSession(w, r, http.StatusCreated, sess)
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Login == "" {
		s.writeError(w, r, fault.FieldError(fault.EINVALID, "login", "enter your nickname or email"))
		return
	}
	if in.Password == "" {
		s.writeError(w, r, fault.FieldError(fault.EINVALID, "password", "enter your password"))
		return
	}
	if err := commands.CheckCredentialLengths(in.Login, in.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	addr := addrKey(s.clientIP(r))
	if blocked, retry := s.signIns.blocked(in.Login, addr, s.now()); blocked {
		rateLimited(w, retry)
		return
	}
	sess, err := s.cmd.SignIn(r.Context(), commands.SignInInput{Login: in.Login, Password: in.Password, UserAgent: r.UserAgent()})
	if err != nil {
		if fault.Code(err) == fault.EUNAUTHENTICATED {
			s.signIns.failed(in.Login, addr, s.now())
		}
		s.writeError(w, r, err)
		return
	}
	s.answerSession(w, r, http.StatusOK, sess)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, p principal) {
	if p.SessionID != "" {
		if err := s.cmd.SignOut(r.Context(), commands.Session{ID: p.SessionID, UserID: p.UserID}); err != nil && !isStored(err) {
			s.writeError(w, r, err)
			return
		}
		s.hub.EndSession(p.SessionID)
	}
	s.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) {
	u, err := s.db.Account(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	unread, err := s.db.UnreadCounts(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tf, err := s.db.TOTP(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	prefs, err := s.db.Preferences(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meAnswer{Preferences: prefs, TwoFactor: twoFactorState(tf), Unread: unread, User: u})
}

// profileView is the answer of GET /api/users/{id}. Online comes last: a
// cached answer takes it by its last bytes.
type profileView struct {
	User         any  `json:"user"`
	PostCount    int  `json:"post_count"`
	CommentCount int  `json:"comment_count"`
	Online       bool `json:"online"`
}

// offlineTail is how a cached profile ends; online ones end in true.
var offlineTail = []byte(`"online":false}`)

// getUser answers a profile. Another user's profile comes from the page
// cache (it changes only with a commit, but for online, which is written
// into the cached bytes); one's own holds the account, read afresh.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidID(id) {
		s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "user not found"))
		return
	}
	load := func() (profileView, error) {
		prof, err := s.db.Profile(r.Context(), events.UserID(id))
		v := profileView{User: prof.User, PostCount: prof.Posts, CommentCount: prof.Comments}
		if err == nil && viewerOf(r) == id {
			v.User, err = s.db.Account(r.Context(), events.UserID(id))
		}
		return v, err
	}
	online := s.hub.Online(events.UserID(id))
	if viewerOf(r) == id {
		v, err := load()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		v.Online = online
		writeJSON(w, http.StatusOK, v)
		return
	}
	seq := s.proj.Seq()
	etag := `"s` + strconv.FormatUint(seq, 10) + map[bool]string{false: "-off", true: "-on"}[online] + `"`
	if s.notModified(w, r, etag) {
		return
	}
	p, kept, err := s.page(seq, r.URL.Path, func() (any, error) { return load() }, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !kept {
		etag = ""
	}
	body := p.body
	if at := bytes.LastIndex(body, offlineTail); online && at >= 0 {
		body = append(append(append([]byte(nil), body[:at]...), `"online":true}`...), body[at+len(offlineTail):]...)
	}
	writeCached(w, r, etag, body, nil)
}

// sessionView is one of the caller's sessions as GET /api/sessions shows it.
type sessionView struct {
	projections.Session
	Current bool `json:"current"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, p principal) {
	sessions, err := s.db.Sessions(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := []sessionView{}
	for _, sess := range sessions {
		if s.cmd.Live(sess, s.now()) {
			items = append(items, sessionView{Session: sess, Current: events.SessionID(sess.ID) == p.SessionID})
		}
	}
	writeJSON(w, http.StatusOK, sessionsAnswer{Items: items})
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, p principal) {
	id := events.SessionID(r.PathValue("id"))
	if err := s.cmd.EndSession(r.Context(), p.UserID, id); err != nil && !isStored(err) {
		s.writeError(w, r, err)
		return
	}
	s.hub.EndSession(id)
	if id == p.SessionID {
		s.clearSessionCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) endOtherSessions(w http.ResponseWriter, r *http.Request, p principal) {
	ended, err := s.cmd.EndOtherSessions(r.Context(), p.UserID, p.SessionID)
	s.answerSessionsEnded(w, r, ended, err)
}

// isStored reports whether err is a write that is stored but not yet shown:
// for a sign-out, that is done.
func isStored(err error) bool {
	var st *commands.Stored
	return errors.As(err, &st)
}

// answerSessionsEnded closes the sockets of the sessions a command ended
// (even when it failed after ending some) and answers 204, or its error.
func (s *Server) answerSessionsEnded(w http.ResponseWriter, r *http.Request, ended []events.SessionID, err error) {
	for _, id := range ended {
		s.hub.EndSession(id)
	}
	if err != nil && !isStored(err) {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
