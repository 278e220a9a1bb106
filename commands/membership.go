package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// Rooms have members. Joining and leaving are events (room.joined,
// room.left) on a subject of the member's own, forum.room.<room>.<user>.*;
// the room's join and leave lines come from them, not from who has the
// room's page open.

func membershipKey(room, user string) string { return room + "." + user }

// CheckRoom refuses (EINVALID, field room) a name that is not a room's.
func CheckRoom(room string) error {
	if !roomRE.MatchString(room) {
		return fault.FieldError(fault.EINVALID, "room", "room names are 1 to 32 of a-z, 0-9 and '-'")
	}
	return nil
}

// JoinRoom makes user a member of room (making the room if it is new). A
// member joining again changes nothing.
func (s *Service) JoinRoom(ctx context.Context, userID events.UserID, room string) error {
	user := string(userID)
	if err := CheckRoom(room); err != nil {
		return err
	}
	m, err := s.DB.RoomMembership(ctx, room, userID)
	if err != nil || m.Member {
		return err
	}
	if err := s.allowNewRoom(ctx, user, room); err != nil {
		return err
	}
	_, err = s.emit(ctx, events.RoomJoined, membershipKey(room, user), user, events.RoomMembershipData{Room: room, UserID: user})
	return err
}

// LeaveRoom ends user's membership of room; leaving a room one is not a
// member of changes nothing.
func (s *Service) LeaveRoom(ctx context.Context, userID events.UserID, room string) error {
	user := string(userID)
	if err := CheckRoom(room); err != nil {
		return err
	}
	m, err := s.DB.RoomMembership(ctx, room, userID)
	if err != nil || !m.Member {
		return err
	}
	_, err = s.emit(ctx, events.RoomLeft, membershipKey(room, user), user, events.RoomMembershipData{Room: room, UserID: user})
	return err
}

// MarkRoomRead records that member userID has read room up to and
// including message. Reading back, or a non-member reading, changes nothing.
func (s *Service) MarkRoomRead(ctx context.Context, userID events.UserID, room string, message events.MessageID) error {
	user, upTo := string(userID), string(message)
	if err := CheckRoom(room); err != nil {
		return err
	}
	notInRoom := fault.FieldError(fault.EINVALID, "up_to", "up_to must be the id of a message in this room")
	if !events.ValidID(upTo) {
		return notInRoom
	}
	seq, err := s.DB.RoomMessageSeq(ctx, message, room)
	if err != nil {
		return notInRoom
	}
	m, err := s.DB.RoomMembership(ctx, room, userID)
	if err != nil || !m.Member || m.ReadSeq >= seq {
		return err
	}
	_, err = s.emit(ctx, events.RoomRead, membershipKey(room, user), user, events.RoomReadData{Room: room, UserID: user, UpToSeq: seq})
	return err
}

// allowNewRoom applies the per-user budget of new rooms when room does not
// exist yet.
func (s *Service) allowNewRoom(ctx context.Context, user, room string) error {
	if s.NewRooms == nil {
		return nil
	}
	exists, err := s.DB.RoomExists(ctx, room)
	if err != nil || exists {
		return err
	}
	if ok, retry := s.NewRooms.Allow(user, s.Now()); !ok {
		return &fault.Error{Code: fault.ERATELIMITED, Field: "room", Message: "you have opened many new rooms lately; post in an existing one, or wait", RetryAfter: retry}
	}
	return nil
}
