package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forum/projections"
)

// The admin endpoint is a socket only its owner may use; it runs one
// online rebuild at a time, answers what it did, or why not, and is gone
// once stopped; `forum rebuild --online` prints its answer.
func TestAdminEndpoint(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "adm") // short: a socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	type answer struct {
		res projections.RebuildResult
		err error
	}
	started, answers := make(chan struct{}), make(chan answer)
	rebuild := func(ctx context.Context) (projections.RebuildResult, error) {
		started <- struct{}{}
		a := <-answers
		return a.res, a.err
	}
	stop, err := serveAdmin(context.Background(), dir, rebuild, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	fi, err := os.Stat(filepath.Join(dir, adminSocket))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v %v, want a socket of mode 0600", fi, err)
	}

	var first bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- rebuildOnline(context.Background(), dir, &first) }()
	<-started
	var second bytes.Buffer
	if err := rebuildOnline(context.Background(), dir, &second); err == nil || !strings.Contains(err.Error(), "under way") {
		t.Errorf("a second rebuild while one is under way: %v, want it refused", err)
	}
	answers <- answer{res: projections.RebuildResult{Path: filepath.Join(dir, "read-1.db"), Events: 500, Seq: 500, Duration: 250 * time.Millisecond}}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "rebuilt 500 events online in 0.250 s (2000 events/s) up to seq 500 and swapped in " + filepath.Join(dir, "read-1.db") + "\n"
	if !strings.HasSuffix(first.String(), want) {
		t.Errorf("forum rebuild --online printed %q, want it to end with %q", first.String(), want)
	}

	go func() { done <- rebuildOnline(context.Background(), dir, &second) }()
	<-started
	answers <- answer{err: errors.New("no stream")}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "no stream") {
		t.Errorf("a failed rebuild: %v, want its error", err)
	}

	stop()
	if _, err := os.Stat(filepath.Join(dir, adminSocket)); !os.IsNotExist(err) {
		t.Errorf("the socket after stop: %v, want it gone", err)
	}
	if err := rebuildOnline(context.Background(), dir, &second); err == nil || !strings.Contains(err.Error(), "no forum answers") {
		t.Errorf("with no forum running: %v, want no forum answers", err)
	}
}
