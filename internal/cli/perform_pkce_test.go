package cli

import "testing"

// RFC 7636 Appendix B: the example verifier and its S256 challenge.
func TestPKCES256(t *testing.T) {
	if got := pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("challenge %q", got)
	}
}

func TestNewPKCE(t *testing.T) {
	a, b := newPKCE(), newPKCE()
	if len(a.verifier) != 43 || a.verifier == b.verifier {
		t.Errorf("verifiers %q %q: want 43 characters, fresh each time", a.verifier, b.verifier)
	}
	if a.challenge != pkceS256(a.verifier) {
		t.Error("the challenge is not the verifier's S256")
	}
	// RFC 7636 section 4.1: unreserved characters only.
	for _, c := range a.verifier {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			t.Fatalf("verifier %q has %q", a.verifier, c)
		}
	}
}
