package token

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Issuer mints an access token with the chosen strategy and records it:
// exactly one storage write per token.
type Issuer struct {
	Store  Store
	Opaque AccessStrategy
	JWT    AccessStrategy
	// Now fills Claims.IssuedAt when the grant left it zero.
	Now func() time.Time
}

// Access mints a token for c with strategy ("opaque" or "jwt"; empty means
// opaque) and stores its record.
func (i *Issuer) Access(ctx context.Context, c Claims, strategy string) (string, *AccessRecord, error) {
	raw, rec, err := i.MintAccess(ctx, c, strategy)
	if err != nil {
		return "", nil, err
	}
	if err := i.Store.CreateAccess(ctx, rec); err != nil {
		return "", nil, fmt.Errorf("token: store access token: %w", err)
	}
	return raw, rec, nil
}

// MintAccess mints a token like Access but stores nothing: the refresh
// grant hands the record to FlowStore.RotateRefresh, which writes it in the
// same transaction as the rotation.
func (i *Issuer) MintAccess(ctx context.Context, c Claims, strategy string) (string, *AccessRecord, error) {
	if c.IssuedAt.IsZero() {
		c.IssuedAt = i.Now()
	}
	if c.JKT == "" {
		c.JKT = Confirmation(ctx)
	}
	if !c.ExpiresAt.After(c.IssuedAt) {
		return "", nil, errors.New("token: access token would expire before it is issued")
	}
	s, err := i.strategy(strategy)
	if err != nil {
		return "", nil, err
	}
	return s.Mint(ctx, c)
}

func (i *Issuer) strategy(name string) (AccessStrategy, error) {
	switch name {
	case StrategyOpaque, "":
		return i.Opaque, nil
	case StrategyJWT:
		if i.JWT == nil {
			return nil, fmt.Errorf("%w: jwt is not configured", errNoStrategy)
		}
		return i.JWT, nil
	default:
		return nil, fmt.Errorf("%w: %q", errNoStrategy, name)
	}
}

// Check picks the strategy by the token's shape and returns the digest, or
// ErrMalformed for anything neither strategy minted. Whatever the server's
// current default strategy, tokens of both kinds stay checkable, so
// switching strategies.access_token does not invalidate live tokens.
func Check(ctx context.Context, raw string, opaque, jwt AccessStrategy) ([]byte, error) {
	switch {
	case IsOpaque(raw) && opaque != nil:
		return opaque.Check(ctx, raw)
	case isJWT(raw) && jwt != nil:
		return jwt.Check(ctx, raw)
	default:
		return nil, ErrMalformed
	}
}
