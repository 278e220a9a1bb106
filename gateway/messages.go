package gateway

import (
	"net/http"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/projections"
)

func (s *Server) contacts(w http.ResponseWriter, r *http.Request, p principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.Contacts(r.Context(), p.UserID, projections.ListFilter{Q: r.URL.Query().Get("q"), PageRequest: pr})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range page.Items {
		page.Items[i].Online = s.hub.Online(events.UserID(page.Items[i].User.ID))
	}
	writeJSON(w, http.StatusOK, page)
}

// peer returns the {userId} of a chat route if it names another existing user.
func (s *Server) peer(r *http.Request, p principal) (string, error) {
	id := r.PathValue("userId")
	if !events.ValidID(id) {
		return "", fault.Errorf(fault.ENOTFOUND, "user not found")
	}
	if _, err := s.db.User(r.Context(), events.UserID(id)); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Server) listDMs(w http.ResponseWriter, r *http.Request, p principal) {
	peer, err := s.peer(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.DirectMessages(r.Context(), p.UserID, events.UserID(peer), pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

type messageInput struct {
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

func (s *Server) sendDM(w http.ResponseWriter, r *http.Request, p principal) {
	var in messageInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	seq, err := s.cmd.SendDM(r.Context(), commands.DMInput{From: p.UserID, To: events.UserID(r.PathValue("userId")), Body: in.Body, ClientID: in.ClientID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeMessage(w, r, seq)
}

// writeMessage answers 201 with the message stored at seq.
func (s *Server) writeMessage(w http.ResponseWriter, r *http.Request, seq uint64) {
	m, err := s.db.MessageBySeq(r.Context(), seq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, messageAnswer{Message: m})
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		UpTo string `json:"up_to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	peer, err := s.peer(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cmd.MarkRead(r.Context(), commands.ReadInput{User: p.UserID, Peer: events.UserID(peer), UpTo: events.MessageID(in.UpTo)}); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rooms(w http.ResponseWriter, r *http.Request, p principal) {
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var page projections.Page[projections.Room]
	switch mine := r.URL.Query().Get("mine"); mine {
	case "true":
		page, err = s.db.MyRooms(r.Context(), p.UserID, pr)
	case "", "false":
		page, err = s.db.Rooms(r.Context(), projections.ListFilter{Q: r.URL.Query().Get("q"), PageRequest: pr})
	default:
		err = fault.FieldError(fault.EINVALID, "mine", "mine must be true or false")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range page.Items {
		page.Items[i].Online = s.hub.RoomOnline(page.Items[i].Name)
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) roomName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	return name, commands.CheckRoom(name)
}

func (s *Server) listRoomMessages(w http.ResponseWriter, r *http.Request, p principal) {
	name, err := s.roomName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.RoomMessages(r.Context(), name, p.UserID, pr)
	if err == nil {
		page.Items, err = withoutBlocked(s, r, page.Items, func(m projections.Message) string { return m.From.ID })
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) sendRoomMessage(w http.ResponseWriter, r *http.Request, p principal) {
	var in messageInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	seq, err := s.cmd.SendRoomMessage(r.Context(), commands.RoomMessageInput{From: p.UserID, Room: r.PathValue("name"), Body: in.Body, ClientID: in.ClientID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeMessage(w, r, seq)
}

// roomMembership answers POST /api/rooms/{name}/join and /leave.
func (s *Server) roomMembership(join bool) func(http.ResponseWriter, *http.Request, principal) {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		name, err := s.roomName(r)
		if err == nil {
			if join {
				err = s.cmd.JoinRoom(r.Context(), p.UserID, name)
			} else {
				err = s.cmd.LeaveRoom(r.Context(), p.UserID, name)
			}
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) markRoomRead(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		UpTo string `json:"up_to"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := s.roomName(r)
	if err == nil {
		err = s.cmd.MarkRoomRead(r.Context(), p.UserID, name, events.MessageID(in.UpTo))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) roomMembers(w http.ResponseWriter, r *http.Request, p principal) {
	name, err := s.roomName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pr, err := pageRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.db.RoomMembers(r.Context(), name, pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range page.Items {
		page.Items[i].Online = s.hub.Online(events.UserID(page.Items[i].User.ID))
	}
	m, err := s.db.RoomMembership(r.Context(), name, p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		projections.Page[projections.Member]
		Member bool `json:"member"`
	}{page, m.Member})
}
