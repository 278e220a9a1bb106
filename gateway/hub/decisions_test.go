package hub

import (
	"context"
	"testing"

	"forum/events"
	"forum/projections"
)

// Every event type's registration in the hub is whole: a frame type and
// how it is built, or why it is not pushed; the payload it reads is the
// event's; and a type whose apply function notifies users is a frame that
// shows an item, so its notifications are pushed and replayed with it.
func TestEveryEventTypeHasAFrameOrAReason(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Types() {
		p, ok := pushes[typ]
		if !ok {
			continue // TestEveryEventTypeHasAPushDecision names it
		}
		switch {
		case p.typ != typ:
			t.Errorf("%s: registered as %s", typ, p.typ)
		case p.frameType == "" && p.why == "":
			t.Errorf("%s: neither a frame (shows or frame) nor why it is not pushed (notPushed or acts) in gateway/hub/pushes.go", typ)
		case p.frameType != "" && p.show == nil && p.build == nil:
			t.Errorf("%s: pushed as %s, but nothing builds it", typ, p.frameType)
		}
		if spec, _ := events.Lookup(typ); p.payload != nil && p.payload != spec.Payload {
			t.Errorf("%s: registered with a %v payload, the event's is a %v", typ, p.payload, spec.Payload)
		}
		if projections.Notifies(typ) && p.source == nil {
			t.Errorf("%s: its apply function notifies users, but the hub does not push it with shows, so nobody is told", typ)
		}
	}
}

// The frame builder returns what an event does to open connections as
// effects, and the payload the projector handed on is not decoded again.
func TestBuildReturnsEffects(t *testing.T) {
	t.Parallel()
	h := &Hub{}
	cases := []struct {
		typ     events.Type
		payload any
		want    effect
	}{
		{events.SessionEnded, &events.SessionEndedData{SessionID: "s", UserID: "u"}, endSession("s")},
		{events.UserErased, &events.UserModData{UserID: "u"}, closeUser("u")},
		{events.UserBlocked, &events.BlockData{UserID: "u", BlockedID: "v"}, blockSet{user: "u", other: "v", blocked: true}},
		{events.UserUnblocked, &events.BlockData{UserID: "u", BlockedID: "v"}, blockSet{user: "u", other: "v"}},
	}
	for _, c := range cases {
		// Data that does not decode: only the payload handed on is read.
		ev := events.Event{Seq: 7, Envelope: events.Envelope{Type: c.typ, Data: []byte("not json")}, Decoded: c.payload}
		b := h.build(context.Background(), ev)
		if len(b.effects) != 1 || b.effects[0] != c.want || b.frame != nil {
			t.Errorf("%s: effects %v, frame %v; want %v alone", c.typ, b.effects, b.frame, c.want)
		}
	}
}
