//go:build !linux

package main

// raiseFileLimit does nothing outside Linux; 0 means the limit is unknown.
func raiseFileLimit() (uint64, error) { return 0, nil }
