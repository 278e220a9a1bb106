// Command forum runs the event-sourced forum: `forum serve` (the default)
// starts everything in one process; `forum rebuild` rebuilds the read models
// from the stream offline.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"forum/events"
	"forum/projections"
)

// defaultMemoryLimit is the soft memory limit the runtime keeps under unless
// GOMEMLIMIT says otherwise: past it the collector works harder, so bursts
// do not grow the process without bound.
const defaultMemoryLimit = 1 << 30

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "forum:", err)
		os.Exit(1)
	}
}

// run runs the subcommand named by args[0] (serve when there is none).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "rebuild":
		return rebuild(ctx, args, getenv, stdout, stderr)
	case "quarantine":
		return quarantine(ctx, args, getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (want serve, rebuild or quarantine)", cmd)
}

// envDefault returns the environment variable's value, or def when unset.
func envDefault(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// storeFlags are the flags that say where the stream is.
type storeFlags struct {
	data, natsURL                     string
	natsCreds, natsUser, natsPassword string
	sync                              string
}

func (f *storeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.data, "data", envDefault(getenv, "FORUM_DATA", "./data"), "directory of the JetStream store and the SQLite read models (env FORUM_DATA)")
	fs.StringVar(&f.natsURL, "nats-url", getenv("FORUM_NATS_URL"), "use this NATS cluster instead of the embedded server (env FORUM_NATS_URL)")
	fs.StringVar(&f.natsCreds, "nats-creds", getenv("FORUM_NATS_CREDS"), "NATS credentials file for --nats-url (env FORUM_NATS_CREDS)")
	fs.StringVar(&f.natsUser, "nats-user", getenv("FORUM_NATS_USER"), "NATS user for --nats-url (env FORUM_NATS_USER)")
	fs.StringVar(&f.natsPassword, "nats-password", getenv("FORUM_NATS_PASSWORD"), "NATS password for --nats-url (env FORUM_NATS_PASSWORD)")
	fs.StringVar(&f.sync, "sync", envDefault(getenv, "FORUM_SYNC", "interval"), "embedded JetStream: always (fsync every write before acknowledging it) or interval (every 2 minutes) (env FORUM_SYNC)")
}

// The files under --data that hold the embedded server's passwords, each
// alone on one line, readable by the owner only.
const (
	operatorPasswordFile = "nats-operator-password"
	forumPasswordFile    = "nats-forum-password"
)

// password returns the password kept in file name under the data
// directory, making one on first use.
func (f *storeFlags) password(name string) (string, error) {
	path := filepath.Join(f.data, name)
	if b, err := os.ReadFile(path); err == nil {
		if p := strings.TrimSpace(string(b)); p != "" {
			return p, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	p := rand.Text()
	if err := os.WriteFile(path, []byte(p+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return p, nil
}

// open locks the data directory and opens the store; close undoes both.
func (f *storeFlags) open(ctx context.Context, listen string, logger *slog.Logger) (store *events.Store, close func(), err error) {
	restrictNewFiles()
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	unlock, err := lockData(f.data)
	if err != nil {
		return nil, nil, err
	}
	if f.sync != "always" && f.sync != "interval" {
		unlock()
		return nil, nil, fmt.Errorf("--sync %q: want always or interval", f.sync)
	}
	cfg := events.StoreConfig{
		URL: f.natsURL, CredsFile: f.natsCreds, User: f.natsUser, Password: f.natsPassword,
		Dir: filepath.Join(f.data, "jetstream"), Listen: listen, Logger: logger, SyncAlways: f.sync == "always",
	}
	if f.natsURL == "" {
		cfg.OperatorPassword, err = f.password(operatorPasswordFile)
		if err == nil {
			cfg.ForumPassword, err = f.password(forumPasswordFile)
		}
	}
	if err == nil {
		store, err = events.OpenStore(ctx, cfg)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return store, func() { store.Close(); unlock() }, nil
}

func (f *storeFlags) dbPath() string { return filepath.Join(f.data, "read.db") }

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func boolFlag(getenv func(string) string, name string, def bool) bool {
	if v, err := strconv.ParseBool(getenv(name)); err == nil {
		return v
	}
	return def
}

// onOff is a flag that takes on or off (or any boolean spelling).
type onOff struct{ on *bool }

func (o onOff) String() string {
	if o.on != nil && *o.on {
		return "on"
	}
	return "off"
}

func (o onOff) Set(s string) error {
	switch strings.ToLower(s) {
	case "on", "true", "1", "yes":
		*o.on = true
	case "off", "false", "0", "no":
		*o.on = false
	default:
		return fmt.Errorf("want on or off, not %q", s)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forum rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs, getenv)
	untilSeq := fs.Uint64("until-seq", 0, "build the forum as it was after this stream sequence, into a separate file")
	untilTime := fs.String("until-time", "", "build the forum as it was at this RFC 3339 time, into a separate file")
	online := fs.Bool("online", false, "rebuild the read models of the forum running on --data into a fresh file and swap it in, without a restart")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *online {
		return rebuildOnline(ctx, sf.data, stdout)
	}
	var until time.Time
	if *untilTime != "" {
		t, err := time.Parse(time.RFC3339, *untilTime)
		if err != nil {
			return fmt.Errorf("--until-time: %w", err)
		}
		until = t
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, closeStore, err := sf.open(ctx, "off", logger)
	if err != nil {
		return err
	}
	defer closeStore()
	keys, err := store.Keys(ctx)
	if err != nil {
		return err
	}
	res, err := projections.Rebuild(ctx, store, projections.RebuildOptions{Path: sf.dbPath(), UntilSeq: *untilSeq, UntilTime: until, Logger: logger, Keys: keys})
	if err != nil {
		return err
	}
	// The new file follows this stream: note which.
	db, err := projections.OpenFor(ctx, res.Path, store, logger)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt %d events in %.3f s (%.0f events/s) up to seq %d into %s\n", res.Events, res.Duration.Seconds(), res.Rate(), res.Seq, res.Path)
	return nil
}

// quarantine lists the events the read models went past because they
// cannot be applied, one JSON object a line. It only reads read.db, so it
// works while the forum runs.
func quarantine(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forum quarantine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(sf.dbPath()); err != nil {
		return fmt.Errorf("no read models at %s: %w", sf.dbPath(), err)
	}
	db, _, err := projections.OpenDB(sf.dbPath())
	if err != nil {
		return err
	}
	defer db.Close()
	q, err := db.Quarantined(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, e := range q {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "%d events in quarantine\n", len(q))
	return nil
}
