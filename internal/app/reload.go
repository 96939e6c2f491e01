package app

import (
	"context"
	"slices"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/devapp"
)

// devIdentityKeys is how a reload names a change that would turn the
// development identity app on or off: its routes are mounted at start-up.
const devIdentityKeys = "urls.login,urls.consent,urls.logout (the development identity app starts or stops only with the server)"

// Reconfigure makes next, a reloaded and validated configuration, the one
// requests see, for the keys that can change while the server runs
// (config.Merge); the others keep their running values and are reported
// in Diff.Restart. A changed clients.declared is synced first; if that
// fails, nothing changes. The config.Reloader calls it, one reload at a
// time.
func (a *App) Reconfigure(ctx context.Context, next *config.Config) (config.Diff, error) {
	old := a.cfg.Get()
	next, devIdentity := devapp.Configure(next)
	if devIdentity != a.devIdentity {
		c := *next
		c.URLs.Login, c.URLs.Consent, c.URLs.Logout = old.URLs.Login, old.URLs.Consent, old.URLs.Logout
		next = &c
	}
	merged, diff := config.Merge(old, next)
	if devIdentity != a.devIdentity {
		diff.Restart = append(diff.Restart, devIdentityKeys)
	}
	// Both inputs were valid; the mix of their keys is checked as well.
	if err := config.Validate(merged); err != nil {
		return config.Diff{}, err
	}
	if slices.Contains(diff.Applied, "clients.declared") {
		if err := syncDeclared(ctx, a.clients, merged.Clients.Declared, a.log); err != nil {
			return config.Diff{}, err
		}
	}
	a.cfg.Store(merged)
	return diff, nil
}
