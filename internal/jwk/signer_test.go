package jwk

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestTypedSigner: logout tokens carry typ "logout+jwt" and are signed by
// the newest key of the set, while ordinary signers keep typ "JWT".
func TestTypedSigner(t *testing.T) {
	m := newManager(t, newFakeStore())
	ctx := context.Background()
	s, pub, err := m.TypedSigner(ctx, SetIDToken, "logout+jwt")
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"iss":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Signatures[0].Protected
	if h.ExtraHeaders["typ"] != "logout+jwt" || h.KeyID != pub.KeyID {
		t.Errorf("header typ %v kid %q, want logout+jwt and %q", h.ExtraHeaders["typ"], h.KeyID, pub.KeyID)
	}
	if _, err := parsed.Verify(pub); err != nil {
		t.Errorf("a typed signature does not verify with the set's key: %v", err)
	}
	plain, _, err := m.Signer(ctx, SetIDToken)
	if err != nil {
		t.Fatal(err)
	}
	jws, _ = plain.Sign([]byte(`{}`))
	compact, _ = jws.CompactSerialize()
	parsed, _ = jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.RS256})
	if parsed.Signatures[0].Protected.ExtraHeaders["typ"] != "JWT" {
		t.Error("the ordinary signer lost its typ JWT")
	}
}
