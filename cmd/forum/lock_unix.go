//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockData takes an exclusive lock on the data directory, so a second
// `forum serve` or a `forum rebuild` cannot open the same store and read
// models while one is running. The lock goes with the process.
func lockData(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use by another forum process: stop it first", dir)
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	// The holder's process id, for `forum rebuild --online` to find it.
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}

// askOnlineRebuild asks the forum process that holds dir's lock to rebuild
// its read models online (SIGHUP).
func askOnlineRebuild(dir string) (pid int, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return 0, fmt.Errorf("no forum runs on %s: %w", dir, err)
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("no forum runs on %s", dir)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return pid, fmt.Errorf("ask process %d: %w", pid, err)
	}
	return pid, nil
}

// onHangup calls fn on every SIGHUP until ctx ends: the signal for an
// online rebuild.
func onHangup(ctx context.Context, fn func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				fn()
			}
		}
	}()
}

// restrictNewFiles makes every file and directory this process creates from
// now on readable by its owner only (umask 077): the stream, the read
// models and their journals hold every user's data.
func restrictNewFiles() { syscall.Umask(0o077) }
