package main

import (
	"context"
	"sync"
	"time"
)

// forEach calls fn(ctx, i) for every i in [0, n) on at most workers goroutines and waits for them. It
// stops handing out new calls once ctx ends or a call fails, and returns the first failure (or ctx's
// error); nil means every call ran and succeeded.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// pace returns a channel that yields 0, 1, …, n-1 and is then closed. With rate > 0 the values are due
// at rate per second from the call on (a value taken late is handed out at once, so a stall is caught
// up); with rate ≤ 0 each is yielded as soon as it is taken. The channel is closed early when ctx ends,
// so a deadline on ctx caps the run in time as n caps it in count.
func pace(ctx context.Context, n int, rate float64) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		start := time.Now()
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		for i := range n {
			if rate > 0 {
				due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
				if wait := time.Until(due); wait > 0 {
					timer.Reset(wait)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case out <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// drain polls done until it reports true, timeout passes or ctx ends, and returns done's last answer.
// It is how a scenario waits for the deliveries still in flight after its last send.
func drain(ctx context.Context, timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		if !time.Now().Before(deadline) {
			return done()
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return done()
		}
	}
	return true
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
