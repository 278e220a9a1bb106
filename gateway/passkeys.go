package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"forum/commands"
	"forum/fault"
	"forum/projections"
)

// passkeyRoutes are the routes of passkeys: enrolling, listing, naming and
// removing one's own, and signing in with one.
func (s *Server) passkeyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/me/passkeys/begin", s.signedIn(s.beginPasskey))
	mux.HandleFunc("POST /api/me/passkeys/finish", s.signedIn(s.finishPasskey))
	mux.HandleFunc("GET /api/me/passkeys", s.signedIn(s.listPasskeys))
	mux.HandleFunc("PATCH /api/me/passkeys/{id}", s.signedIn(s.renamePasskey))
	mux.HandleFunc("DELETE /api/me/passkeys/{id}", s.signedIn(s.removePasskey))
	mux.HandleFunc("POST /api/signin/passkey/begin", s.beginPasskeySignIn)
	mux.HandleFunc("POST /api/signin/passkey/finish", s.finishPasskeySignIn)
}

// passkeyRP is the relying party of a request: the forum's own origin (its
// public URL's, else the scheme and Host the request came with), and its
// host name as the relying party's id.
func (s *Server) passkeyRP(r *http.Request) commands.PasskeyRP {
	origin := s.ownOrigin(r)
	rp := commands.PasskeyRP{Origin: origin, Name: "Forum"}
	if u, err := url.Parse(origin); err == nil {
		rp.ID = u.Hostname()
	}
	return rp
}

type (
	// passkeyAnswer holds one passkey.
	passkeyAnswer struct {
		Passkey projections.Passkey `json:"passkey"`
	}
	// passkeysAnswer holds a user's passkeys, all on one page.
	passkeysAnswer struct {
		Items []projections.Passkey `json:"items"`
	}
)

// beginPasskey answers POST /api/me/passkeys/begin: the options for
// navigator.credentials.create ({publicKey: {...}}, binary values in
// base64url).
func (s *Server) beginPasskey(w http.ResponseWriter, r *http.Request, p principal) {
	creation, err := s.cmd.BeginPasskeyEnrolment(r.Context(), p.UserID, s.passkeyRP(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, creation)
}

// credentialBody reads the body of a ceremony's finish: the credential as
// PublicKeyCredential.toJSON() writes it, with an optional name beside its
// fields, or {credential, name}.
func credentialBody(w http.ResponseWriter, r *http.Request) (credential []byte, name string, err error) {
	var raw json.RawMessage
	if err := decode(w, r, &raw); err != nil {
		return nil, "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, "", fault.FieldError(fault.EINVALID, "credential", "send the credential as a JSON object")
	}
	credential = raw
	if c, ok := fields["credential"]; ok && !bytes.Equal(c, []byte("null")) {
		credential = c
	}
	if n, ok := fields["name"]; ok && !bytes.Equal(n, []byte("null")) {
		if err := json.Unmarshal(n, &name); err != nil {
			return nil, "", fault.FieldError(fault.EINVALID, "name", "name is text")
		}
	}
	return credential, name, nil
}

// finishPasskey answers POST /api/me/passkeys/finish: 201 {passkey}.
func (s *Server) finishPasskey(w http.ResponseWriter, r *http.Request, p principal) {
	credential, name, err := credentialBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pk, err := s.cmd.FinishPasskeyEnrolment(r.Context(), p.UserID, s.passkeyRP(r), credential, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, passkeyAnswer{Passkey: pk})
}

// listPasskeys answers GET /api/me/passkeys: {items: [passkey]}, the oldest
// first.
func (s *Server) listPasskeys(w http.ResponseWriter, r *http.Request, p principal) {
	records, err := s.db.Passkeys(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items := make([]projections.Passkey, 0, len(records))
	for _, rec := range records {
		items = append(items, rec.Passkey)
	}
	writeJSON(w, http.StatusOK, passkeysAnswer{Items: items})
}

// renamePasskey answers PATCH /api/me/passkeys/{id} {name}: 200 {passkey}.
func (s *Server) renamePasskey(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pk, err := s.cmd.RenamePasskey(r.Context(), p.UserID, r.PathValue("id"), in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, passkeyAnswer{Passkey: pk})
}

// removePasskey answers DELETE /api/me/passkeys/{id}: 204.
func (s *Server) removePasskey(w http.ResponseWriter, r *http.Request, p principal) {
	s.answer(w, r, s.cmd.RemovePasskey(r.Context(), p.UserID, r.PathValue("id")))
}

// beginPasskeySignIn answers POST /api/signin/passkey/begin: the options for
// navigator.credentials.get ({publicKey: {...}}, no allowCredentials).
func (s *Server) beginPasskeySignIn(w http.ResponseWriter, r *http.Request) {
	assertion, err := s.cmd.BeginPasskeySignIn(r.Context(), s.passkeyRP(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, assertion)
}

// finishPasskeySignIn answers POST /api/signin/passkey/finish: 200 {user,
// token}, with the session cookie, as a sign-in with a password does.
func (s *Server) finishPasskeySignIn(w http.ResponseWriter, r *http.Request) {
	credential, _, err := credentialBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.cmd.FinishPasskeySignIn(r.Context(), s.passkeyRP(r), credential, r.UserAgent())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerSession(w, r, http.StatusOK, sess)
}
