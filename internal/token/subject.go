package token

// OpenID Connect Core 1.0 section 8: subject identifier types. A "public"
// client sees the subject the login app accepted; a "pairwise" client sees
// a value derived from that subject and the client's sector, so clients of
// different sectors cannot correlate a user by sub (section 8.1).
//
// Construction, chosen to be byte-for-byte what Hydra v2 computes, so that
// relying parties keep their users' sub values when an operator moves from
// Hydra to Signet (pairwise values are opaque, but they are the account key
// of every relying party that uses them):
//
//	sub = lowercase hex( SHA-256( sector || local_subject || salt ) )
//
// where || is plain concatenation (no separators), salt is
// oidc.subject_identifiers.pairwise.salt, and sector is what
// SectorIdentifier returns. Concatenation without separators is unambiguous
// within one sector (the sector is a fixed prefix and the salt a fixed
// suffix), which is the only place distinct subjects must stay distinct.
//
// Where it sits: the authorization endpoint calls SectorIdentifier and
// PairwiseSubject once, when the consent verifier comes back, for clients
// whose subject_type is "pairwise". The derived value is what the code
// carries, so every token, ID token and userinfo answer of that grant sees
// it without deriving it again. Consent and login sessions keep the local
// subject, because the admin API lists and revokes them by the subject the
// login app knows. It lives in token (not oidc) so that oauth2, which
// cannot import oidc, can call it.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
)

// ErrNoSectorIdentifier is returned by SectorIdentifier for a client whose
// sector cannot be determined. The wrapped message says how to fix the
// client and is safe to show.
var ErrNoSectorIdentifier = errors.New("token: no sector identifier")

// PairwiseSubject derives the pairwise subject of localSubject for a sector
// (see the construction above). It is deterministic: the same inputs always
// give the same 64 lowercase hex characters.
func PairwiseSubject(sector, localSubject, salt string) string {
	h := sha256.New()
	h.Write([]byte(sector))
	h.Write([]byte(localSubject))
	h.Write([]byte(salt))
	return hex.EncodeToString(h.Sum(nil))
}

// SectorIdentifier returns the sector a pairwise client's subjects are
// derived for (OIDC Core 8.1):
//
//   - with sector_identifier_uri set: that URI, verbatim. The specification
//     names its host; Signet hashes the whole URI because Hydra does, and
//     changing it would change every existing pairwise subject. Clients
//     sharing a sector_identifier_uri still share subjects.
//   - otherwise: the host (with port, as Hydra uses it) of the registered
//     redirect URIs, which must then all have that same host. Section 8.1
//     requires a sector_identifier_uri when they do not.
func SectorIdentifier(c *client.Client) (string, error) {
	if c.SectorIdentifierURI != "" {
		return c.SectorIdentifierURI, nil
	}
	if len(c.RedirectURIs) == 0 {
		return "", fmt.Errorf("%w: OAuth 2.0 client %q uses pairwise subjects but has neither "+
			"a sector_identifier_uri nor a redirect URI", ErrNoSectorIdentifier, c.ID)
	}
	var host string
	for i, raw := range c.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%w: redirect URI %d of OAuth 2.0 client %q has no host",
				ErrNoSectorIdentifier, i+1, c.ID)
		}
		if i > 0 && u.Host != host {
			return "", fmt.Errorf("%w: OAuth 2.0 client %q uses pairwise subjects and has redirect URIs "+
				"on several hosts (%q, %q); set sector_identifier_uri (OpenID Connect Core 1.0 section 8.1)",
				ErrNoSectorIdentifier, c.ID, host, u.Host)
		}
		host = u.Host
	}
	return host, nil
}
