package commands

import (
	"testing"
	"time"
)

// SetRenderTook makes commands measure their renderings with took until t
// ends. It changes every command of the test binary, so t must not run in
// parallel.
func SetRenderTook(t testing.TB, took func(start time.Time) time.Duration) {
	old := renderTook
	renderTook = took
	t.Cleanup(func() { renderTook = old })
}

// SetBeforeSweep runs fn before each deletion of an unused upload by a
// sweep, until t ends; t must not run in parallel.
func SetBeforeSweep(t testing.TB, fn func(id string)) {
	old := beforeSweep
	beforeSweep = fn
	t.Cleanup(func() { beforeSweep = old })
}
