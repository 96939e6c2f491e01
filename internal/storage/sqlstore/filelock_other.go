//go:build !unix

package sqlstore

// lockFile is a no-op where flock(2) does not exist: on those systems two
// Signet processes must not start at the same moment on a fresh SQLite file.
func lockFile(string) (func(), error) { return func() {}, nil }
