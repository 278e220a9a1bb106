package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"forum/projections"
)

// adminSocket is the forum's admin endpoint under --data: a unix socket
// that only the forum's owner may use (mode 0600), so nothing but this
// machine's owner of the data reaches it. `forum rebuild --online` asks it
// for an online rebuild.
const adminSocket = "admin.sock"

// maxSocketPath is the longest path a unix socket may have everywhere.
const maxSocketPath = 103

// rebuildAnswer is the admin endpoint's answer to POST /rebuild: what the
// online rebuild did, or why it did not.
type rebuildAnswer struct {
	Events  uint64  `json:"events"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"events_per_second"`
	Seq     uint64  `json:"seq"`
	File    string  `json:"file"` // the file swapped in
	Error   string  `json:"error,omitempty"`
}

// serveAdmin serves the admin endpoint on the socket under dir until stop
// is called. POST /rebuild rebuilds the read models online with rebuild,
// one at a time (409 while one is under way), and answers what it did
// once the new file is swapped in. stop cancels a rebuild under way and
// waits for it. It fails when the socket cannot be made.
func serveAdmin(ctx context.Context, dir string, rebuild func(context.Context) (projections.RebuildResult, error), logger *slog.Logger) (stop func(), err error) {
	path := filepath.Join(dir, adminSocket)
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("admin endpoint: %s is too long a path for a unix socket", path)
	}
	// One left by a forum that was killed: the data directory's lock is ours.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var rebuilding sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rebuild", func(w http.ResponseWriter, r *http.Request) {
		if !rebuilding.TryLock() {
			writeAnswer(w, http.StatusConflict, rebuildAnswer{Error: "an online rebuild is under way already"})
			return
		}
		defer rebuilding.Unlock()
		logger.Info("rebuilding the read models online")
		res, err := rebuild(ctx)
		if err != nil {
			logger.Error("online rebuild", "err", err)
			writeAnswer(w, http.StatusInternalServerError, rebuildAnswer{Error: err.Error()})
			return
		}
		logger.Info("rebuilt online and swapped in", "events", res.Events, "seconds", res.Duration.Seconds(), "events_per_s", int(res.Rate()), "file", res.Path)
		writeAnswer(w, http.StatusOK, rebuildAnswer{Events: res.Events, Seconds: res.Duration.Seconds(), Rate: res.Rate(), Seq: res.Seq, File: res.Path})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	return func() {
		cancel()
		srv.Close()
		rebuilding.Lock() // a rebuild under way has ended
		rebuilding.Unlock()
		wg.Wait()
	}, nil
}

func writeAnswer(w http.ResponseWriter, status int, a rebuildAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

// rebuildOnline asks the forum running on dir, over its admin endpoint, to
// rebuild its read models online, waits until it has swapped the new file
// in and prints what it did.
func rebuildOnline(ctx context.Context, dir string, stdout io.Writer) error {
	path := filepath.Join(dir, adminSocket)
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://forum/rebuild", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "asked the forum on %s to rebuild its read models online\n", dir)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("no forum answers on %s (admin endpoint %s): %w", dir, path, err)
	}
	defer resp.Body.Close()
	var a rebuildAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return fmt.Errorf("the forum's answer (%s): %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("online rebuild: %s", a.Error)
	}
	fmt.Fprintf(stdout, "rebuilt %d events online in %.3f s (%.0f events/s) up to seq %d and swapped in %s\n", a.Events, a.Seconds, a.Rate, a.Seq, a.File)
	return nil
}
