package projections_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// TestEveryEventDeliveredTwice: the stream delivers at least once; the
// read models must come out identical however events are repeated.
func TestEveryEventDeliveredTwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 5)
	w.play(scaled(250))
	w.head()
	w.stopProj()
	all := readAll(t, w.Store)
	want := forumtest.Dump(t, w.DB.Path())
	keys, err := w.Store.Keys(forumtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(5, 6))

	// batches cuts evs into consecutive batches of random sizes.
	batches := func(evs []events.Event) [][]events.Event {
		var out [][]events.Event
		for i := 0; i < len(evs); {
			n := 1 + rnd.IntN(40)
			out = append(out, evs[i:min(i+n, len(evs))])
			i += n
		}
		return out
	}
	tests := []struct {
		name    string
		deliver func(apply func([]events.Event))
	}{
		{"each batch twice", func(apply func([]events.Event)) {
			for _, b := range batches(all) {
				apply(b)
				apply(b)
			}
		}},
		{"overlapping batches", func(apply func([]events.Event)) {
			for i := 0; i < len(all); {
				end := min(i+1+rnd.IntN(40), len(all))
				apply(all[i:end])
				// The next batch starts somewhere inside this one.
				i = max(i+1, end-rnd.IntN(end-i+1))
			}
		}},
		{"every event twice in a row", func(apply func([]events.Event)) {
			for _, b := range batches(all) {
				var twice []events.Event
				for _, ev := range b {
					twice = append(twice, ev, ev)
				}
				apply(twice)
			}
		}},
		{"the whole stream again after the end", func(apply func([]events.Event)) {
			for _, b := range batches(all) {
				apply(b)
			}
			for _, b := range batches(all) {
				apply(b)
			}
		}},
		{"old events mixed into a new batch", func(apply func([]events.Event)) {
			done := 0
			for _, b := range batches(all) {
				fresh := len(b)
				if done > 0 {
					// Redeliver a few events of earlier batches ahead of this one.
					from := rnd.IntN(done)
					old := slices.Clone(all[from:min(from+1+rnd.IntN(5), done)])
					b = append(old, b...)
				}
				apply(b)
				done += fresh
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "read.db")
			db := openDB(t, path)
			p, err := projections.NewProjector(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			p.SetKeys(keys)
			ctx := forumtest.Context(t)
			tt.deliver(func(b []events.Event) {
				if err := p.Apply(ctx, b); err != nil {
					t.Fatal(err)
				}
			})
			if got := p.Seq(); got != uint64(len(all)) {
				t.Errorf("projector at %d, want %d", got, len(all))
			}
			forumtest.CompareDumps(t, tt.name, forumtest.Dump(t, path), want)
		})
	}

	// A fresh projector on a file already past some events (a restart that
	// is redelivered what it had applied) skips them too.
	t.Run("redelivered after reopening", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "read.db")
		db := openDB(t, path)
		p, err := projections.NewProjector(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.SetKeys(keys)
		ctx := forumtest.Context(t)
		half := len(all) / 2
		if err := p.Apply(ctx, all[:half]); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = openDB(t, path)
		p, err = projections.NewProjector(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.SetKeys(keys)
		if got := p.Seq(); got != uint64(half) {
			t.Fatalf("reopened projector at %d, want the checkpoint %d", got, half)
		}
		for _, b := range batches(all) {
			if err := p.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		forumtest.CompareDumps(t, "after reopening", forumtest.Dump(t, path), want)
	})
}
