package commands

import (
	"context"
	"regexp"

	"forum/events"
)

// MaxMessageLen is the longest chat message body, in characters.
const MaxMessageLen = 4000

var roomRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// ValidRoom reports whether name is a valid room name.
func ValidRoom(name string) bool { return roomRE.MatchString(name) }

// checkClientID bounds the optional client-chosen id of a message.
func checkClientID(id string) error {
	if len(id) > 64 {
		return events.FieldError(events.EINVALID, "client_id", "client_id must be at most 64 characters")
	}
	return nil
}

// dedupID is the message id for deduplication: a retried send with the same
// client_id to the same conversation (a user id, or "room:" and a room name)
// is stored once; the same client_id elsewhere is another message.
func (s *Service) dedupID(from, to, clientID string) []events.AppendOption {
	if clientID == "" {
		return nil
	}
	return []events.AppendOption{events.WithMsgID("msg:" + from + ":" + to + ":" + clientID)}
}

// SendDM sends a direct message from one user to another and returns the
// stream sequence of the message (the original's, for a retried client_id).
// The sender is always the authenticated user.
func (s *Service) SendDM(ctx context.Context, from, to, body, clientID string) (uint64, error) {
	if err := checkID("user", to); err != nil {
		return 0, err
	}
	if to == from {
		return 0, events.FieldError(events.EINVALID, "to", "you cannot message yourself")
	}
	if err := checkText("body", body, 1, MaxMessageLen); err != nil {
		return 0, err
	}
	if err := checkClientID(clientID); err != nil {
		return 0, err
	}
	if _, err := s.DB.User(ctx, to); err != nil {
		return 0, err
	}
	env, err := s.event(events.DMSent, from, events.DMSentData{MessageID: s.NewID(), From: from, To: to, Body: body, ClientID: clientID})
	if err != nil {
		return 0, err
	}
	return s.append(ctx, events.DMSubject(from, to, "sent"), env, s.dedupID(from, to, clientID)...)
}

// MarkRead records that user has read the conversation with peer up to and
// including message upTo.
func (s *Service) MarkRead(ctx context.Context, user, peer, upTo string) error {
	if err := checkID("user", peer); err != nil {
		return err
	}
	if !events.ValidID(upTo) {
		return events.FieldError(events.EINVALID, "up_to", "up_to must be the id of a message in this conversation")
	}
	seq, err := s.DB.DMSeq(ctx, upTo, user, peer)
	if err != nil {
		return events.FieldError(events.EINVALID, "up_to", "up_to must be the id of a message in this conversation")
	}
	env, err := s.event(events.DMRead, user, events.DMReadData{UserID: user, PeerID: peer, UpTo: upTo, UpToSeq: seq})
	if err != nil {
		return err
	}
	_, err = s.append(ctx, events.DMSubject(user, peer, "read"), env)
	return err
}

// SendRoomMessage posts a message to a room (made on first use) and returns
// its stream sequence.
func (s *Service) SendRoomMessage(ctx context.Context, from, room, body, clientID string) (uint64, error) {
	if !ValidRoom(room) {
		return 0, events.FieldError(events.EINVALID, "room", "room names are 1 to 32 of a-z, 0-9 and '-'")
	}
	if err := checkText("body", body, 1, MaxMessageLen); err != nil {
		return 0, err
	}
	if err := checkClientID(clientID); err != nil {
		return 0, err
	}
	env, err := s.event(events.RoomMessageSent, from, events.RoomMessageData{MessageID: s.NewID(), Room: room, From: from, Body: body, ClientID: clientID})
	if err != nil {
		return 0, err
	}
	return s.append(ctx, events.RoomSubject(room, "message"), env, s.dedupID(from, "room:"+room, clientID)...)
}
