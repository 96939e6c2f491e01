package assertion

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// Single use of "jti" (RFC 7523 section 3, item 7: the server "MAY ensure
// that JWTs are not replayed by maintaining the set of used "jti" values
// for the length of time for which the JWT would be considered valid based
// on the applicable "exp" instant"; OIDC Core section 9 requires it for
// client authentication).

// ReplayStore records used jtis. *sqlstore.Store implements it.
type ReplayStore interface {
	// UseJTI records key until expires. It must be atomic: of concurrent
	// calls with one key, exactly one succeeds; the others, and any later
	// call before expires, return an error wrapping storage.ErrAlreadyUsed.
	UseJTI(ctx context.Context, key string, expires time.Time) error
}

// ClientAssertionScope is the replay scope of a client's authentication
// assertions. A jti is unique only per issuer, so the stored key binds it
// to the issuer and the purpose: one client cannot burn another's jti
// values, nor a grant assertion a client assertion's.
func ClientAssertionScope(clientID string) string { return "client_assertion\x00" + clientID }

// JWTBearerScope is the scope of jwt-bearer grant assertions of issuer.
func JWTBearerScope(issuer string) string { return "jwt-bearer\x00" + issuer }

// ReplayKey is the stored key: hex SHA-256 of the scope's length (8 bytes,
// big-endian), the scope and the jti. The length prefix makes the pair
// unambiguous whatever bytes either holds; the hash gives a fixed length
// (64) whatever the issuer and jti lengths, so the key always fits the
// store's 255-byte column and reveals neither.
func ReplayKey(scope, jti string) string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(scope)))
	h.Write(n[:])
	h.Write([]byte(scope))
	h.Write([]byte(jti))
	return hex.EncodeToString(h.Sum(nil))
}

// ConsumeJTI marks c's jti used in scope until the assertion can no longer
// be accepted (exp plus Leeway). A replay is an *Error of kind ErrReplayed;
// any other failure is returned wrapped, for the caller to treat as a
// server error.
func ConsumeJTI(ctx context.Context, store ReplayStore, scope string, c *Claims) error {
	if c.ID == "" || c.Expiry.IsZero() {
		return refuse(ErrClaims, "The assertion needs \"jti\" and \"exp\" claims to be used once.")
	}
	err := store.UseJTI(ctx, ReplayKey(scope, c.ID), c.Expiry.Add(Leeway))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrAlreadyUsed):
		return refuse(ErrReplayed, "The assertion's \"jti\" was used before; sign a new assertion with a fresh jti for each request.")
	default:
		return fmt.Errorf("assertion: recording jti: %w", err)
	}
}
