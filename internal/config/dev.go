package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// fillDev supplies what a developer's first run lacks, only in dev mode:
// a random system secret (so nothing sealed survives a restart) and a local
// http issuer on the public port. Outside dev mode Validate reports both as
// missing instead.
func (l Loader) fillDev(c *Config) ([]string, error) {
	if !c.Dev {
		return nil, nil
	}
	var warnings []string
	if len(c.Secrets.System) == 0 {
		r := l.Rand
		if r == nil {
			r = rand.Reader
		}
		b := make([]byte, 32)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("configuration: generating a dev system secret: %w", err)
		}
		c.Secrets.System = []string{hex.EncodeToString(b)}
		warnings = append(warnings, "secrets.system is not set: dev mode generated a random one; tokens will not survive a restart")
	}
	if c.URLs.Self.Issuer == "" {
		c.URLs.Self.Issuer = fmt.Sprintf("http://localhost:%d/", c.Serve.Public.Port)
		warnings = append(warnings, "urls.self.issuer is not set: dev mode uses "+c.URLs.Self.Issuer)
	}
	return warnings, nil
}
