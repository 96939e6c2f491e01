package flow

import (
	"encoding/base64"
	"errors"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

// FuzzOpenChallenge asserts that Open never panics, refuses with
// ErrInvalidChallenge only, and accepts nothing but the exact strings Seal
// produced, each only for the purpose it was sealed for.
func FuzzOpenChallenge(f *testing.F) {
	// Fuzzing runs this setup in every worker process; a seeded random
	// source makes each of them seal exactly the same strings.
	r := mrand.NewChaCha8([32]byte{7})
	k, err := secret.NewKeyring([]string{"fuzz-system-secret-0123456789"}, r)
	if err != nil {
		f.Fatal(err)
	}
	s := NewSealer(k, func() time.Time { return t0 }, testTTL)
	produced := map[string]Purpose{}
	for _, c := range []struct {
		st State
		p  Purpose
	}{
		{StateLoginRequested, PurposeLoginChallenge},
		{StateLoginAccepted, PurposeLoginVerifier},
		{StateConsentRequested, PurposeConsentChallenge},
		{StateConsentAccepted, PurposeConsentVerifier},
		{StateCodeIssued, PurposeLogoutChallenge},
	} {
		str, p := mustSeal(f, s, flowInFrom(f, r, c.st), c.p), c.p
		produced[str] = p
		raw, _ := base64.RawURLEncoding.DecodeString(str[len(sealPrefix):])
		flipped := append([]byte{}, raw...)
		flipped[len(flipped)/2] ^= 0x80
		f.Add(str)
		f.Add(str[:len(str)-1])
		f.Add(str + "A")
		f.Add(sealPrefix + base64.RawURLEncoding.EncodeToString(flipped))
		f.Add(sealPrefix + base64.RawURLEncoding.EncodeToString(raw[:20]))
	}
	f.Add("")
	f.Add(sealPrefix)
	f.Add("s1.\n\r")
	purposes := []Purpose{PurposeLoginChallenge, PurposeLoginVerifier, PurposeConsentChallenge,
		PurposeConsentVerifier, PurposeLogoutChallenge, Purpose("")}

	f.Fuzz(func(t *testing.T, str string) {
		for _, p := range purposes {
			got, err := s.Open(str, p)
			if err != nil {
				if got != nil || !errors.Is(err, ErrInvalidChallenge) {
					t.Fatalf("Open(%q, %s) = %v, %v", str, p, got, err)
				}
				continue
			}
			if want, ok := produced[str]; !ok || want != p {
				t.Fatalf("Open accepted %q for %s, which Seal did not produce for it", str, p)
			}
		}
	})
}
