package main

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard limit (best effort: a benchmark with
// ten thousand connections needs one descriptor each) and returns the soft limit in force afterwards.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return l.Cur, err
		}
		l = raised
	}
	return l.Cur, nil
}
