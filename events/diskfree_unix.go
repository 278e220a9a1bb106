//go:build unix

package events

import "syscall"

// freeBytes returns the disk space free to this process under dir (0 when
// it cannot be read).
func freeBytes(dir string) uint64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0
	}
	return st.Bavail * uint64(st.Bsize)
}
