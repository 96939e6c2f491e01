package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// UseVerifier records that the verifier named by key was used: one INSERT,
// whose unique violation is the replay (storage.ErrAlreadyUsed). A key no
// row can hold is storage.ErrInvalidValue.
func (s *Store) UseVerifier(ctx context.Context, key string, expires time.Time) error {
	if err := checkText("use verifier", ident("verifier key", key)); err != nil {
		return err
	}
	_, err := s.q().exec(ctx, s.flows.useVerifier, key, s.d.timeArg(expires))
	if err != nil && s.d.isUnique(err) {
		return fmt.Errorf("sqlstore: verifier: %w", storage.ErrAlreadyUsed)
	}
	return s.d.classify("use verifier", err)
}

// UseJTI records that a JWT's "jti" (as a key the caller derived, scoped by
// issuer or client) was used, until expires: the same single INSERT as
// UseVerifier, in the same table, under a "jti:" prefix so the two kinds of
// key never collide. storage.ErrAlreadyUsed on replay.
func (s *Store) UseJTI(ctx context.Context, key string, expires time.Time) error {
	return s.UseVerifier(ctx, "jti:"+key, expires)
}
