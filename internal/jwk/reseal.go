package jwk

import (
	"context"
	"errors"
	"fmt"

	"github.com/signet-oidc/signet/internal/secret"
)

// ResealStore is what re-encrypting the stored private keys needs.
type ResealStore interface {
	// SealedKeysAfter returns up to limit keys that have a private half,
	// ordered by set then kid, strictly after (set, kid); ("", "") starts
	// at the beginning.
	SealedKeysAfter(ctx context.Context, set, kid string, limit int) ([]*Record, error)
	// SwapSealedKey replaces the sealed private half of (set, kid) with
	// next only if it still is old, and reports whether it did. A swap
	// changes KeysVersion, as every key mutation does.
	SwapSealedKey(ctx context.Context, set, kid string, old, next []byte) (bool, error)
}

// ResealKeys re-encrypts the private half of every stored key (every set,
// not only Signet's own) with the keyring's first secret, batch keys per
// query, telling report what it finds as it goes. It
// is idempotent (keys sealed with the first secret already are left
// alone) and safe while instances serve: each write is a compare-and-swap
// of one row, so a key an admin replaced meanwhile is never overwritten.
// Instances keep the keys they have opened, and reopen a resealed one
// after their next poll.
func ResealKeys(ctx context.Context, s ResealStore, k *secret.Keyring, batch int, report secret.ResealReport) (secret.ResealCount, error) {
	if batch <= 0 {
		return secret.ResealCount{}, errors.New("jwk: the re-encryption batch size must be positive")
	}
	var total secret.ResealCount
	set, kid := "", ""
	for {
		recs, err := s.SealedKeysAfter(ctx, set, kid, batch)
		if err != nil {
			return total, fmt.Errorf("jwk: listing keys to re-encrypt: %w", err)
		}
		for _, rec := range recs {
			c, err := resealKey(ctx, s, k, rec)
			if err != nil {
				return total, err
			}
			if c.Unreadable > 0 {
				report.Unreadable(fmt.Sprintf("key %q of set %q", rec.KID, rec.Set))
			}
			total = total.Add(c)
		}
		if len(recs) > 0 {
			report.Progress(total)
		}
		if len(recs) < batch {
			return total, nil
		}
		set, kid = recs[len(recs)-1].Set, recs[len(recs)-1].KID
	}
}

// resealKey handles one stored key.
func resealKey(ctx context.Context, s ResealStore, k *secret.Keyring, rec *Record) (secret.ResealCount, error) {
	next, changed, err := k.Reseal(rec.SealedPrivate, aad(rec.Set, rec.KID))
	switch {
	case errors.Is(err, secret.ErrOpen):
		return secret.ResealCount{Checked: 1, Unreadable: 1}, nil
	case err != nil:
		return secret.ResealCount{}, fmt.Errorf("jwk: re-encrypting key %q of set %q: %w", rec.KID, rec.Set, err)
	case !changed:
		return secret.ResealCount{Checked: 1, Current: 1}, nil
	}
	swapped, err := s.SwapSealedKey(ctx, rec.Set, rec.KID, rec.SealedPrivate, next)
	if err != nil {
		return secret.ResealCount{}, fmt.Errorf("jwk: storing re-encrypted key %q of set %q: %w", rec.KID, rec.Set, err)
	}
	if !swapped {
		return secret.ResealCount{Checked: 1, Raced: 1}, nil
	}
	return secret.ResealCount{Checked: 1, Resealed: 1}, nil
}
