package hub

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gorilla/websocket"

	"forum/commands"
	"forum/events"
	"forum/fault"
)

// clientFrame is any client → server frame; each type reads the fields it
// needs. Any other field, a "from" included, is ignored: the sender is
// always the signed-in user.
type clientFrame struct {
	Type     string `json:"type"`
	To       string `json:"to"`
	Room     string `json:"room"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
	Active   bool   `json:"active"`
}

// handle acts on one client frame. Whatever goes wrong is told to this
// connection as an error frame, and the connection lives on.
func (c *conn) handle(typ int, data []byte) {
	if typ != websocket.TextMessage {
		c.fail(fault.Errorf(fault.EINVALID, "send text frames, one JSON object each"), "")
		return
	}
	var in clientFrame
	if err := json.Unmarshal(data, &in); err != nil {
		c.fail(decodeFrameError(err), "")
		return
	}
	if c.limiter != nil && !c.limiter.Allow() {
		c.fail(fault.Errorf(fault.ERATELIMITED, "too many frames; slow down and try again shortly"), in.ClientID)
		return
	}
	var err error
	switch in.Type {
	case inDM:
		err = c.sendDM(in)
	case inTyping:
		err = c.typingTo(in)
	case inRoomJoin:
		if err = commands.CheckRoom(in.Room); err == nil {
			err = c.hub.join(c, in.Room)
		}
	case inRoomLeave:
		if err = commands.CheckRoom(in.Room); err == nil {
			c.setTyping(toRoom(in.Room), false, nil)
			c.hub.leave(c, in.Room)
		}
	case inRoomMessage:
		err = c.sendRoomMessage(in)
	case inRoomTyping:
		err = c.roomTyping(in)
	case "":
		err = fault.FieldError(fault.EINVALID, "type", "a frame needs a type")
	default:
		t := in.Type
		if len(t) > 40 {
			t = t[:40] + "…"
		}
		err = fault.FieldError(fault.EINVALID, "type", "unknown frame type "+strconv.Quote(t))
	}
	if err != nil {
		c.fail(err, in.ClientID)
	}
}

func decodeFrameError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			return fault.FieldError(fault.EINVALID, typeErr.Field, typeErr.Field+" has the wrong type")
		}
		return fault.Errorf(fault.EINVALID, "a frame must be a JSON object")
	}
	return fault.Errorf(fault.EINVALID, "the frame is not valid JSON")
}

// fail tells this connection what went wrong with one of its frames.
// Internal errors are logged here and told without detail.
func (c *conn) fail(err error, clientID string) {
	var e *fault.Error
	var stored *commands.Stored
	if errors.As(err, &stored) {
		// Stored, not yet shown here: sending it again with the same
		// client_id is answered with its ack once it is.
		e = &fault.Error{Code: fault.EUNAVAILABLE, Message: "stored; send it again with the same client_id for its ack"}
	} else if !errors.As(err, &e) {
		if c.ctx.Err() != nil {
			return // the connection is going: nobody to tell
		}
		c.hub.log.Error("websocket frame", "user", c.user.ID, "err", err)
		e = &fault.Error{Code: fault.EINTERNAL, Message: "something went wrong on our side; please try again"}
	}
	c.push(c.hub.newFrame(frameError, 0, errorFrame{Type: frameError, Code: e.Code, Message: e.Message, Field: e.Field, ClientID: clientID}))
}

// errTooManyWrites answers a user past their write budget.
var errTooManyWrites = fault.Errorf(fault.ERATELIMITED, "you are writing too fast; slow down and try again shortly")

func (c *conn) sendDM(in clientFrame) error {
	if in.To == "" {
		return fault.FieldError(fault.EINVALID, "to", "to is required: the id of the user to write to")
	}
	if !c.hub.allowWrite(c.user.ID) {
		return errTooManyWrites
	}
	seq, err := c.hub.messenger.SendDM(c.ctx, commands.DMInput{From: events.UserID(c.user.ID), To: events.UserID(in.To), Body: in.Body, ClientID: in.ClientID})
	if err != nil {
		return err
	}
	return c.ack(seq, in.ClientID)
}

func (c *conn) sendRoomMessage(in clientFrame) error {
	if !c.hub.allowWrite(c.user.ID) {
		return errTooManyWrites
	}
	seq, err := c.hub.messenger.SendRoomMessage(c.ctx, commands.RoomMessageInput{From: events.UserID(c.user.ID), Room: in.Room, Body: in.Body, ClientID: in.ClientID})
	if err != nil {
		return err
	}
	return c.ack(seq, in.ClientID)
}

// ack tells the sending connection that its message at seq is stored.
func (c *conn) ack(seq uint64, clientID string) error {
	m, err := c.hub.read.MessageBySeq(c.ctx, seq)
	if err != nil {
		return err
	}
	c.push(c.hub.newFrame(frameAck, 0, ackFrame{Type: frameAck, ClientID: clientID, Message: m}))
	return nil
}

func (c *conn) typingTo(in clientFrame) error {
	if !events.ValidID(in.To) {
		return fault.Errorf(fault.ENOTFOUND, "user not found")
	}
	if in.To == c.user.ID {
		return fault.FieldError(fault.EINVALID, "to", "you cannot type to yourself")
	}
	if _, err := c.hub.read.User(c.ctx, events.UserID(in.To)); err != nil {
		return err
	}
	if err := c.mayType(in.Active); err != nil {
		return err
	}
	to := in.To
	c.setTyping(toUser(to), in.Active, func(active bool) { c.hub.bus.publishTyping(c.user, to, active) })
	return nil
}

func (c *conn) roomTyping(in clientFrame) error {
	if err := commands.CheckRoom(in.Room); err != nil {
		return err
	}
	if !c.hub.inRoom(c, in.Room) {
		return fault.FieldError(fault.EFORBIDDEN, "room", "join the room first")
	}
	if err := c.mayType(in.Active); err != nil {
		return err
	}
	room := in.Room
	c.setTyping(toRoom(room), in.Active, func(active bool) { c.hub.bus.publishRoomTyping(room, c.user, active) })
	return nil
}

// mayType refuses (ESUSPENDED) to start or go on typing while the user is
// suspended: what they may not send, nobody sees them write. Stopping is
// always allowed.
func (c *conn) mayType(active bool) error {
	if !active {
		return nil
	}
	return c.hub.messenger.CheckActive(c.ctx, events.UserID(c.user.ID))
}
