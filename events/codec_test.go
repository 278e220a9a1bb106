package events_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"forum/events"
)

func TestUpcastPostCreatedV1(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../schemas/events/post.created.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	env, err := events.Decode(raw)
	if err != nil {
		t.Fatalf("decode v1: %v", err)
	}
	if got, want := env.Version, events.CurrentVersion(events.PostCreated); got != want || want != 2 {
		t.Errorf("version after upcast = %d, want %d (= 2)", got, want)
	}
	var got events.PostCreatedData
	dec := json.NewDecoder(strings.NewReader(string(env.Data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("v2 payload: %v", err)
	}
	want := events.PostCreatedData{
		PostID:     "01hzz00000000000000000post",
		AuthorID:   "01hzz00000000000000000user",
		Title:      "An old post",
		Body:       "Written before posts had several categories.",
		Categories: []string{"general"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upcast payload = %+v, want %+v", got, want)
	}
	if env.Type != events.PostCreated || env.ID != "01hzz0000000000000000000v1" || !env.Time.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("envelope fields changed by upcast: %+v", env)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		version int // 0: want an error
	}{
		{"current version", `{"id":"x","type":"post.created","version":2,"time":"2024-05-01T10:00:00Z","data":{"post_id":"p","categories":["a","b"]}}`, 2},
		{"missing version means 1", `{"id":"x","type":"room.created","time":"2024-05-01T10:00:00Z","data":{"room":"r"}}`, 1},
		{"missing version of an upcast type", `{"id":"x","type":"post.created","time":"2024-05-01T10:00:00Z","data":{"post_id":"p","category":"a"}}`, 2},
		{"unknown type replays as v1", `{"id":"x","type":"thing.happened","version":1,"time":"2024-05-01T10:00:00Z","data":{}}`, 1},
		{"newer than known", `{"id":"x","type":"post.created","version":3,"time":"2024-05-01T10:00:00Z","data":{}}`, 0},
		{"newer than known, plain type", `{"id":"x","type":"room.created","version":2,"time":"2024-05-01T10:00:00Z","data":{}}`, 0},
		{"no upcaster", `{"id":"x","type":"room.created","version":-1,"time":"2024-05-01T10:00:00Z","data":{}}`, 0},
		{"v1 data that does not decode", `{"id":"x","type":"post.created","version":1,"time":"2024-05-01T10:00:00Z","data":{"category":7}}`, 0},
		{"malformed JSON", `{"id":`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := events.Decode([]byte(tt.raw))
			if tt.version == 0 {
				if err == nil {
					t.Fatalf("Decode = %+v, want an error", env)
				}
				return
			}
			if err != nil || env.Version != tt.version {
				t.Fatalf("Decode = v%d, %v; want v%d", env.Version, err, tt.version)
			}
		})
	}
}

func TestNewEnvelope(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CET", 3600))
	env, err := events.New("id1", events.PostCreated, now, "actor", events.PostCreatedData{PostID: "p", Title: "a < b && c > d", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := env.Time, time.Date(2026, 1, 2, 2, 4, 5, 678000000, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("time = %v, want %v in UTC truncated to the millisecond", got, want)
	}
	if env.Version != 2 || env.Type != events.PostCreated || env.ID != "id1" || env.Actor != "actor" {
		t.Errorf("envelope = %+v", env)
	}
	if !strings.Contains(string(env.Data), `"a < b && c > d"`) {
		t.Errorf("data escapes what was typed: %s", env.Data)
	}
	if _, err := events.New("id2", events.RoomCreated, now, "", func() {}); err == nil {
		t.Error("New with a payload that does not marshal: want an error")
	}
}
