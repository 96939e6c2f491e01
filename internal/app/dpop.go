package app

import (
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// dpopVerifier builds the RFC 9449 proof verifier from oauth2.dpop.*, or
// returns nil when DPoP is disabled. Nonces are stateless (MACed with a
// key derived from secrets.system), so every instance accepts every
// other's; the proof jtis share the JWT replay table.
func dpopVerifier(cfg *config.Config, keyring *secret.Keyring, db *sqlstore.Store, now func() time.Time) *oauth2.DPoPVerifier {
	d := cfg.OAuth2.DPoP
	if !d.Enabled {
		return nil
	}
	v := &oauth2.DPoPVerifier{Replay: db, MaxAge: d.ProofMaxAge, Now: now}
	if d.RequireNonce {
		v.Nonces = &oauth2.DPoPNonces{Keys: keyring.MACKeys(oauth2.DPoPNoncePurpose), Lifespan: d.NonceLifespan, Now: now}
	}
	return v
}

// dpopBinding is the token endpoint's DPoP step; nil when DPoP is off.
func dpopBinding(v *oauth2.DPoPVerifier, tokenURL string) *oauth2.DPoPBinding {
	if v == nil {
		return nil
	}
	return &oauth2.DPoPBinding{Verifier: v, URL: tokenURL}
}

// dpopResource is a resource endpoint's DPoP check; nil when DPoP is off.
func dpopResource(v *oauth2.DPoPVerifier, resourceURL string) *oauth2.DPoPResource {
	if v == nil {
		return nil
	}
	return &oauth2.DPoPResource{Verifier: v, URL: resourceURL}
}
