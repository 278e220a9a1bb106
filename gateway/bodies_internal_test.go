package gateway

import (
	"bytes"
	"testing"

	"forum/projections"
)

// Every typed answer body encodes to the bytes the map it replaced gave:
// the same names, in the same (sorted) order, nulls and all.
func TestAnswerBodiesEncodeAsMaps(t *testing.T) {
	t.Parallel()
	u := projections.User{ID: "u1", Nickname: "ada", CreatedAt: "2026-01-02T03:04:05.000Z", Role: "admin"}
	next := "c1"
	tests := []struct {
		name      string
		typed, as any
	}{
		{"post", postAnswer{Post: projections.Post{ID: "p1", Title: "<T & t>"}}, map[string]any{"post": projections.Post{ID: "p1", Title: "<T & t>"}}},
		{"comment", commentAnswer{Comment: projections.Comment{ID: "c1"}}, map[string]any{"comment": projections.Comment{ID: "c1"}}},
		{"message", messageAnswer{Message: projections.Message{ID: "m1"}}, map[string]any{"message": projections.Message{ID: "m1"}}},
		{"flag", flagAnswer{Flag: projections.Flag{ID: "f1"}}, map[string]any{"flag": projections.Flag{ID: "f1"}}},
		{"users", usersAnswer{Items: []projections.User{u}}, map[string]any{"items": []projections.User{u}}},
		{"sessions", sessionsAnswer{Items: []sessionView{}}, map[string]any{"items": []sessionView{}, "next": nil}},
		{"account", accountAnswer{Token: "tok", User: u}, map[string]any{"user": u, "token": "tok"}},
		{"me", meAnswer{Preferences: projections.Preferences{EmailNotifications: "daily"}, TwoFactor: "off", Unread: projections.Unread{}, User: u},
			map[string]any{"two_factor": "off", "user": u, "unread": projections.Unread{}, "preferences": map[string]string{"email_notifications": "daily"}}},
		{"user", userAnswer{User: u}, map[string]any{"user": u}},
		{"stored", storedAnswer{ID: "x", Seq: 7, Status: "stored"}, map[string]any{"id": "x", "seq": uint64(7), "status": "stored"}},
		{"flags page", projections.Page[queuedFlag]{Items: []queuedFlag{}, Next: &next, Seq: 3},
			map[string]any{"items": []queuedFlag{}, "next": &next, "seq": uint64(3)}},
	}
	for _, tc := range tests {
		var got, want bytes.Buffer
		if err := jsonEncoder(&got).Encode(tc.typed); err != nil {
			t.Fatal(err)
		}
		if err := jsonEncoder(&want).Encode(tc.as); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got.Bytes(), want.Bytes())
		}
	}
}
