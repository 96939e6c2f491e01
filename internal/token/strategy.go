package token

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
)

// Strategy names, as used by strategies.access_token and a client's
// access_token_strategy.
const (
	StrategyOpaque = "opaque"
	StrategyJWT    = "jwt"
)

// ErrMalformed is returned by AccessStrategy.Check for a token the strategy
// did not mint: wrong shape, bad MAC, bad signature, unknown key.
var ErrMalformed = errors.New("token: malformed or forged token")

// AccessStrategy mints access tokens of one format and recognises them.
type AccessStrategy interface {
	// Mint builds a raw token for c and the record to store for it. It does
	// not write anything.
	Mint(ctx context.Context, c Claims) (raw string, rec *AccessRecord, err error)
	// Check returns the storage digest of raw, or ErrMalformed when raw was
	// not minted by this strategy. It never touches storage, so a forged
	// token costs no database read.
	Check(ctx context.Context, raw string) (digest []byte, err error)
}

// Digest is the storage key of a raw token: SHA-256 of the whole string.
func Digest(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// newRecord fills the fields every strategy stores alike.
func newRecord(raw, strategy string, c Claims) (*AccessRecord, error) {
	rec := &AccessRecord{
		Digest:    Digest(raw),
		ClientID:  c.ClientID,
		Subject:   c.Subject,
		Scopes:    c.Scopes,
		Audience:  c.Audience,
		GrantType: c.GrantType,
		Strategy:  strategy,
		IssuedAt:  c.IssuedAt.UTC(),
		ExpiresAt: c.ExpiresAt.UTC(),
		RequestID: c.RequestID,
		JKT:       c.JKT,
	}
	if c.Act != nil {
		c.Ext = withAct(c.Ext, c.Act)
	}
	if len(c.Ext) > 0 {
		ext, err := json.Marshal(c.Ext)
		if err != nil {
			return nil, err
		}
		rec.Ext = ext
	}
	return rec, nil
}

// withAct is a copy of ext with "act" set, leaving the caller's map alone.
func withAct(ext, act map[string]any) map[string]any {
	out := make(map[string]any, len(ext)+1)
	for k, v := range ext {
		out[k] = v
	}
	out["act"] = act
	return out
}
