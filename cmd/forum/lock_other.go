//go:build !unix

package main

import (
	"context"
	"errors"
)

// lockData does nothing where flock is not available: run one forum process
// per data directory.
func lockData(dir string) (unlock func(), err error) { return func() {}, nil }

// restrictNewFiles does nothing where there is no umask.
func restrictNewFiles() {}

// askOnlineRebuild is not available without signals.
func askOnlineRebuild(dir string) (int, error) {
	return 0, errors.New("rebuild --online needs a Unix system")
}

// onHangup does nothing without signals.
func onHangup(ctx context.Context, fn func()) {}
