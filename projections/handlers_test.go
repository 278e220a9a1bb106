package projections

import (
	"testing"

	"forum/events"
)

// Every registered event type is registered in the read models with each of
// its decisions: how it is applied (or why it is not), which memos it makes
// stale (or none), and whom it notifies (or nobody). A new type fails here,
// by name and decision, until someone decides.
func TestEveryEventTypeIsRegistered(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Types() {
		h, ok := handlers[typ]
		if !ok {
			t.Errorf("%s: no registration in projections/handlers.go (on or ignored)", typ)
			continue
		}
		if spec, _ := events.Lookup(typ); h.payload != spec.Payload {
			t.Errorf("%s: registered with a %v payload, the event's is a %v", typ, h.payload, spec.Payload)
		}
		if h.apply == nil && h.noApply == "" {
			t.Errorf("%s: no apply decision (on with its apply function, or ignored with why)", typ)
		}
		if h.typ != typ {
			t.Errorf("%s: registered as %s", typ, h.typ)
		}
	}
	for typ := range handlers {
		if _, ok := events.Lookup(typ); !ok {
			t.Errorf("handlers names %s, which is not a registered event type", typ)
		}
	}
}

// Every event type says which memos (memo.go) it makes stale, or that it
// keeps them all.
func TestEveryEventTypeHasAnInvalidationDecision(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Types() {
		if h, ok := handlers[typ]; ok && !h.memoDecided {
			t.Errorf("%s: no invalidation decision (invalidates, invalidatesVotesOf or invalidatesNothing) in projections/handlers.go", typ)
		}
	}
}

// Every event type says whom it notifies, or nobody; and an apply function
// of a type registered as notifying nobody cannot notify.
func TestEveryEventTypeHasANotificationDecision(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Types() {
		if h, ok := handlers[typ]; ok && !h.notifyDecided {
			t.Errorf("%s: no notification decision (notifies or notifiesNobody) in projections/handlers.go", typ)
		}
	}
	a := &applier{}
	ev := events.Event{Envelope: events.Envelope{Type: events.PostEdited}}
	if err := a.notify(ev, notice{actor: "u", body: "@ada"}, ""); err == nil {
		t.Error("notify outside a notifying type's apply: no error")
	}
}

// The payload an apply function is handed is a copy of the one decoded
// ahead: opening its personal data leaves the event's as it was.
func TestDecodeCopiesTheDecodedPayload(t *testing.T) {
	t.Parallel()
	ahead := &events.PostCreatedData{PostID: "p", Body: "sealed"}
	ev := events.Event{Envelope: events.Envelope{Type: events.PostCreated}, Decoded: ahead}
	got, err := handlers[events.PostCreated].decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	d := got.(*events.PostCreatedData)
	d.Body = "opened"
	if d.PostID != "p" || ahead.Body != "sealed" {
		t.Errorf("decode = %+v, ahead now %+v", d, ahead)
	}
}
