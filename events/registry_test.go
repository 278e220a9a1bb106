package events_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"forum/events"
)

// Every registered type has a payload struct, a subject under forum.>, and
// an upcaster for each version older than the current one.
func TestRegistry(t *testing.T) {
	t.Parallel()
	types := events.Types()
	if len(types) == 0 {
		t.Fatal("no event types registered")
	}
	for _, typ := range types {
		s, ok := events.Lookup(typ)
		if !ok || s.Type != typ {
			t.Fatalf("Lookup(%s) = %+v, %v", typ, s, ok)
		}
		if s.Payload == nil || s.Payload.Kind() != reflect.Struct {
			t.Errorf("%s: payload %v is not a struct", typ, s.Payload)
		}
		if s.Version < 1 || events.CurrentVersion(typ) != s.Version {
			t.Errorf("%s: version %d, CurrentVersion %d", typ, s.Version, events.CurrentVersion(typ))
		}
		subject := typ.Subject("k")
		if !strings.HasPrefix(subject, "forum.") || !strings.Contains(subject, ".k") {
			t.Errorf("%s: subject %q is not forum.<aggregate>.<key>...", typ, subject)
		}
		if s.Version > 1 {
			// An old version decodes, upcast to the current one.
			old := `{"id":"x","type":"` + string(typ) + `","version":1,"time":"2026-01-01T00:00:00Z","data":{}}`
			env, err := events.Decode([]byte(old))
			if err != nil || env.Version != s.Version {
				t.Errorf("%s v1 does not upcast to v%d: %v", typ, s.Version, err)
			}
		}
	}
}

// New refuses what the registry does not describe: an unknown type, or a
// payload of another type than the registered one.
func TestNewChecksTheRegistry(t *testing.T) {
	t.Parallel()
	now := time.Now()
	if _, err := events.New("id", "post.exploded", now, "", events.PostDeletedData{}); err == nil {
		t.Error("New accepted an unregistered type")
	}
	if _, err := events.New("id", events.PostDeleted, now, "", events.CommentDeletedData{}); err == nil {
		t.Error("New accepted the payload of another type")
	}
	if _, err := events.New("id", events.PostDeleted, now, "", &events.PostDeletedData{}); err == nil {
		t.Error("New accepted a pointer to the payload")
	}
	env, err := events.New("id", events.PostCreated, now, "", events.PostCreatedData{PostID: "p"})
	if err != nil || env.Version != 2 {
		t.Errorf("New(post.created) = %+v, %v; want version 2", env, err)
	}
}

func TestSubjectOfUnregisteredTypePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Subject of an unregistered type did not panic")
		}
	}()
	events.Type("post.exploded").Subject("k")
}
