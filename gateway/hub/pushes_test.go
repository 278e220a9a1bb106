package hub_test

import (
	"testing"

	"forum/events"
	"forum/gateway/hub"
)

// Every registered event type has an explicit decision in the hub: the
// frame it is pushed as, or "" for not pushed. A new type fails here until
// someone decides.
func TestEveryEventTypeHasAPushDecision(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Types() {
		if _, ok := hub.Pushes[typ]; !ok {
			t.Errorf("%s: no decision in the hub's pushes table (gateway/hub/pushes.go)", typ)
		}
	}
	for typ := range hub.Pushes {
		if _, ok := events.Lookup(typ); !ok {
			t.Errorf("pushes names %s, which is not a registered event type", typ)
		}
	}
}
