package commands_test

import (
	"strings"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// TestMessageRetryDeduplicated: a retried send (same client_id, same
// conversation) is stored once; the same client_id in another conversation
// is another message, never swallowed as a "duplicate" of the first.
func TestMessageRetryDeduplicated(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob, cid := e.Register("ann"), e.Register("bob"), e.Register("cid")

	first, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: "hello bob", ClientID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	sends := []struct {
		name    string
		send    func() (uint64, error)
		wantNew bool
	}{
		{"retry to the same peer", func() (uint64, error) {
			return e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: "hello bob", ClientID: "c1"})
		}, false},
		{"same client_id, other peer", func() (uint64, error) {
			return e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(cid), Body: "hello cid", ClientID: "c1"})
		}, true},
		{"same client_id, other sender", func() (uint64, error) {
			return e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(bob), To: events.UserID(ann), Body: "hello ann", ClientID: "c1"})
		}, true},
		{"same client_id in a room", func() (uint64, error) {
			return e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: "general", Body: "hi all", ClientID: "c1"})
		}, true},
		{"no client_id: never deduplicated", func() (uint64, error) {
			return e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: "hello bob"})
		}, true},
	}
	seen := map[uint64]string{first: "first"}
	for _, s := range sends {
		seq, err := s.send()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		_, dup := seen[seq]
		if got := !dup; got != s.wantNew {
			t.Errorf("%s: seq %d (seen before: %q), want a new message: %v", s.name, seq, seen[seq], s.wantNew)
		}
		seen[seq] = s.name
	}
	room1, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: "random", Body: "once", ClientID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if room2, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: "random", Body: "once", ClientID: "r1"}); err != nil || room2 != room1 {
		t.Errorf("retried room message: seq %d, %v; want the original %d", room2, err, room1)
	}
	page, err := e.DB.DirectMessages(ctx, events.UserID(ann), events.UserID(cid), projections.PageRequest{Limit: 10, Cursor: ""})
	if err != nil || len(page.Items) != 1 || page.Items[0].Body != "hello cid" {
		t.Errorf("ann–cid conversation = %+v, %v; want the one message", page.Items, err)
	}
	page, err = e.DB.DirectMessages(ctx, events.UserID(ann), events.UserID(bob), projections.PageRequest{Limit: 10, Cursor: ""})
	if err != nil || len(page.Items) != 3 {
		t.Errorf("ann–bob conversation has %d messages (%v), want 3", len(page.Items), err)
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	ann, bob := e.Register("ann"), e.Register("bob")
	tests := []struct {
		name        string
		send        func() error
		code, field string
	}{
		{"to oneself", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(ann), Body: "hi"})
			return err
		}, fault.EINVALID, "to"},
		{"to nobody", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(events.NewID(e.Cmds.Now())), Body: "hi"})
			return err
		}, fault.ENOTFOUND, ""},
		{"to a malformed id", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: "../x", Body: "hi"})
			return err
		}, fault.ENOTFOUND, ""},
		{"empty body", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: "  "})
			return err
		}, fault.EINVALID, "body"},
		{"body of 4001", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: strings.Repeat("x", 4001)})
			return err
		}, fault.EINVALID, "body"},
		{"client_id of 65", func() error {
			_, err := e.Cmds.SendDM(ctx, commands.DMInput{From: events.UserID(ann), To: events.UserID(bob), Body: "hi", ClientID: strings.Repeat("c", 65)})
			return err
		}, fault.EINVALID, "client_id"},
		{"bad room name", func() error {
			_, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: "General", Body: "hi"})
			return err
		}, fault.EINVALID, "room"},
		{"room name of 33", func() error {
			_, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: strings.Repeat("r", 33), Body: "hi"})
			return err
		}, fault.EINVALID, "room"},
		{"room body with a control character", func() error {
			_, err := e.Cmds.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(ann), Room: "general", Body: "a\x07b"})
			return err
		}, fault.EINVALID, "body"},
		{"read up to a message of nobody", func() error {
			return e.Cmds.MarkRead(ctx, commands.ReadInput{User: events.UserID(ann), Peer: events.UserID(bob), UpTo: events.MessageID(events.NewID(e.Cmds.Now()))})
		}, fault.EINVALID, "up_to"},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.send(), tt.code, tt.field)
	}
}
