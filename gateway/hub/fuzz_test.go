package hub_test

import (
	"net/http"
	"strings"
	"testing"

	"forum/internal/forumtest"
)

// FuzzClientFrame sends arbitrary frames to a real forum's WebSocket: none
// may break the connection or the hub. After each, the connection must
// still answer a room.join.
func FuzzClientFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"dm","to":"BOB","body":"hi","client_id":"1"}`,
		`{"type":"room.message","room":"general","body":"hi"}`,
		`{"type":"room.join","room":"general"}`,
		`{"type":"room.leave","room":"nope"}`,
		`{"type":"typing","to":"BOB","active":true}`,
		`{"type":"room.typing","room":"general","active":true}`,
		`{"type":"dm","to":5}`, `{"type":""}`, `[]`, `null`, `{"type":"x"`, "\xff\xfe", `{"type":"room.join","room":"` + "\u202e" + `"}`,
	} {
		f.Add(seed)
	}
	forum := forumtest.Start(f, forumtest.Options{})
	ada, bob := forum.SignUp("ada"), forum.SignUp("bob")
	header := http.Header{"Authorization": {"Bearer " + ada.Token}}
	url := forumtest.WSURL(forum.URL, "")
	f.Fuzz(func(t *testing.T, frame string) {
		if len(frame) > 32<<10 {
			return // past the frame limit the connection closes by design
		}
		w := forumtest.DialWSHeader(t, "ada", url, header)
		w.SendRaw([]byte(strings.ReplaceAll(frame, "BOB", bob.User.ID)))
		w.Send(map[string]any{"type": "room.join", "room": "fuzz"})
		w.WaitFor("room.joined after the fuzzed frame", func(fr forumtest.Frame) bool {
			return fr.Type == "room.joined" && fr.Str(t, "room") == "fuzz"
		})
	})
}
