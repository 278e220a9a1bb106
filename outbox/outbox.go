// Package outbox performs the side effects of events (a mail, later a push)
// once across every instance of the forum. It follows the log with a
// durable consumer that the instances share, so each event is handed to
// one of them at a time; it asks its Decide what the event causes, performs
// it, records in the log that it did, and only then acknowledges the event.
// A process killed before the acknowledgement loses nothing: the event is
// handed out again, and the record (looked for first) keeps a performed
// effect from being performed twice. A failed effect is retried with
// backoff until its deadline, then dropped and counted. Nothing here is a
// projector: a rebuild or a replay of the read models performs nothing.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"forum/events"
)

// Effect is what one event causes: Do performs it; once done, an event of
// type Record with payload Sent is appended to Record.Subject(Key), under
// message id ID, as the log's record of it.
type Effect struct {
	// ID names the effect for ever: derived from the causing event (a
	// mail's Message-ID), so a second attempt is recognisable.
	ID string
	// Key is the subject key of the record (the causing event's id).
	Key string
	// Record is the type of the record, Sent its payload (no secret in it).
	Record events.Type
	Sent   any
	// Deadline is when the effect is given up on if it has not succeeded.
	Deadline time.Time
	// Do performs the effect.
	Do func(ctx context.Context) error
}

// Log is the stream as the outbox uses it.
type Log interface {
	Durable(ctx context.Context, cfg events.DurableConfig) (*events.Durable, error)
	Append(ctx context.Context, subject string, env events.Envelope, opts ...events.AppendOption) (events.Ack, error)
	Last(ctx context.Context, subject string) (events.Event, error)
}

// Config shapes an Outbox.
type Config struct {
	// Name is the durable consumer's name, shared by every instance: a
	// stable contract (a new name starts over from the stream's beginning).
	Name string
	// Subjects are the filters of the events that may cause an effect.
	Subjects []string
	// Metric names the counters: forum_<Metric>_sent_total,
	// forum_<Metric>_failed_total and forum_<Metric>_retries_total.
	Metric string
	Log    Log
	// Decide returns what ev causes, nil for nothing. An error is
	// retried like a failed effect.
	Decide func(ctx context.Context, ev events.Event) (*Effect, error)
	// Workers bounds the effects performed at once on this instance
	// (default 4), Timeout each attempt (default 1 minute).
	Workers int
	Timeout time.Duration
	// AckWait is how long an event handed out to an instance that says
	// nothing more waits before another takes it (default 2 minutes;
	// an attempt in progress keeps saying it works).
	AckWait time.Duration
	// RetryFirst is the delay before the first retry (default 30 s);
	// each next one doubles, up to RetryMax (default 1 hour).
	RetryFirst, RetryMax time.Duration
	Now                  func() time.Time
	Logger               *slog.Logger
}

// Outbox performs the effects of events; see the package comment.
type Outbox struct {
	cfg                   Config
	sent, failed, retries prometheus.Counter
	slots                 chan struct{}
	wg                    sync.WaitGroup
}

// New returns an Outbox; Run starts it.
func New(cfg Config) *Outbox {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 2 * time.Minute
	}
	if cfg.RetryFirst <= 0 {
		cfg.RetryFirst = 30 * time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	counter := func(what, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "forum_" + cfg.Metric + "_" + what + "_total", Help: help})
	}
	return &Outbox{
		cfg:     cfg,
		sent:    counter("sent", "Effects ("+cfg.Metric+") performed and recorded in the log."),
		failed:  counter("failed", "Effects ("+cfg.Metric+") given up on: failed until their deadline."),
		retries: counter("retries", "Attempts ("+cfg.Metric+") that failed and are tried again later."),
		slots:   make(chan struct{}, cfg.Workers),
	}
}

// Collectors returns the outbox's metrics, to register.
func (o *Outbox) Collectors() []prometheus.Collector {
	return []prometheus.Collector{o.sent, o.failed, o.retries}
}

// Counts returns the effects performed, given up on, and retried so far
// by this instance.
func (o *Outbox) Counts() (sent, failed, retries int) {
	return int(counterValue(o.sent)), int(counterValue(o.failed)), int(counterValue(o.retries))
}

