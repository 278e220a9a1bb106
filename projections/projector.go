package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
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

// maxBatch bounds how many events one transaction applies.
const maxBatch = 5000

// Projector applies events to the read models in batches. Each batch and the
// checkpoint commit in one transaction, so a crash at any instant leaves rows
// and checkpoint consistent and no event is applied twice in effect. After
// each commit the batch joins the change feed and waiters are woken.
type Projector struct {
	db  *DB
	log *slog.Logger

	mu      sync.Mutex
	seq     uint64        // last applied stream sequence
	changed chan struct{} // closed and replaced after every commit
	feed    ring
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
	return &Projector{db: db, log: logger, seq: seq, changed: make(chan struct{}), feed: newRing(10000, 32<<20)}, nil
}

// DB returns the read models the projector writes.
func (p *Projector) DB() *DB { return p.db }

// Seq returns the stream sequence of the last applied event.
func (p *Projector) Seq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq
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

// Run follows src from the checkpoint and applies events until ctx ends. It
// logs errors and retries with backoff, so it returns only when ctx ends.
func (p *Projector) Run(ctx context.Context, src Source) {
	backoff := 100 * time.Millisecond
	for {
		err := p.follow(ctx, src, 0, time.Time{})
		if ctx.Err() != nil {
			return
		}
		p.log.Error("projector", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// CatchUp applies events up to and including sequence until (which must
// exist), stopping early before the first event whose time is after
// untilTime when that is not zero.
func (p *Projector) CatchUp(ctx context.Context, src Source, until uint64, untilTime time.Time) error {
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
	ch := make(chan events.Event, maxBatch)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		for {
			ev, err := f.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	batch := make([]events.Event, 0, maxBatch)
	for {
		ev, open := <-ch
		if !open {
			return <-errc
		}
		batch = append(batch[:0], ev)
	fill:
		for len(batch) < maxBatch {
			select {
			case ev, open := <-ch:
				if !open {
					break fill
				}
				batch = append(batch, ev)
			default:
				break fill
			}
		}
		stop := false
		if until > 0 || !untilTime.IsZero() {
			for i, ev := range batch {
				if (until > 0 && ev.Seq > until) || (!untilTime.IsZero() && ev.Time.After(untilTime)) {
					batch, stop = batch[:i], true
					break
				}
			}
		}
		if err := p.Apply(ctx, batch); err != nil {
			return err
		}
		if stop || (until > 0 && p.Seq() >= until) {
			return nil
		}
	}
}

// Apply applies a batch of events in one transaction together with the
// checkpoint, skipping events at or below the checkpoint, then publishes
// them to the change feed. Events must be in stream order.
//
// A batch that has begun runs to its end even if ctx ends meanwhile, so a
// shutdown lets the projector finish its batch.
func (p *Projector) Apply(ctx context.Context, batch []events.Event) error {
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
	tx, err := p.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	a := &applier{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	for _, ev := range fresh {
		if err := a.apply(ev); err != nil {
			var skip errSkip
			if !errors.As(err, &skip) {
				return fmt.Errorf("apply %s %d: %w", ev.Type, ev.Seq, err)
			}
			p.log.Warn("skipped undecodable event", "seq", ev.Seq, "type", ev.Type, "err", err)
		}
	}
	last := fresh[len(fresh)-1].Seq
	if _, err := a.exec(`UPDATE meta SET value = ? WHERE key = 'seq'`, strconv.FormatUint(last, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	p.mu.Lock()
	p.seq = last
	for _, ev := range fresh {
		p.feed.push(ev)
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	return nil
}
