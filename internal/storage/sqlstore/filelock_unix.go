//go:build unix

package sqlstore

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path, creating it empty if needed
// (SQLite treats an empty file as a new database), and returns its release.
// SQLite serialises writers but not a whole start-up, so two processes
// opening a fresh file at once (serve public and serve admin side by side)
// would both try to convert it and apply version 1. flock locks are
// independent of the fcntl locks SQLite itself uses on the same file, so
// holding one on the database file does not disturb SQLite.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migration lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlstore: migration lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