// Run takes events and performs their effects until ctx ends, then waits
// for the attempts under way. A consumer that cannot be reached is tried
// again (every few seconds): nothing else waits on the outbox.
func (o *Outbox) Run(ctx context.Context) {
	defer o.wg.Wait()
	wait := time.Second
	for ctx.Err() == nil {
		err := o.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		o.cfg.Logger.Warn("outbox: following the log again", "outbox", o.cfg.Name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (o *Outbox) follow(ctx context.Context) error {
	d, err := o.cfg.Log.Durable(ctx, events.DurableConfig{
		Name: o.cfg.Name, Subjects: o.cfg.Subjects, AckWait: o.cfg.AckWait,
		MaxAckPending: 16 * o.cfg.Workers, Prefetch: 1,
	})
	if err != nil {
		return err
	}
	defer d.Stop()
	for {
		// A slot first: an event is taken only when it can be worked on,
		// so events wait in the log, where another instance may take them.
		select {
		case o.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		del, err := d.Next(ctx)
		if err != nil {
			<-o.slots
			return err
		}
		o.wg.Go(func() {
			defer func() { <-o.slots }()
			o.handle(ctx, del)
		})
	}
}

// handle decides and performs one event's effect, and answers it. When
// run ends first, the event is left unanswered, as a process killed then
// would: it is handed out again (to any instance) when its AckWait ends.
func (o *Outbox) handle(run context.Context, d *events.Delivery) {
	ctx := context.WithoutCancel(run)
	log := o.cfg.Logger.With("outbox", o.cfg.Name, "seq", d.Seq, "type", d.Type, "attempt", d.Attempt)
	if d.Undecodable != "" {
		log.Warn("outbox: an event that does not decode is passed over", "reason", d.Undecodable)
		o.answer(log, d.Drop())
		return
	}
	eff, err := o.cfg.Decide(ctx, d.Event)
	if err != nil {
		o.retry(log, d, d.Time.Add(24*time.Hour), fmt.Errorf("decide: %w", err))
		return
	}
	if eff == nil {
		o.answer(log, d.Ack(ctx))
		return
	}
	log = log.With("effect", eff.ID)
	switch _, err := o.cfg.Log.Last(ctx, eff.Record.Subject(eff.Key)); {
	case err == nil: // performed before an answer was lost: not again
		o.answer(log, d.Ack(ctx))
		return
	case !errors.Is(err, events.ErrNoEvent):
		o.retry(log, d, eff.Deadline, err)
		return
	}
	if !o.cfg.Now().Before(eff.Deadline) {
		o.failed.Inc()
		log.Warn("outbox: past its deadline; dropped")
		o.answer(log, d.Drop())
		return
	}
	if err := o.perform(run, d, eff); err != nil {
		if run.Err() != nil {
			log.Info("outbox: stopped while performing; the event is handed out again", "err", err)
			return
		}
		o.retry(log, d, eff.Deadline, err)
		return
	}
	if err := o.record(ctx, eff); err != nil {
		// Performed but not recorded: handed out again, performed again
		// under the same id, which the receiver can tell.
		log.Error("outbox: performed, but the record failed", "err", err)
		o.answer(log, d.Retry(o.cfg.RetryFirst))
		return
	}
	o.sent.Inc()
	log.Info("outbox: done")
	o.answer(log, d.Ack(ctx))
}

// perform runs eff.Do with the attempt's timeout, telling the consumer
// meanwhile that the event is being worked on.
func (o *Outbox) perform(ctx context.Context, d *events.Delivery, eff *Effect) error {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- eff.Do(ctx) }()
	tick := time.NewTicker(max(o.cfg.AckWait/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			d.Working()
		}
	}
}

// record appends the log's record of a performed effect, under the
// effect's id, so a second record of it is the same.
func (o *Outbox) record(ctx context.Context, eff *Effect) error {
	now := o.cfg.Now()
	env, err := events.New(events.NewID(now), eff.Record, now, "", eff.Sent)
	if err != nil {
		return err
	}
	_, err = o.cfg.Log.Append(ctx, eff.Record.Subject(eff.Key), env, events.WithMsgID(eff.ID))
	return err
}

// retry hands the event out again after a delay that doubles with each
// attempt, or drops it (counted as failed) when the next attempt would come
// after deadline.
func (o *Outbox) retry(log *slog.Logger, d *events.Delivery, deadline time.Time, cause error) {
	delay := o.cfg.RetryFirst
	for i := uint64(1); i < d.Attempt && delay < o.cfg.RetryMax; i++ {
		delay *= 2
	}
	delay = min(delay, o.cfg.RetryMax)
	if o.cfg.Now().Add(delay).After(deadline) {
		o.failed.Inc()
		log.Warn("outbox: failed until its deadline; dropped", "err", cause)
		o.answer(log, d.Drop())
		return
	}
	o.retries.Inc()
	log.Warn("outbox: failed; tried again later", "in", delay, "err", cause)
	o.answer(log, d.Retry(delay))
}

// answer logs a failure to answer the consumer: the event comes back when
// its AckWait ends, and the record keeps it from being performed twice.
func (o *Outbox) answer(log *slog.Logger, err error) {
	if err != nil {
		log.Warn("outbox: answer to the log failed; the event comes back", "err", err)
	}
}
