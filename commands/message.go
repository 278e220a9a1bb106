package commands

import (
	"context"
	"regexp"

	"forum/events"
	"forum/fault"
)

// MaxMessageLen is the longest chat message body, in characters.
const MaxMessageLen = 4000

var roomRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// checkClientID bounds the optional client-chosen id of a message.
func checkClientID(id string) error {
	if len(id) > 64 {
		return fault.FieldError(fault.EINVALID, "client_id", "client_id must be at most 64 characters")
	}
	return nil
}

// dedupID is the message id for deduplication: a retried send with the same
// client_id to the same conversation (a user id, or "room:" and a room name)
// is stored once; the same client_id elsewhere is another message.
func dedupID(from, to, clientID string) []events.AppendOption {
	if clientID == "" {
		return nil
	}
	return []events.AppendOption{events.WithMsgID("msg:" + from + ":" + to + ":" + clientID)}
}

// DMInput is a direct message From one user To another. ClientID, when set,
// deduplicates a retried send.
type DMInput struct {
	From     events.UserID
	To       events.UserID
	Body     string
	ClientID string
}

// SendDM sends a direct message and returns its stream sequence (the
// original's, for a retried client_id). From is always the signed-in user.
func (s *Service) SendDM(ctx context.Context, in DMInput) (uint64, error) {
	from, to := string(in.From), string(in.To)
	if err := checkID("user", to); err != nil {
		return 0, err
	}
	if to == from {
		return 0, fault.FieldError(fault.EINVALID, "to", "you cannot message yourself")
	}
	if err := checkText("body", in.Body, 1, MaxMessageLen); err != nil {
		return 0, err
	}
	if err := checkClientID(in.ClientID); err != nil {
		return 0, err
	}
	if err := s.reachable(ctx, to); err != nil {
		return 0, err
	}
	if err := s.CheckActive(ctx, in.From); err != nil {
		return 0, err
	}
	if err := s.refuseBlocked(ctx, from, to); err != nil {
		return 0, err
	}
	ack, err := s.emit(ctx, events.DMSent, events.PairKey(from, to), from,
		events.DMSentData{MessageID: s.NewID(), From: from, To: to, Body: in.Body, ClientID: in.ClientID, Render: s.rendering(in.Body)},
		dedupID(from, to, in.ClientID)...)
	return ack.Seq, err
}

// reachable returns ENOTFOUND unless user is there to take messages: an
// erased account is not.
func (s *Service) reachable(ctx context.Context, user string) error {
	st, err := s.DB.StandingOf(ctx, events.UserID(user))
	if err != nil {
		return err
	}
	if st.Erased {
		return fault.Errorf(fault.ENOTFOUND, "user not found")
	}
	return nil
}

// ReadInput says that User has read the conversation with Peer up to and
// including the message UpTo.
type ReadInput struct {
	User events.UserID
	Peer events.UserID
	UpTo events.MessageID
}

// MarkRead records how far a user has read a conversation.
func (s *Service) MarkRead(ctx context.Context, in ReadInput) error {
	user, peer, upTo := string(in.User), string(in.Peer), string(in.UpTo)
	if err := checkID("user", peer); err != nil {
		return err
	}
	notInConversation := fault.FieldError(fault.EINVALID, "up_to", "up_to must be the id of a message in this conversation")
	if !events.ValidID(upTo) {
		return notInConversation
	}
	seq, err := s.DB.DMSeq(ctx, in.UpTo, in.User, in.Peer)
	if err != nil {
		return notInConversation
	}
	_, err = s.emit(ctx, events.DMRead, events.PairKey(user, peer), user,
		events.DMReadData{UserID: user, PeerID: peer, UpTo: upTo, UpToSeq: seq})
	return err
}

// RoomMessageInput is a message From a user to Room. ClientID, when set,
// deduplicates a retried send.
type RoomMessageInput struct {
	From     events.UserID
	Room     string
	Body     string
	ClientID string
}

// SendRoomMessage posts a message to a room (made on first use) and returns
// its stream sequence.
func (s *Service) SendRoomMessage(ctx context.Context, in RoomMessageInput) (uint64, error) {
	from := string(in.From)
	if err := CheckRoom(in.Room); err != nil {
		return 0, err
	}
	if err := checkText("body", in.Body, 1, MaxMessageLen); err != nil {
		return 0, err
	}
	if err := checkClientID(in.ClientID); err != nil {
		return 0, err
	}
	if err := s.CheckActive(ctx, in.From); err != nil {
		return 0, err
	}
	if err := s.allowNewRoom(ctx, from, in.Room); err != nil {
		return 0, err
	}
	ack, err := s.emit(ctx, events.RoomMessageSent, in.Room, from,
		events.RoomMessageData{MessageID: s.NewID(), Room: in.Room, From: from, Body: in.Body, ClientID: in.ClientID, Render: s.rendering(in.Body)},
		dedupID(from, "room:"+in.Room, in.ClientID)...)
	return ack.Seq, err
}
