package projections

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"forum/events"
)

// Every registered event type has an apply case; a type the program does
// not know reaches the default branch and is skipped, not applied.
func TestEveryEventTypeHasAnApplyCase(t *testing.T) {
	t.Parallel()
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	tx, err := db.wr().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	a := &applier{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	now := time.Now()
	for i, typ := range events.Types() {
		spec, _ := events.Lookup(typ)
		env, err := events.New(events.NewID(now), typ, now, "", spec.NewPayloadValue())
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.apply(events.Event{Seq: uint64(i + 1), Subject: typ.Subject("k"), Envelope: env})
		if errors.Is(err, errNoApplyCase) {
			t.Errorf("%s has no apply case in projections/apply.go", typ)
		} else if err != nil {
			t.Errorf("apply %s with a zero payload: %v", typ, err)
		}
	}
	unknown := events.Event{Seq: 1000, Envelope: events.Envelope{Type: "post.exploded", Version: 1, Data: []byte(`{}`)}}
	if _, err := a.apply(unknown); !errors.Is(err, errNoApplyCase) {
		t.Errorf("an unknown type: apply = %v, want the default branch", err)
	}
}
