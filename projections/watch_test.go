package projections

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// head is a stream head that stands where the test puts it.
type head uint64

func (h head) LastSeq(context.Context) (uint64, error) { return uint64(h), nil }

// The watchdog gives up on following that makes no progress while the
// stream is ahead, and leaves alone a projector that is caught up.
func TestWatchdog(t *testing.T) {
	t.Parallel()
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.stallAfter = 100 * time.Millisecond
	for _, tc := range []struct {
		name  string
		head  head
		stall bool
	}{{"caught up", 0, false}, {"ahead", 5, true}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		stalled := make(chan struct{}, 1)
		p.progressAt = time.Now()
		p.watch(ctx, tc.head, cancel, stalled)
		select {
		case <-stalled:
			if !tc.stall {
				t.Errorf("%s: reported a stall", tc.name)
			}
		default:
			if tc.stall {
				t.Errorf("%s: no stall reported within a second", tc.name)
			}
		}
		cancel()
	}
}
