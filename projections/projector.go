package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"forum/events"
)

// Source is where the projector reads events: the stream, in order, from a
// sequence on.
type Source interface {
	Follow(ctx context.Context, from uint64) (*events.Follower, error)
}

// maxBatch bounds how many events one transaction of the serving read
// models applies; bulkBatch one of a fresh file being loaded (a rebuild),
// where fewer, larger transactions are faster and nobody waits on them.
const (
	maxBatch  = 5000
	bulkBatch = 20000
)

// Projector applies events to the read models in batches. Each batch and the
// checkpoint commit in one transaction, so a crash at any instant leaves rows
// and checkpoint consistent and no event is applied twice in effect. After
// each commit the batch joins the change feed and waiters are woken.
type Projector struct {
	db   *DB
	log  *slog.Logger
	keys *events.Keyring // opens sealed personal data (nil: none expected)
	// applyMu is held while a batch is applied, so an online rebuild can
	// swap the read models between batches.
	applyMu sync.Mutex

	mu          sync.Mutex
	seq         uint64    // last applied stream sequence
	shown       uint64    // last commit that changed more than view counts (see ShownSeq)
	quarantined uint64    // events recorded in quarantine instead of applied
	progressAt  time.Time // last commit, or the last (re)start of following
	recoveries  uint64    // times following failed or stalled and started over
	bulk        bool      // loading a fresh file: bulkBatch events a transaction
	commits     uint64    // batches committed
	applied     uint64    // events in those batches
	stallAfter  time.Duration
	loadFrom    uint64        // the shortest stream loaded in bulk on start (0: loadAtStartMin)
	changed     chan struct{} // closed and replaced after every commit
	feed        ring
}

// NewProjector returns a projector over db, resuming after its checkpoint.
func NewProjector(db *DB, logger *slog.Logger) (*Projector, error) {
	seq, err := db.Checkpoint(context.Background())
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	q, err := db.quarantineCount(context.Background())
	if err != nil {
		return nil, err
	}
	return &Projector{db: db, log: logger, seq: seq, shown: seq, quarantined: q, stallAfter: StallAfter, progressAt: time.Now(), changed: make(chan struct{}), feed: newRing(10000, 32<<20)}, nil
}

// DB returns the read models the projector writes.
func (p *Projector) DB() *DB { return p.db }

// Seq returns the stream sequence of the last applied event.
func (p *Projector) Seq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq
}

// ShownSeq returns the stream sequence of the last commit that changed what
// the read models show anyone other than posts' view counts: a commit of
// only post.read events moves Seq and not ShownSeq (it changes readers'
// own marks, which nothing shared holds, and view counts).
func (p *Projector) ShownSeq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown
}

// Quarantined returns how many events the read models hold in quarantine.
func (p *Projector) Quarantined() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.quarantined
}

// LastProgress returns when the projector last committed (or started
// following the stream afresh).
func (p *Projector) LastProgress() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.progressAt
}

// Recoveries returns how many times following the stream failed or stalled
// and was started over from the checkpoint.
func (p *Projector) Recoveries() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.recoveries
}

// Commits returns how many batches the projector has committed, and how
// many events they held: concurrent writes become one transaction each
// batch, so events/commits is the group-commit factor.
func (p *Projector) Commits() (commits, applied uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.commits, p.applied
}

// Changed returns a channel that is closed at the next commit.
func (p *Projector) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// WaitFor blocks until the event at seq is applied, or ctx ends (its error).
// It gives a writer read-your-writes.
func (p *Projector) WaitFor(ctx context.Context, seq uint64) error {
	for {
		p.mu.Lock()
		done, ch := p.seq >= seq, p.changed
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for event %d: %w", seq, ctx.Err())
		}
	}
}

// Since returns the committed events after sequence after, oldest first, at
// most max of them. ok is false when some of those events have already left
// the in-memory feed (the caller must read them from the stream instead).
func (p *Projector) Since(after uint64, max int) (evs []events.Event, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.feed.since(after, p.seq, max)
}

