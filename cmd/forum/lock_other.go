//go:build !unix

package main

// lockData does nothing where flock is not available: run one forum process
// per data directory.
func lockData(dir string) (unlock func(), err error) { return func() {}, nil }

// restrictNewFiles does nothing where there is no umask.
func restrictNewFiles() {}
