package hub

import "time"

// The frame types, for the external tests to decode frames into.
type (
	PresenceFrame   = presenceFrame
	TypingFrame     = typingFrame
	ErrorFrame      = errorFrame
	RoomJoinedFrame = roomJoinedFrame
	RoomSystemFrame = roomSystemFrame
	RoomTypingFrame = roomTypingFrame
	VoteFrame       = voteFrame
	CommentFrame    = commentFrame
	PostFrame       = postFrame
	MessageFrame    = messageFrame
	ReadFrame       = readFrame
	HelloFrame      = helloFrame
	AckFrame        = ackFrame
	ResyncFrame     = resyncFrame
)

// The live.> messages, for the tests to play another instance.
type (
	LiveInstance  = liveInstance
	LivePresence  = livePresence
	LiveState     = liveState
	LiveUserConns = liveUserConns
	LiveRoomConns = liveRoomConns
)

// Limits the tests push against.
const (
	WSBurst    = wsBurst
	WSQueueLen = wsQueueLen
	WSHeldLen  = wsHeldLen
	MaxRooms   = maxRooms
	ReadLimit  = wsReadLimit
)

// SetPingEvery makes h ping the connections it opens from now on every d.
func SetPingEvery(h *Hub, d time.Duration) { h.pingEvery = d }

// Pushes is the hub's decision for every event type.
var Pushes = pushes
