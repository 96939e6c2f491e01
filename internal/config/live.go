package config

import "sync/atomic"

// Live holds the current configuration snapshot. Readers call Get once per
// request and use that snapshot throughout, so a reload (Store) never shows
// a request half of an old and half of a new configuration.
type Live struct {
	atomic.Pointer[Config]
}

// NewLive returns a Live holding c.
func NewLive(c *Config) *Live {
	l := &Live{}
	l.Store(c)
	return l
}

// Get returns the current snapshot. Callers must not modify it.
func (l *Live) Get() *Config { return l.Load() }
