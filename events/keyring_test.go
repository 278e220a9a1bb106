package events_test

import (
	"errors"
	"strings"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
)

// Sealed values open with the user's key, and never again once it is
// destroyed; values written in clear read as they are.
func TestKeyring(t *testing.T) {
	t.Parallel()
	c := forumtest.NewCore(t, forumtest.Options{Empty: true})
	ctx := forumtest.Context(t)
	k, err := c.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal(ctx, "u1", "secret text")
	if err != nil || !events.Sealed(sealed) || strings.Contains(sealed, "secret") {
		t.Fatalf("Seal = %q, %v", sealed, err)
	}
	if got, err := k.Open(ctx, "u1", sealed); err != nil || got != "secret text" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(ctx, "u2", sealed); err == nil {
		t.Error("another user's key opened the value")
	}
	if got, err := k.Open(ctx, "u1", "written in clear"); err != nil || got != "written in clear" {
		t.Errorf("a clear value: %q, %v", got, err)
	}
	if err := k.Destroy(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open(ctx, "u1", sealed); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("after Destroy: %v", err)
	}
	// A fresh keyring (another instance) finds no key either.
	other, err := events.OpenKeyring(ctx, c.Store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, "u1", sealed); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("another instance after Destroy: %v", err)
	}
}
