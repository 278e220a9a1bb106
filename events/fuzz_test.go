package events_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"forum/events"
)

// FuzzDecode feeds the codec arbitrary stored messages: it must never
// panic, and whatever it accepts comes back the same through an encode and
// a second decode (upcasting is idempotent).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"x","type":"post.created","version":1,"time":"2026-01-01T00:00:00Z","data":{"post_id":"p","category":"general"}}`))
	f.Add([]byte(`{"id":"x","type":"session.started","version":1,"time":"2026-01-01T00:00:00Z","data":{"session_id":"s"}}`))
	f.Add([]byte(`{"id":"x","type":"dm.sent","version":9,"time":"2026-01-01T00:00:00Z","data":{}}`))
	f.Add([]byte(`{"type":"post.created","version":0,"data":null}`))
	f.Add([]byte(`{"type":"post.created","version":1,"data":[1,2]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := events.Decode(raw)
		if err != nil {
			return
		}
		if env.Version != events.CurrentVersion(env.Type) {
			t.Fatalf("decoded %s at version %d, want %d", env.Type, env.Version, events.CurrentVersion(env.Type))
		}
		again, err := json.Marshal(env)
		if err != nil {
			return // data that is not valid JSON on its own (a raw message the decoder let through)
		}
		env2, err := events.Decode(again)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", again, err)
		}
		if env2.Type != env.Type || env2.Version != env.Version || !sameJSON(env2.Data, env.Data) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", env, env2)
		}
		// A payload of the registered type decodes or fails; it never panics.
		if spec, ok := events.Lookup(env.Type); ok {
			_ = env.Payload(spec.NewPayload())
		}
	})
}

// sameJSON tells whether a and b hold the same JSON value: the encoder may
// spell a string differently (it escapes "&" as \u0026) without changing it.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}
