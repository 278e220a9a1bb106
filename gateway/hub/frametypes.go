package hub

// The type field of every server → client frame: the SPA switches on these
// (docs/PROTOCOL.md). Frames of events are named in the hub's decision for
// each event type (pushes.go).
const (
	frameHello             = "hello"
	frameStatus            = "status"
	framePresence          = "presence"
	frameResync            = "resync"
	frameError             = "error"
	frameAck               = "ack"
	frameTyping            = "typing"
	frameRoomTyping        = "room.typing"
	frameRoomJoined        = "room.joined"
	frameNotification      = "notification"
	framePostCreated       = "post.created"
	framePostEdited        = "post.edited"
	framePostDeleted       = "post.deleted"
	framePostVoted         = "post.voted"
	frameCommentCreated    = "comment.created"
	frameCommentEdited     = "comment.edited"
	frameCommentDeleted    = "comment.deleted"
	frameCommentVoted      = "comment.voted"
	frameDM                = "dm"
	frameRead              = "read"
	frameRoomMessage       = "room.message"
	frameRoomSystem        = "room.system"
	frameRoomRead          = "room.read"
	frameNotificationsRead = "notifications.read"
	frameHidden            = "hidden"
	frameRestored          = "restored"
	framePurged            = "purged"
	framePinned            = "pinned"
	frameLocked            = "locked"
	frameReaction          = "reaction"
)

// The type field of every client → server frame (docs/PROTOCOL.md).
const (
	inDM          = "dm"
	inTyping      = "typing"
	inRoomJoin    = "room.join"
	inRoomLeave   = "room.leave"
	inRoomMessage = "room.message"
	inRoomTyping  = "room.typing"
)
