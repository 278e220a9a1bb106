package projections_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/internal/forumtest"
	"forum/projections"
)

// crashStop is where one interrupted projector run left its file.
type crashStop struct {
	seq  uint64
	dump map[string][]string
}

// TestCrashBetweenBatches runs a second projector against the real stream
// while the forum is in use, and stops it at random instants over and over:
// each time its context is cancelled mid-run, the file is reopened with a
// fresh projector (half the time without closing the old handle, like a
// crash) and it carries on. At every stop the file must hold exactly the
// forum as of its checkpoint, and the end result must equal a clean rebuild.
func TestCrashBetweenBatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 13)
	path := filepath.Join(t.TempDir(), "read.db")
	rnd := rand.New(rand.NewPCG(13, 14)) // used by the crasher goroutine only
	stop := make(chan struct{})
	var (
		stops    []crashStop
		crashErr error
		abandon  []*projections.DB
	)
	// run opens the file with a fresh projector, runs it until until
	// returns, cancels it and records where it stood.
	run := func(until func(p *projections.Projector)) error {
		db, _, err := projections.OpenDB(path)
		if err != nil {
			return err
		}
		p, err := projections.NewProjector(db, nil)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { p.Run(ctx, w.Store) })
		until(p)
		cancel()
		wg.Wait()
		if len(stops)%2 == 0 {
			db.Close()
		} else {
			abandon = append(abandon, db) // no clean close, no WAL checkpoint
		}
		d, err := forumtest.DumpFile(path)
		if err != nil {
			return err
		}
		stops = append(stops, crashStop{p.Seq(), d})
		return nil
	}
	crasherDone := make(chan struct{})
	ran := make(chan struct{}, 10_000) // a token per finished run
	go func() {
		defer close(crasherDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := run(func(p *projections.Projector) {
				if rnd.IntN(2) == 0 {
					// A random instant.
					select {
					case <-time.After(time.Duration(rnd.IntN(20_000)) * time.Microsecond):
					case <-stop:
					}
					return
				}
				// Right after a random number of commits: most likely while
				// the next batch is on its way. Stop early only once the
				// projector has caught up and the forum is idle.
				deadline := time.After(10 * time.Second)
				for commits := 1 + rnd.IntN(5); commits > 0; {
					select {
					case <-p.Changed():
						commits--
					case <-stop:
						return
					case <-deadline:
						return
					case <-time.After(20 * time.Millisecond):
						if last, err := w.Store.LastSeq(context.Background()); err != nil || p.Seq() >= last {
							return
						}
					}
				}
			})
			if err != nil {
				crashErr = err
				return
			}
			ran <- struct{}{}
		}
	}()
	stopCrasher := sync.OnceFunc(func() { close(stop); <-crasherDone })
	t.Cleanup(stopCrasher) // before the store closes, should the test fail early
	// Play in chunks, and let the crasher finish a run after each, so the
	// runs stop all along the stream however fast either side goes.
	for chunk := range scaled(300) / 10 {
		w.play(10)
		for range 1 + chunk%2 {
			select {
			case <-ran:
			case <-crasherDone:
				t.Fatalf("crasher stopped: %v", crashErr)
			}
		}
	}
	head := w.head()
	stopCrasher()
	if crashErr != nil {
		t.Fatal(crashErr)
	}
	// The last run finishes.
	ctx := forumtest.Context(t)
	if err := run(func(p *projections.Projector) {
		if err := p.WaitFor(ctx, head); err != nil {
			t.Error(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, db := range abandon {
			db.Close()
		}
	})
	last := stops[len(stops)-1]
	if last.seq != head {
		t.Fatalf("final run stopped at %d, want %d", last.seq, head)
	}

	// Every stop: rows and checkpoint consistent, i.e. the file equals the
	// forum rebuilt up to its checkpoint.
	var mid []crashStop
	prev := uint64(0)
	for _, s := range stops {
		if got := checkpoint(t, s.dump); got != s.seq {
			t.Errorf("file checkpoint %d, projector said %d", got, s.seq)
		}
		if s.seq < prev {
			t.Errorf("checkpoint went back from %d to %d", prev, s.seq)
		}
		if s.seq > prev && s.seq < head {
			mid = append(mid, s)
		}
		prev = s.seq
	}
	if len(mid) < 3 {
		t.Fatalf("only %d of %d runs stopped mid-stream: %v", len(mid), len(stops), mid)
	}
	for i, s := range mid {
		if len(mid) > 12 && i%(len(mid)/12) != 0 {
			continue // a sample is enough
		}
		ref, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "ref.db"), UntilSeq: s.seq})
		if err != nil {
			t.Fatal(err)
		}
		forumtest.CompareDumps(t, fmt.Sprintf("stopped at seq %d", s.seq), s.dump, forumtest.Dump(t, ref.Path))
	}
	clean, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "clean.db")})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.CompareDumps(t, "after the crashes vs a clean rebuild", last.dump, forumtest.Dump(t, clean.Path))
	t.Logf("%d runs, %d stopped mid-stream, head %d", len(stops), len(mid), head)
}
