package projections

import (
	"forum/events"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Every rebuild takes one road, whoever asks for it: the stream folded from
// its start into a fresh file in bulk mode (a load). Rebuild does it
// offline and renames the file into place; RebuildOnline does it while the
// forum serves and swaps the file in between two batches; and a projector
// whose read models are empty on start over a long stream (a first start, a
// deleted or unreadable file, another schema, another stream: OpenFor) does
// as an online rebuild does before it follows the stream (loadAtStart).

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

// Rate returns the events applied a second, 0 when no time was measured.
func (r RebuildResult) Rate() float64 {
	if secs := r.Duration.Seconds(); secs > 0 {
		return float64(r.Events) / secs
	}
	return 0
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
// leaves o.Path alone. A failure leaves o.Path as it was.
func Rebuild(ctx context.Context, src RebuildSource, o RebuildOptions) (RebuildResult, error) {
	last, err := src.LastSeq(ctx)
	if err != nil {
		return RebuildResult{}, err
	}
	untilSeq := o.UntilSeq
	bounded := untilSeq > 0 || !o.UntilTime.IsZero()
	if untilSeq == 0 || untilSeq > last {
		untilSeq = last
	}
	out := o.Path + ".rebuild"
	if bounded {
		out = timeTravelPath(o.Path, untilSeq, o.UntilTime)
	}
	keys := o.Keys
	if keys == nil {
		keys = keysOf(ctx, src)
	}
	l, err := newLoad(ctx, out, keys, true, o.Logger)
	if err != nil {
		return RebuildResult{}, err
	}
	err = l.p.CatchUp(ctx, src, untilSeq, o.UntilTime)
	if err == nil {
		err = l.finish(ctx)
	}
	if err != nil {
		l.abort()
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	res := l.result()
	if err := l.db.Close(); err != nil {
		return res, err
	}
	if bounded {
		return res, nil
	}
	if err := swapIn(out, o.Path); err != nil {
		return res, err
	}
	res.Path = o.Path
	return res, nil
}

// load is a fresh read-model file being filled from the stream in bulk
// mode: few large transactions, no waiting for the disk, the secondary
// indexes built once at the end (finish).
type load struct {
	db     *DB
	p      *Projector
	finish func(context.Context) error
	start  time.Time
}

// newLoad makes a fresh file at path for a load that opens personal data
// with keys (nil: the source's own), reading every key first with preload
// (only where nobody else applies events with them meanwhile).
func newLoad(ctx context.Context, path string, keys *events.Keyring, preload bool, logger *slog.Logger) (*load, error) {
	if err := removeDB(path); err != nil {
		return nil, err
	}
	db, _, err := OpenDB(path)
	if err != nil {
		return nil, err
	}
	l := &load{db: db}
	l.finish, err = db.bulkLoad(ctx)
	if err == nil {
		l.p, err = NewProjector(db, logger)
	}
	// Every key at once, rather than one round trip a user on first use.
	if err == nil && preload {
		err = keys.Preload(ctx)
	}
	if err != nil {
		l.abort()
		return nil, err
	}
	l.p.bulk, l.p.keys, l.start = true, keys, time.Now()
	return l, nil
}

// catchUp catches up from a distance with target, which moves meanwhile,
// and finishes the file, carrying over which stream live was built from.
func (l *load) catchUp(ctx context.Context, src Source, target func() (uint64, error), live *DB) error {
	for {
		t, err := target()
		if err != nil {
			return err
		}
		if l.p.Seq()+1000 >= t {
			break
		}
		if err := l.p.CatchUp(ctx, src, t, time.Time{}); err != nil {
			return err
		}
	}
	if err := l.finish(ctx); err != nil {
		return err
	}
	stream, err := live.meta(ctx, "stream_created")
	if err == nil && stream != "" {
		err = l.db.setMeta(ctx, "stream_created", stream)
	}
	return err
}

// catchUpLast applies the last stretch up to target, with the source of
// its events held still by the caller.
func (l *load) catchUpLast(ctx context.Context, src Source, target func() (uint64, error)) error {
	t, err := target()
	if err == nil && l.p.Seq() < t {
		err = l.p.CatchUp(ctx, src, t, time.Time{})
	}
	return err
}

// result says what the load did so far.
func (l *load) result() RebuildResult {
	seq := l.p.Seq()
	return RebuildResult{Path: l.db.path, Events: seq, Seq: seq, Duration: time.Since(l.start)}
}

// abort closes the file and removes it.
func (l *load) abort() {
	l.db.Close()
	removeFiles(l.db.path)
}

// swapIn puts the file out in place of the read models at path, whose
// connections must all be closed: their journal goes with them, and so does
// the file path linked to (one swapped in online) if it did.
func swapIn(out, path string) error {
	var linked string
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if linked, err = filepath.EvalSymlinks(path); err != nil {
			linked = ""
		}
	}
	// The old file's WAL and shared memory must not be applied to the new one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(out, path); err != nil {
		return fmt.Errorf("swap in rebuilt read models: %w", err)
	}
	if linked != "" {
		return removeFiles(linked)
	}
	return nil
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
