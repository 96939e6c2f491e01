package token

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/jwk"
)

func testIssuer(t *testing.T) (*Issuer, *fakeStore) {
	keys := newFakeKeys(t, jwk.SetAccessToken)
	st := newFakeStore()
	return &Issuer{
		Store:  st,
		Opaque: testOpaque("a"),
		JWT:    &JWT{Signer: keys, Keys: keys, Rand: rand.Reader},
		Now:    func() time.Time { return testNow },
	}, st
}

func TestIssuerAccessOneWrite(t *testing.T) {
	for _, strategy := range []string{"", StrategyOpaque, StrategyJWT} {
		iss, st := testIssuer(t)
		raw, rec, err := iss.Access(context.Background(), testClaims(), strategy)
		if err != nil {
			t.Fatalf("%q: %v", strategy, err)
		}
		if st.creates != 1 || st.gets != 0 {
			t.Fatalf("%q: %d writes %d reads, want exactly one write", strategy, st.creates, st.gets)
		}
		want := strategy
		if want == "" {
			want = StrategyOpaque
		}
		if rec.Strategy != want {
			t.Fatalf("strategy %q minted %q", strategy, rec.Strategy)
		}
		d, err := Check(context.Background(), raw, iss.Opaque, iss.JWT)
		if err != nil || !bytes.Equal(d, rec.Digest) {
			t.Fatalf("%q: Check = %v", strategy, err)
		}
		stored, _ := st.GetAccess(context.Background(), d)
		if stored != rec {
			t.Fatalf("%q: stored record differs", strategy)
		}
	}
}

func TestIssuerRefuses(t *testing.T) {
	iss, st := testIssuer(t)
	if _, _, err := iss.Access(context.Background(), testClaims(), "paseto"); !errors.Is(err, errNoStrategy) {
		t.Fatalf("unknown strategy: %v", err)
	}
	c := testClaims()
	c.ExpiresAt = c.IssuedAt
	if _, _, err := iss.Access(context.Background(), c, ""); err == nil {
		t.Fatal("zero-lifetime token issued")
	}
	c = testClaims()
	c.IssuedAt = time.Time{}
	if _, rec, err := iss.Access(context.Background(), c, ""); err != nil || !rec.IssuedAt.Equal(testNow) {
		t.Fatalf("IssuedAt not defaulted to Now: %v", err)
	}
	if st.creates != 1 {
		t.Fatalf("refused requests wrote %d records", st.creates-1)
	}
}

func TestCheckDispatch(t *testing.T) {
	iss, _ := testIssuer(t)
	for _, tok := range []string{"", "signet_at_x", "a.b", "a.b.c", "random"} {
		if _, err := Check(context.Background(), tok, iss.Opaque, iss.JWT); !errors.Is(err, ErrMalformed) {
			t.Errorf("Check(%q) = %v", tok, err)
		}
	}
	jwtRaw, _, _ := iss.JWT.Mint(context.Background(), testClaims())
	if _, err := Check(context.Background(), jwtRaw, iss.Opaque, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("JWT accepted without a JWT strategy: %v", err)
	}
}
