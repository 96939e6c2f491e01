package client

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/signet-oidc/signet/internal/secret"
)

// Re-encrypting the sealed client secrets (the current secret of a
// client_secret_jwt client and its rotated ones) with the first system
// secret, the last step of a secrets.system rotation (docs/key-rotation.md).

// StoredCredentials is one client's stored credentials, as re-encryption
// reads them.
type StoredCredentials struct {
	ClientID    string
	Credentials Credentials
}

// ResealStore is what re-encrypting client secrets needs.
type ResealStore interface {
	// CredentialsAfter returns up to limit clients that have stored
	// credentials, ordered by client ID (bytewise), strictly after id.
	CredentialsAfter(ctx context.Context, id string, limit int) ([]StoredCredentials, error)
	// SwapCredentials replaces a client's credentials with next only if
	// they still are old, and reports whether it did. The client is
	// otherwise untouched (updated_at included: nothing the API shows
	// changed).
	SwapCredentials(ctx context.Context, id string, old, next Credentials) (bool, error)
}

// ResealCredentials returns c with every sealed secret re-encrypted with
// the keyring's first secret, and the tally of its sealed values. c is not
// modified. Unreadable values are kept as they are.
func ResealCredentials(k *secret.Keyring, clientID string, c Credentials) (Credentials, secret.ResealCount, error) {
	var n secret.ResealCount
	reseal := func(sealed []byte) ([]byte, error) {
		if len(sealed) == 0 {
			return sealed, nil
		}
		n.Checked++
		next, changed, err := k.Reseal(sealed, sealAAD(clientID))
		switch {
		case errors.Is(err, secret.ErrOpen):
			n.Unreadable++
			return sealed, nil
		case err != nil:
			return nil, fmt.Errorf("client: re-encrypting a secret of client %q: %w", clientID, err)
		case changed:
			n.Resealed++
		default:
			n.Current++
		}
		return next, nil
	}
	out := c
	out.Rotated = slices.Clone(c.Rotated)
	var err error
	if out.SealedSecret, err = reseal(c.SealedSecret); err != nil {
		return c, secret.ResealCount{}, err
	}
	for i := range out.Rotated {
		if out.Rotated[i].Sealed, err = reseal(out.Rotated[i].Sealed); err != nil {
			return c, secret.ResealCount{}, err
		}
	}
	return out, n, nil
}

// ResealClients re-encrypts every client's sealed secrets with the
// keyring's first secret, batch clients per query, telling report what it
// finds as it goes. Idempotent, and safe while instances serve: each
// client is written with a compare-and-swap, so a client changed meanwhile
// through the admin API is left to that change (counted as Raced).
func ResealClients(ctx context.Context, s ResealStore, k *secret.Keyring, batch int, report secret.ResealReport) (secret.ResealCount, error) {
	if batch <= 0 {
		return secret.ResealCount{}, errors.New("client: the re-encryption batch size must be positive")
	}
	var total secret.ResealCount
	after := ""
	for {
		page, err := s.CredentialsAfter(ctx, after, batch)
		if err != nil {
			return total, fmt.Errorf("client: listing credentials to re-encrypt: %w", err)
		}
		for _, sc := range page {
			c, err := resealClient(ctx, s, k, sc)
			if err != nil {
				return total, err
			}
			if c.Unreadable > 0 {
				report.Unreadable(fmt.Sprintf("%d sealed secret(s) of client %q", c.Unreadable, sc.ClientID))
			}
			total = total.Add(c)
		}
		if len(page) > 0 {
			report.Progress(total)
		}
		if len(page) < batch {
			return total, nil
		}
		after = page[len(page)-1].ClientID
	}
}

// resealClient handles one client's credentials.
func resealClient(ctx context.Context, s ResealStore, k *secret.Keyring, sc StoredCredentials) (secret.ResealCount, error) {
	next, c, err := ResealCredentials(k, sc.ClientID, sc.Credentials)
	if err != nil || c.Resealed == 0 {
		return c, err
	}
	swapped, err := s.SwapCredentials(ctx, sc.ClientID, sc.Credentials, next)
	if err != nil {
		return secret.ResealCount{}, fmt.Errorf("client: storing re-encrypted secrets of client %q: %w", sc.ClientID, err)
	}
	if !swapped {
		// Nothing of this client was written; all of it waits for a later pass.
		c.Raced, c.Resealed = c.Resealed, 0
	}
	return c, nil
}
