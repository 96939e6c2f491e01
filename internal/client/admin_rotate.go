package client

// Client secret rotation: POST /admin/clients/{id}/secrets/rotate mints a
// new secret and keeps the previous one working, DELETE on the same path
// ends the grace for every earlier secret. This lets an operator replace a
// secret without an outage: rotate, roll the new secret out to every
// instance of the client, then delete the rotated ones.
//
// The rotated secrets are kept as they were stored (hash, and the sealed
// copy for client_secret_jwt), newest first, at most maxRotatedSecrets.
// client_secret_expires_at is the client's setting, not the secret's, so a
// rotation keeps it; an operator who wants a new expiry sets it with PUT or
// PATCH.

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// maxRotatedSecrets bounds the earlier secrets that keep authenticating. A
// rollout needs one; a few more cover a rotation started before the last
// one finished, without letting old secrets pile up unnoticed.
const maxRotatedSecrets = 5

func (a *Admin) handleRotate(w http.ResponseWriter, r *http.Request) error {
	out, err := a.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

func (a *Admin) handleDeleteRotated(w http.ResponseWriter, r *http.Request) error {
	out, err := a.DeleteRotatedSecrets(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

// RotateSecret gives client id a new minted secret, shown once in the
// returned view, and keeps the current one as the newest rotated secret.
// Clients that authenticate without a secret (none, private_key_jwt) have
// nothing to rotate: 400.
func (a *Admin) RotateSecret(ctx context.Context, id string) (*Client, error) {
	// A concurrent rotation makes this one start again from the secret it
	// stored, so both are kept (up to maxRotatedSecrets) and each caller
	// gets a secret that authenticates.
	out, err := a.modify(ctx, id, "rotating client secret", func(old *Client) (*Client, error) {
		if err := refuseManaged(old); err != nil {
			return nil, err
		}
		if !needsSecret(old.TokenEndpointAuthMethod) {
			return nil, httpx.BadRequest("The client authenticates with token_endpoint_auth_method %s, which uses no client secret; there is nothing to rotate.", old.TokenEndpointAuthMethod)
		}
		next := *old
		plain, err := mintFor(next.TokenEndpointAuthMethod, a.Rand)
		if err != nil {
			return nil, err
		}
		hash, sealed, err := a.storedForms(&next, plain)
		if err != nil {
			return nil, err
		}
		next.Secret, next.SecretHash = plain, hash
		next.Credentials.SealedSecret = sealed
		next.Credentials.Rotated = keepRotated(old, a.now())
		return &next, nil
	})
	if err != nil {
		return nil, err
	}
	return View(out), nil
}

// keepRotated returns old's rotated secrets with its current one in front,
// bounded to maxRotatedSecrets. A fresh slice: old's is not modified.
func keepRotated(old *Client, at time.Time) []StoredSecret {
	prev := old.Credentials.Rotated
	if old.SecretHash == "" {
		return slices.Clone(prev) // nothing current to keep
	}
	out := make([]StoredSecret, 0, min(len(prev)+1, maxRotatedSecrets))
	out = append(out, StoredSecret{Hash: old.SecretHash, Sealed: old.Credentials.SealedSecret, RotatedAt: at})
	for _, s := range prev {
		if len(out) == maxRotatedSecrets {
			break
		}
		out = append(out, s)
	}
	return out
}

// DeleteRotatedSecrets forgets client id's rotated secrets, so only the
// current one authenticates. It is idempotent.
func (a *Admin) DeleteRotatedSecrets(ctx context.Context, id string) (*Client, error) {
	out, err := a.modify(ctx, id, "deleting rotated client secrets", func(old *Client) (*Client, error) {
		if err := refuseManaged(old); err != nil {
			return nil, err
		}
		if len(old.Credentials.Rotated) == 0 {
			return nil, nil // nothing to write
		}
		next := *old
		next.Credentials.Rotated = nil
		return &next, nil
	})
	if err != nil {
		return nil, err
	}
	return View(out), nil
}
