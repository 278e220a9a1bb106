package projections

import (
	"forum/events"

	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RebuildSource is the stream as a rebuild reads it.
type RebuildSource interface {
	Source
	LastSeq(ctx context.Context) (uint64, error)
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Path     string        // the file written
	Events   uint64        // events applied
	Seq      uint64        // stream sequence the read models stand at
	Duration time.Duration // time spent applying
}

// RebuildOptions say what to rebuild: the read models at Path, as of now,
// or as they were after stream sequence UntilSeq or at UntilTime.
type RebuildOptions struct {
	Path      string
	UntilSeq  uint64
	UntilTime time.Time
	Logger    *slog.Logger
	// Keys opens the personal data in the events (nil: none is sealed).
	Keys *events.Keyring
}

// Rebuild folds the stream from the start into a fresh read-model file. With
// no bound it then swaps the file in for o.Path atomically (the forum must
// not be running on it). With UntilSeq or UntilTime it builds the forum as it
// was then into a separate file beside o.Path, named in the result, and
// leaves o.Path alone.
func Rebuild(ctx context.Context, src RebuildSource, o RebuildOptions) (RebuildResult, error) {
	path, untilSeq, untilTime := o.Path, o.UntilSeq, o.UntilTime
	last, err := src.LastSeq(ctx)
	if err != nil {
		return RebuildResult{}, err
	}
	bounded := untilSeq > 0 || !untilTime.IsZero()
	if untilSeq == 0 || untilSeq > last {
		untilSeq = last
	}
	out := path + ".rebuild"
	if bounded {
		out = timeTravelPath(path, untilSeq, untilTime)
	}
	if err := removeDB(out); err != nil {
		return RebuildResult{}, err
	}
	db, _, err := OpenDB(out)
	if err != nil {
		return RebuildResult{}, err
	}
	finish, err := db.bulkLoad(ctx)
	if err != nil {
		db.Close()
		return RebuildResult{}, err
	}
	p, err := NewProjector(db, o.Logger)
	if err != nil {
		db.Close()
		return RebuildResult{}, err
	}
	p.bulk = true
	p.keys = o.Keys
	if p.keys == nil {
		p.keys = keysOf(ctx, src)
	}
	// Every key at once, rather than one round trip a user on first use.
	if err := p.keys.Preload(ctx); err != nil {
		db.Close()
		return RebuildResult{}, err
	}
	start := time.Now()
	if err := p.CatchUp(ctx, src, untilSeq, untilTime); err != nil {
		db.Close()
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	if err := finish(ctx); err != nil {
		db.Close()
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	res := RebuildResult{Path: out, Events: p.Seq(), Seq: p.Seq(), Duration: time.Since(start)}
	if err := db.Close(); err != nil {
		return res, err
	}
	if bounded {
		return res, nil
	}
	// The old file's WAL and shared memory must not be applied to the new one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return res, err
		}
	}
	if err := os.Rename(out, path); err != nil {
		return res, fmt.Errorf("swap in rebuilt read models: %w", err)
	}
	res.Path = path
	return res, nil
}

func timeTravelPath(path string, untilSeq uint64, untilTime time.Time) string {
	dir, base := filepath.Split(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if !untilTime.IsZero() {
		return filepath.Join(dir, base+"-at-"+untilTime.UTC().Format("20060102T150405Z")+".db")
	}
	return filepath.Join(dir, base+"-at-seq-"+strconv.FormatUint(untilSeq, 10)+".db")
}

// keysOf returns the keyring of a source that has one (the store).
func keysOf(ctx context.Context, src any) *events.Keyring {
	if ks, ok := src.(interface {
		Keys(context.Context) (*events.Keyring, error)
	}); ok {
		if k, err := ks.Keys(ctx); err == nil {
			return k
		}
	}
	return nil
}
