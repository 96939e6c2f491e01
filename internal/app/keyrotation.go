package app

import (
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/jwk"
)

// keyRotation is keys.rotation.* as the key manager takes it: nil when
// automatic rotation is off. The manager's Run, started by New and stopped
// by Close, runs the rounds.
func keyRotation(r config.KeyRotation) *jwk.RotationPolicy {
	if !r.Enabled {
		return nil
	}
	return &jwk.RotationPolicy{Interval: r.Interval, PublishBefore: r.PublishBefore, RetainAfter: r.RetainAfter}
}

// Keys exposes the key manager, for tests that run a rotation round at a
// time of their choosing (Keys().Rotate) instead of waiting for one.
func (a *App) Keys() *jwk.Manager { return a.keys }
