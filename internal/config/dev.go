package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// fillDev supplies what a developer's first run lacks, only in dev mode:
// a system secret and a local http issuer on the public port. Outside dev
// mode Validate reports both as missing instead.
func (l Loader) fillDev(c *Config) ([]string, error) {
	if !c.Dev {
		return nil, nil
	}
	var warnings []string
	if len(c.Secrets.System) == 0 {
		secret, warning, err := l.devSecret(c.DSN)
		if err != nil {
			return nil, fmt.Errorf("configuration: dev mode system secret: %w", err)
		}
		c.Secrets.System = []string{secret}
		warnings = append(warnings, warning)
	}
	if c.URLs.Self.Issuer == "" {
		c.URLs.Self.Issuer = fmt.Sprintf("http://localhost:%d/", c.Serve.Public.Port)
		warnings = append(warnings, "urls.self.issuer is not set: dev mode uses "+c.URLs.Self.Issuer)
	}
	return warnings, nil
}

// devSecret makes the dev mode system secret. The signing keys are sealed
// with it, so with a SQLite file it is kept beside the database (mode 0600)
// and read again on the next start; a fresh random secret each time would
// leave the stored keys unopenable after the first restart. Other databases
// get a secret for this process only.
func (l Loader) devSecret(dsn string) (secret, warning string, err error) {
	path := sqliteFile(dsn)
	if path == "" {
		secret, err = l.randomSecret()
		return secret, "secrets.system is not set: dev mode generated a random one; tokens and keys will not survive a restart", err
	}
	path += ".dev-secret"
	warning = "secrets.system is not set: dev mode keeps a generated one in " + path + "; never use dev mode in production"
	if b, err := os.ReadFile(path); err == nil {
		secret = strings.TrimSpace(string(b))
		if len(secret) < 16 {
			return "", "", fmt.Errorf("%s holds fewer than 16 characters; delete it to have a new one made", path)
		}
		return secret, warning, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", err
	}
	if secret, err = l.randomSecret(); err != nil {
		return "", "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return l.devSecret(dsn) // another process made it first: use theirs
	}
	if err != nil {
		return "", "", err
	}
	if _, err := io.WriteString(f, secret+"\n"); err != nil {
		f.Close()
		return "", "", err
	}
	return secret, warning, f.Close()
}

func (l Loader) randomSecret() (string, error) {
	r := l.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// sqliteFile is the database file of a sqlite:// DSN, "" for every other
// DSN and for in-memory SQLite. It follows the forms storage/sqlstore
// accepts (sqlite://path, sqlite:///abs/path, optional file: and ?query).
func sqliteFile(dsn string) string {
	for _, scheme := range []string{"sqlite://", "sqlite3://"} {
		if rest, ok := strings.CutPrefix(dsn, scheme); ok {
			path, _, _ := strings.Cut(rest, "?")
			path = strings.TrimPrefix(path, "file:")
			if path == ":memory:" {
				return ""
			}
			return path
		}
	}
	return ""
}
