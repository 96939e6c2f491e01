package jwk

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
)

// The ID token and access token sets must always hold a key that can sign:
// Signer regenerates a key only for a set that is completely empty, so a
// set left with only public or encryption keys would make every token
// request fail until an operator noticed. Admin changes that would leave
// such a set without a signer are refused instead.
//
// Replacing a whole set is checked on the request body alone, and the
// replacement is atomic. Single-key changes (PUT one key, DELETE one key,
// POST an encryption key) read the stored set first, so two such requests
// racing each other (deleting the last two signing keys at once, say) can
// still empty a set of signers; the operator is then one DELETE of the set
// away from a fresh key.

// signsTokens reports whether Signet signs tokens with the keys of set.
func signsTokens(set string) bool { return set == SetIDToken || set == SetAccessToken }

// canSign reports whether k would get a signer in the snapshot: a private
// key with use "sig" and a signing algorithm (the test openRecord makes).
func canSign(k jose.JSONWebKey) bool {
	return !k.IsPublic() && k.Use == "sig" && isSigningAlg(k.Algorithm)
}

// recordCanSign is canSign for a stored key, read from its public half
// (which carries the same alg and use) without opening the private half.
func recordCanSign(rec *Record) bool {
	if rec.SealedPrivate == nil {
		return false
	}
	var pub struct {
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	if json.Unmarshal(rec.Public, &pub) != nil {
		return false
	}
	return pub.Use == "sig" && isSigningAlg(pub.Alg)
}

func errNoSigner(set string) error {
	return httpx.BadRequest("The key set %s signs tokens and must keep at least one private signing key "+
		"(a private key with use \"sig\" and a signing alg). Add such a key first, or delete the whole set "+
		"to have a new signing key generated.", set)
}

// otherSigners reports whether set holds a key that can sign other than
// kid, and whether it holds kid at all.
func (m *Manager) otherSigners(ctx context.Context, set, kid string) (others, found bool, err error) {
	recs, err := m.store.ListKeys(ctx, set)
	if err != nil && !isNotFound(err) {
		return false, false, fmt.Errorf("jwk: listing set %q: %w", set, err)
	}
	for _, rec := range recs {
		if rec.KID == kid {
			found = true
		} else if recordCanSign(rec) {
			others = true
		}
	}
	return others, found, nil
}

// keepsSigner refuses writing key (under its kid, replacing any key with
// that kid) into a token-signing set when neither key nor any other stored
// key can sign.
func (m *Manager) keepsSigner(ctx context.Context, set, kid string, key jose.JSONWebKey) error {
	if !signsTokens(set) || canSign(key) {
		return nil
	}
	others, _, err := m.otherSigners(ctx, set, kid)
	if err != nil {
		return err
	}
	if !others {
		return errNoSigner(set)
	}
	return nil
}

// deleteKeepsSigner refuses deleting kid from a token-signing set when no
// other stored key can sign. A kid that is not there passes, so the store
// answers 404 as for any missing key.
func (m *Manager) deleteKeepsSigner(ctx context.Context, set, kid string) error {
	if !signsTokens(set) {
		return nil
	}
	others, found, err := m.otherSigners(ctx, set, kid)
	if err != nil {
		return err
	}
	if found && !others {
		return errNoSigner(set)
	}
	return nil
}
