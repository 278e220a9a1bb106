package projections

import (
	"cmp"
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
	res, err := p.loadAndSwap(ctx, src, logger, false)
	if err != nil {
		return res, fmt.Errorf("rebuild online: %w", err)
	}
	return res, nil
}

// loadAtStartMin is the shortest stream a projector with empty read models
// loads in bulk on start (Run) rather than follows: below it, following
// applies the stream in a few transactions anyway.
const loadAtStartMin = bulkBatch

// loadAtStart loads p's read models on the rebuild road when they are empty
// and the stream holds at least loadAtStartMin events, so that a first start on
// a long stream is as fast as a rebuild. p must not be following yet. A
// load that fails is logged, and p follows the stream instead.
func (p *Projector) loadAtStart(ctx context.Context, src RebuildSource) {
	if p.Seq() > 0 {
		return
	}
	if last, err := src.LastSeq(ctx); err != nil || last < cmp.Or(p.loadFrom, loadAtStartMin) {
		return
	}
	p.log.Info("loading the read models from the stream")
	stop := p.keepProgressing()
	res, err := p.loadAndSwap(ctx, src, p.log, true)
	stop()
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("loading the read models from the stream: following it instead", "err", err)
		}
		return
	}
	p.log.Info("loaded the read models from the stream", "events", res.Events, "seconds", res.Duration.Seconds(), "events_per_s", int(res.Rate()), "file", res.Path)
}

// loadAndSwap loads a fresh file beside p's read models and swaps it in
// for them between two batches (RebuildOnline). Following p, the load
// catches up with what p has applied; at start (p not following yet), it
// catches up with the stream's head, and p then stands where the load
// does.
func (p *Projector) loadAndSwap(ctx context.Context, src RebuildSource, logger *slog.Logger, atStart bool) (RebuildResult, error) {
	live := p.db
	next := filepath.Join(filepath.Dir(live.path), fmt.Sprintf("read-%d.db", time.Now().UnixNano()))
	l, err := newLoad(ctx, next, p.keys, atStart, logger)
	if err != nil {
		return RebuildResult{}, err
	}
	target := func() (uint64, error) { return p.Seq(), nil }
	if atStart {
		target = func() (uint64, error) { return src.LastSeq(ctx) }
	}
	if err := l.catchUp(ctx, src, target, live); err != nil {
		l.abort()
		return RebuildResult{}, err
	}
	p.applyMu.Lock()
	err = l.catchUpLast(ctx, src, target)
	var plain bool
	if err == nil {
		plain, err = live.link(next)
	}
	if err != nil {
		p.applyMu.Unlock()
		l.abort()
		return RebuildResult{}, err
	}
	old := p.takeOver(l.p)
	p.applyMu.Unlock()
	go retire(old, plain)
	return l.result(), nil
}

// takeOver makes np's file the one p serves and writes, from the same
// event on: every query from now on reads it. p must hold applyMu. It
// returns the file p served until now.
func (p *Projector) takeOver(np *Projector) (old *dbFile) {
	seq, quarantined := np.Seq(), np.Quarantined()
	old = p.db.cur.Swap(np.db.cur.Load())
	p.mu.Lock()
	defer p.mu.Unlock()
	p.quarantined = quarantined
	if seq != p.seq { // a load at start: p stands where it does now
		p.seq, p.progressAt = seq, time.Now()
		p.db.memo.forgetAll()
		close(p.changed)
		p.changed = make(chan struct{})
	}
	return old
}

// keepProgressing counts p as making progress until the returned
// function is called: a load at start makes p wait, and is no stall (a
// load that fails ends, and p follows the stream instead).
func (p *Projector) keepProgressing() (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(p.stallAfter / 5)
		defer tick.Stop()
		for {
			p.mu.Lock()
			p.progressAt = time.Now()
			p.mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done) }
}

// link makes the read models' name link to file, so a restart opens it.
// plain says whether the name was a plain file until then (not a link).
func (db *DB) link(file string) (plain bool, err error) {
	if fi, err := os.Lstat(db.path); err == nil {
		plain = fi.Mode()&os.ModeSymlink == 0
	}
	link := db.path + ".link"
	os.Remove(link)
	err = os.Symlink(filepath.Base(file), link)
	if err == nil {
		err = os.Rename(link, db.path)
	}
	if err != nil {
		return plain, fmt.Errorf("name %s by %s: %w", file, db.path, err)
	}
	return plain, nil
}

// retire closes old, once the queries that began on it have ended, and
// removes it: its journal only when it was a plain file that the link
// replaced (plain).
func retire(old *dbFile, plain bool) {
	old.close()
	if !plain {
		removeFiles(old.path)
		return
	}
	os.Remove(old.path + "-wal")
	os.Remove(old.path + "-shm")
}
