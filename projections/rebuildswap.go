package projections

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// RebuildOnline rebuilds the read models p serves into a fresh file beside
// them while p goes on serving and following, then swaps the new file in
// between two batches: every query from then on reads it, and the read
// models' name (read.db) links to it, so a restart opens it too. The old
// file is removed once the queries on it have ended. It returns what the
// rebuild did; a failure leaves the old read models in place.
func (p *Projector) RebuildOnline(ctx context.Context, src RebuildSource, logger *slog.Logger) (RebuildResult, error) {
	live := p.db
	next := filepath.Join(filepath.Dir(live.path), fmt.Sprintf("read-%d.db", time.Now().UnixNano()))
	ndb, _, err := OpenDB(next)
	if err != nil {
		return RebuildResult{}, err
	}
	fail := func(err error) (RebuildResult, error) {
		ndb.Close()
		removeFiles(next)
		return RebuildResult{}, fmt.Errorf("rebuild online: %w", err)
	}
	finish, err := ndb.bulkLoad(ctx)
	if err != nil {
		return fail(err)
	}
	np, err := NewProjector(ndb, logger)
	if err != nil {
		return fail(err)
	}
	np.bulk = true
	np.keys = p.keys
	start := time.Now()
	// Catch up from a distance while p goes on, then the last stretch
	// with p held between batches, so both stand at the same event.
	for target := p.Seq(); np.Seq()+1000 < target; target = p.Seq() {
		if err := np.CatchUp(ctx, src, target, time.Time{}); err != nil {
			return fail(err)
		}
	}
	if err := finish(ctx); err != nil {
		return fail(err)
	}
	p.applyMu.Lock()
	if target := p.Seq(); np.Seq() < target {
		if err := np.CatchUp(ctx, src, target, time.Time{}); err != nil {
			p.applyMu.Unlock()
			return fail(err)
		}
	}
	old := live.cur.Swap(ndb.cur.Load())
	p.mu.Lock()
	p.quarantined = np.Quarantined()
	p.mu.Unlock()
	p.applyMu.Unlock()

	// The name links to the new file from now on.
	link := live.path + ".link"
	os.Remove(link)
	if err := os.Symlink(filepath.Base(next), link); err == nil {
		err = os.Rename(link, live.path)
	}
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild online: swapped in %s, but %s does not name it: %w", next, live.path, err)
	}
	// The old file goes once the queries that began on it have ended.
	go func() {
		old.close()
		if old.path != live.path {
			removeFiles(old.path)
		} else { // a plain file the link replaced: only its journal is left
			os.Remove(old.path + "-wal")
			os.Remove(old.path + "-shm")
		}
	}()
	return RebuildResult{Path: next, Events: np.Seq(), Seq: np.Seq(), Duration: time.Since(start)}, nil
}
