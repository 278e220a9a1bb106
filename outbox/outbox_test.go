package outbox_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/outbox"
)

// run runs an outbox over the categories the seed made (one event each),
// with decide, until the test ends.
func run(t *testing.T, c *forumtest.Core, name string, decide func(context.Context, events.Event) (*outbox.Effect, error)) *outbox.Outbox {
	t.Helper()
	ob := outbox.New(outbox.Config{
		Name: name, Subjects: []string{events.CategoryCreated.Subject("*")}, Metric: "test", Log: c.Store, Decide: decide,
		AckWait: time.Second, RetryFirst: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { ob.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ob
}

func settled(t *testing.T, c *forumtest.Core, name string) func() bool {
	return func() bool {
		waiting, unanswered, err := c.Store.DurablePending(forumtest.Context(t), name)
		return err == nil && waiting == 0 && unanswered == 0
	}
}

func categories(t *testing.T, c *forumtest.Core) int {
	t.Helper()
	evs, err := c.Store.History(forumtest.Context(t), []string{events.CategoryCreated.Subject("*")}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func effect(ev events.Event, deadline time.Time, do func(context.Context) error) *outbox.Effect {
	return &outbox.Effect{
		ID: ev.ID + ".test@forum.test", Key: ev.ID, Record: events.MailSent, Deadline: deadline, Do: do,
		Sent: events.MailSentData{Kind: "test", CauseID: ev.ID, CauseSeq: ev.Seq, MessageID: "<" + ev.ID + ".test@forum.test>"},
	}
}

func TestAnEffectFailingUntilItsDeadlineIsDroppedAndCounted(t *testing.T) {
	c := forumtest.NewCore(t, forumtest.Options{})
	n := categories(t, c)
	var tries atomic.Int64
	deadline := time.Now().Add(150 * time.Millisecond)
	ob := run(t, c, "test-failing", func(_ context.Context, ev events.Event) (*outbox.Effect, error) {
		return effect(ev, deadline, func(context.Context) error {
			tries.Add(1)
			return errors.New("refused")
		}), nil
	})
	forumtest.Eventually(t, "every effect is given up on", func() bool { _, failed, _ := ob.Counts(); return failed == n })
	forumtest.Eventually(t, "the outbox settles", settled(t, c, "test-failing"))
	sent, failed, retries := ob.Counts()
	if sent != 0 || failed != n || retries < n || int(tries.Load()) < n+1 {
		t.Fatalf("sent %d, failed %d, retries %d, tries %d; want 0, %d, at least %d, more than %d", sent, failed, retries, tries.Load(), n, n, n)
	}
}

func TestAnEffectPastItsDeadlineIsNotPerformed(t *testing.T) {
	c := forumtest.NewCore(t, forumtest.Options{})
	n := categories(t, c)
	var tries atomic.Int64
	ob := run(t, c, "test-late", func(_ context.Context, ev events.Event) (*outbox.Effect, error) {
		return effect(ev, time.Now().Add(-time.Second), func(context.Context) error { tries.Add(1); return nil }), nil
	})
	forumtest.Eventually(t, "the outbox settles", settled(t, c, "test-late"))
	if _, failed, _ := ob.Counts(); failed != n || tries.Load() != 0 {
		t.Fatalf("failed %d, performed %d; want %d and none", failed, tries.Load(), n)
	}
}

func TestARecordedEffectIsNotPerformedAgain(t *testing.T) {
	c := forumtest.NewCore(t, forumtest.Options{})
	n := categories(t, c)
	var tries atomic.Int64
	decide := func(_ context.Context, ev events.Event) (*outbox.Effect, error) {
		return effect(ev, time.Now().Add(time.Hour), func(context.Context) error { tries.Add(1); return nil }), nil
	}
	first := run(t, c, "test-once", decide)
	forumtest.Eventually(t, "every effect is performed", func() bool { sent, _, _ := first.Counts(); return sent == n })
	// Another consumer (a new name starts over from the beginning) finds
	// every effect recorded, and performs none again.
	second := run(t, c, "test-once-again", decide)
	forumtest.Eventually(t, "the second outbox settles", settled(t, c, "test-once-again"))
	if sent, _, _ := second.Counts(); sent != 0 || tries.Load() != int64(n) {
		t.Fatalf("the second outbox sent %d, performed %d in all; want none again, %d", sent, tries.Load(), n)
	}
}
