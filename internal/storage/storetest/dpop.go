package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// DPoP (RFC 9449): the key thumbprint a token or code is bound to survives
// every way it is written (batched insert, refresh create, refresh
// rotation, code create) and an unbound one reads back unbound.

// testJKT is shaped like an RFC 7638 thumbprint (43 base64url characters).
const testJKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"

func testDPoPBinding(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	bound, plain := newAccess("dpop-at", "app"), newAccess("bearer-at", "app")
	bound.JKT = testJKT
	for _, a := range []*token.AccessRecord{bound, plain} {
		if err := s.CreateAccess(c, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetAccess(c, a.Digest)
		if err != nil {
			t.Fatal(err)
		}
		sameAccess(t, got, a)
	}
	rt := newRefresh("dpop-rt", "app", "fam")
	rt.JKT = testJKT
	if err := s.CreateRefresh(c, rt); err != nil {
		t.Fatal(err)
	}
	next, at := newRefresh("dpop-rt2", "app", "fam"), newAccess("dpop-at2", "app")
	next.JKT, at.JKT = testJKT, testJKT
	if err := s.RotateRefresh(c, rt.Digest, baseTime().Add(time.Minute), token.Grace{}, next, at); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"dpop-rt", "dpop-rt2"} {
		got, err := s.GetRefresh(c, digest(d))
		if err != nil || got.JKT != testJKT {
			t.Errorf("refresh %s: jkt = %q, %v; want %q", d, jkt(got), err, testJKT)
		}
	}
	if got, err := s.GetAccess(c, at.Digest); err != nil || got.JKT != testJKT {
		t.Errorf("rotated access token: %+v, %v", got, err)
	}
	if got, err := s.GetRefresh(c, digest("rt-unbound-never-written")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown refresh: %+v, %v", got, err)
	}
	code := newCode("dpop-code", "app", "fam")
	code.DPoPJKT = testJKT
	if err := s.CreateCode(c, code); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ConsumeCode(c, code.Digest, baseTime().Add(time.Minute)); err != nil || got.DPoPJKT != testJKT {
		t.Errorf("code: %+v, %v; want dpop_jkt %q", got, err, testJKT)
	}
	plainCode := newCode("plain-code", "app", "fam")
	if err := s.CreateCode(c, plainCode); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ConsumeCode(c, plainCode.Digest, baseTime().Add(time.Minute)); err != nil || got.DPoPJKT != "" {
		t.Errorf("unbound code: %+v, %v", got, err)
	}
	bad := newAccess("bad-jkt", "app")
	bad.JKT = "a\x00b"
	if err := s.CreateAccess(c, bad); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("jkt with NUL: err = %v, want ErrInvalidValue", err)
	}
}

func jkt(r *token.RefreshRecord) string {
	if r == nil {
		return "<nil>"
	}
	return r.JKT
}

// testDPoPProofReplay: a proof's jti is a UseJTI key, single use until it
// expires, one statement per proof.
func testDPoPProofReplay(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	key := "dpop-" + testJKT[:20]
	exp := baseTime().Add(time.Minute)
	s.ResetStats()
	if err := s.UseJTI(c, key, exp); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("UseJTI: %d statements, want 1", st.Queries)
	}
	if err := s.UseJTI(c, key, exp); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("replay: err = %v, want ErrAlreadyUsed", err)
	}
}
