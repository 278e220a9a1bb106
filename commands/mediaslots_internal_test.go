package commands

import (
	"context"
	"testing"
	"time"

	"forum/fault"
)

// Pictures decode at most n at once on an instance and one at a time per
// user; one that finds no slot within the wait is refused as busy (503),
// and a slot given back is taken again.
func TestMediaSlots(t *testing.T) {
	ctx := context.Background()
	m := newMediaSlots(1, 20*time.Millisecond)
	release, err := m.take(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"ada", "bob"} {
		if _, err := m.take(ctx, user); fault.Code(err) != fault.EUNAVAILABLE {
			t.Errorf("%s while the slot is taken: %v", user, err)
		}
	}
	release()
	r, err := m.take(ctx, "bob")
	if err != nil {
		t.Fatalf("bob once the slot is free: %v", err)
	}
	r()
	m = newMediaSlots(2, 20*time.Millisecond)
	r1, err := m.take(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.take(ctx, "ada"); fault.Code(err) != fault.EUNAVAILABLE {
		t.Errorf("a second picture of ada's at once: %v", err)
	}
	r2, err := m.take(ctx, "bob")
	if err != nil {
		t.Fatalf("bob beside ada with two slots: %v", err)
	}
	r1()
	r2()
	if len(m.users) != 0 || len(m.refs) != 0 {
		t.Errorf("slots kept for nobody: %v", m.users)
	}
}
