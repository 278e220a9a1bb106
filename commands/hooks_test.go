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
