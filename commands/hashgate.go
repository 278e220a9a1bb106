package commands

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"forum/fault"
)

// hashGate bounds password hashing: argon2id takes 19 MiB and tens of
// milliseconds a hash, so a flood of sign-ins must queue, not pile up. At
// most cap(slots) hashes run at once, at most maxWaiting more wait for a
// slot, and none waits longer than wait; the rest are told to come back
// (EUNAVAILABLE).
type hashGate struct {
	slots      chan struct{}
	inGate     atomic.Int64 // running or waiting
	maxWaiting int64
	wait       time.Duration
}

func newHashGate(slots, queue int, wait time.Duration) *hashGate {
	if slots <= 0 {
		slots = max(1, runtime.NumCPU())
	}
	if queue <= 0 {
		queue = 16 * slots
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	return &hashGate{slots: make(chan struct{}, slots), maxWaiting: int64(slots + queue), wait: wait}
}

// errBusy is what a hash that cannot get a slot in time gets.
var errBusy = fault.Errorf(fault.EUNAVAILABLE, "the server is busy checking passwords; try again in a moment")

// do runs fn in a slot, or fails with errBusy when the queue is full or no
// slot frees up within the wait (or ctx ends first).
func (g *hashGate) do(ctx context.Context, fn func()) error {
	if g.inGate.Add(1) > g.maxWaiting {
		g.inGate.Add(-1)
		return errBusy
	}
	defer g.inGate.Add(-1)
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-timer.C:
		return errBusy
	case <-ctx.Done():
		return errBusy
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

// hash hashes password through the gate.
func (s *Service) hash(ctx context.Context, password string) (hash string, err error) {
	if gerr := s.gate.do(ctx, func() { hash, err = s.Hasher.Hash(password) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// verify checks password against hash through the gate.
func (s *Service) verify(ctx context.Context, hash, password string) (ok bool, err error) {
	err = s.gate.do(ctx, func() { ok = s.Hasher.Verify(hash, password) })
	return ok, err
}
