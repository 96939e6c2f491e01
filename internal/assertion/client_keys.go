package assertion

import (
	"context"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// KeyFetcher reads the keys published at a jwks_uri; *Fetcher implements it
// (cached, refetched once for an unknown kid).
type KeyFetcher interface {
	Keys(ctx context.Context, uri, kid string) ([]jose.JSONWebKey, error)
}

// ErrNoClientKeys: the client registered neither jwks nor jwks_uri.
var ErrNoClientKeys = errors.New("assertion: the client has neither jwks nor jwks_uri")

// ClientKeys returns the public keys a client registered to sign with
// (private_key_jwt assertions, request objects): its jwks when set,
// otherwise those at its jwks_uri, fetched through f with the kid the JWT
// names.
func ClientKeys(ctx context.Context, f KeyFetcher, jwks []byte, jwksURI, kid string) (Keys, error) {
	var (
		keys []jose.JSONWebKey
		err  error
	)
	switch {
	case len(jwks) > 0:
		keys, err = ParseKeySet(jwks)
	case jwksURI != "":
		keys, err = f.Keys(ctx, jwksURI, kid)
	default:
		err = ErrNoClientKeys
	}
	if err != nil {
		return Keys{}, err
	}
	return Keys{Public: keys}, nil
}