// StallAfter is how long the projector may make no progress while the
// stream has events it has not applied before it starts following afresh.
const StallAfter = 5 * time.Second

// Head is the stream as the projector's watchdog sees it.
type Head interface {
	LastSeq(ctx context.Context) (uint64, error)
}

// Run follows src from the checkpoint and applies events until ctx ends.
// It heals itself: when following fails, or makes no progress for
// StallAfter while the stream's head is ahead, it logs and counts it and
// follows afresh (a new consumer) from its own checkpoint, with backoff.
// Read models that are empty on start while the stream is long are loaded
// on the rebuild road first (loadAtStart). It returns only when ctx ends.
func (p *Projector) Run(ctx context.Context, src RebuildSource) {
	if p.keys == nil {
		p.keys = keysOf(ctx, src)
	}
	p.loadAtStart(ctx, src)
	backoff := 100 * time.Millisecond
	for {
		fctx, cancel := context.WithCancel(ctx)
		p.mu.Lock()
		p.progressAt = time.Now()
		p.mu.Unlock()
		var wg sync.WaitGroup
		stalled := make(chan struct{}, 1)
		wg.Go(func() { p.watch(fctx, src, cancel, stalled) })
		err := p.follow(fctx, src, 0, time.Time{})
		cancel()
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		select {
		case <-stalled:
			err = fmt.Errorf("no progress for %v while the stream is ahead", p.stallAfter)
			backoff = 100 * time.Millisecond
		default:
		}
		p.mu.Lock()
		p.recoveries++
		p.mu.Unlock()
		p.log.Error("projector: following the stream afresh", "err", err, "from", p.Seq()+1, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// watch cancels following (through cancel, noting it in stalled) when it
// makes no progress for StallAfter while head is ahead of the checkpoint.
func (p *Projector) watch(ctx context.Context, head Head, cancel context.CancelFunc, stalled chan<- struct{}) {
	tick := time.NewTicker(p.stallAfter / 5)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(p.LastProgress()) < p.stallAfter {
			continue
		}
		hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
		last, err := head.LastSeq(hctx)
		hcancel()
		if err == nil && last > p.Seq() {
			stalled <- struct{}{}
			cancel()
			return
		}
	}
}

// CatchUp applies events up to and including sequence until (which must
// exist), stopping early before the first event whose time is after
// untilTime when that is not zero.
func (p *Projector) CatchUp(ctx context.Context, src Source, until uint64, untilTime time.Time) error {
	if p.keys == nil {
		p.keys = keysOf(ctx, src)
	}
	if p.Seq() >= until {
		return nil
	}
	return p.follow(ctx, src, until, untilTime)
}

// follow reads events into a bounded channel from one goroutine and applies
// them in batches from this one.
func (p *Projector) follow(ctx context.Context, src Source, until uint64, untilTime time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f, err := src.Follow(ctx, p.Seq()+1)
	if err != nil {
		return err
	}
	defer f.Stop()
	size := maxBatch
	if p.bulk {
		size = bulkBatch
	}
	ch, errc := readAhead(ctx, f, size)
	batch := make([]events.Event, 0, size)
	for {
		ev, open := <-ch
		if !open {
			return <-errc
		}
		batch = fillBatch(append(batch[:0], ev), ch, size)
		todo, stop := cutBatch(batch, until, untilTime)
		if err := p.Apply(ctx, todo); err != nil {
			return err
		}
		if stop || (until > 0 && p.Seq() >= until) {
			return nil
		}
	}
}

// readAhead reads f's events, decoded ahead, into a channel of size from a
// goroutine of its own, until ctx ends or f fails; then it closes the
// channel, the error waiting on the other.
func readAhead(ctx context.Context, f *events.Follower, size int) (<-chan events.Event, <-chan error) {
	ch := make(chan events.Event, size)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		for {
			ev, err := f.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			ev.DecodeAhead()
			select {
			case ch <- ev:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	return ch, errc
}

// fillBatch adds to batch what ch already holds, up to size events.
func fillBatch(batch []events.Event, ch <-chan events.Event, size int) []events.Event {
	for len(batch) < size {
		select {
		case ev, open := <-ch:
			if !open {
				return batch
			}
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

// cutBatch cuts batch before its first event past sequence until or time
// untilTime (each ignored when zero); stop says it was cut.
func cutBatch(batch []events.Event, until uint64, untilTime time.Time) ([]events.Event, bool) {
	if until == 0 && untilTime.IsZero() {
		return batch, false
	}
	for i, ev := range batch {
		if (until > 0 && ev.Seq > until) || (!untilTime.IsZero() && ev.Time.After(untilTime)) {
			return batch[:i], true
		}
	}
	return batch, false
}

// Apply applies a batch of events in one transaction together with the
// checkpoint, skipping events at or below the checkpoint, then publishes
// them to the change feed, each with its payload decoded and opened in
// Decoded (nil when it was not applied). Events must be in stream order.
//
// A batch that has begun runs to its end even if ctx ends meanwhile, so a
// shutdown lets the projector finish its batch.
func (p *Projector) Apply(ctx context.Context, batch []events.Event) error {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	ctx = context.WithoutCancel(ctx)
	from := p.Seq()
	fresh := batch[:0:0]
	for _, ev := range batch {
		if ev.Seq > from {
			fresh = append(fresh, ev)
			from = ev.Seq
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	f := p.db.cur.Load()
	tx, err := f.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	a := &applier{ctx: ctx, tx: tx, cache: f.wstmts, stmts: map[string]*sql.Stmt{}, keys: p.keys}
	quarantined, err := p.applyEach(a, fresh)
	if err != nil {
		return err
	}
	if err := a.flushActorEvents(); err != nil {
		return err
	}
	if err := a.flushCounters(); err != nil {
		return err
	}
	last := fresh[len(fresh)-1].Seq
	if _, err := a.exec(`UPDATE meta SET value = ? WHERE key = 'seq'`, strconv.FormatUint(last, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	p.db.memo.afterCommit(fresh, a.rendered, a.reads)
	for _, q := range a.missed {
		if _, err := f.wstmts.get(ctx, q); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.seq = last
	if slices.ContainsFunc(fresh, func(ev events.Event) bool { return ev.Type != events.PostRead }) {
		p.shown = last
	}
	p.quarantined += quarantined
	p.progressAt = time.Now()
	p.commits++
	p.applied += uint64(len(fresh))
	for _, ev := range fresh {
		// With its payload as applied, so nobody decodes it again (about
		// as large again as its bytes, which bound the feed).
		p.feed.push(ev)
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	return nil
}

// applyEach applies fresh with a, setting each event's Decoded to its
// payload as applied; an event that cannot be applied is quarantined, and
// counted in quarantined. A database error stops it.
func (p *Projector) applyEach(a *applier, fresh []events.Event) (quarantined uint64, err error) {
	for i, ev := range fresh {
		var err error = errSkip{errors.New(ev.Undecodable)}
		if ev.Undecodable == "" {
			fresh[i].Decoded, err = a.apply(ev)
		}
		var skip errSkip
		if errors.As(err, &skip) {
			if err := a.quarantine(ev, skip.err.Error()); err != nil {
				return quarantined, err
			}
			quarantined++
			p.log.Warn("quarantined an event that cannot be applied", "seq", ev.Seq, "subject", ev.Subject, "type", ev.Type, "reason", skip.err)
		} else if err != nil {
			return quarantined, fmt.Errorf("apply %s %d: %w", ev.Type, ev.Seq, err)
		}
	}
	return quarantined, nil
}

// SetKeys gives the projector the keyring that opens personal data; it
// forgets an erased user's key as soon as it applies their erasure.
func (p *Projector) SetKeys(k *events.Keyring) { p.keys = k }
