package oauth2

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestParsePKCEChallenge(t *testing.T) {
	plain43 := strings.Repeat("a", 43)
	cases := []struct {
		name, challenge, method string
		plainAllowed            bool
		wantMethod, wantCode    string
	}{
		{"no pkce", "", "", false, "", ""},
		{"S256", oauth2test.PKCEChallenge, "S256", false, "S256", ""},
		{"method without challenge", "", "S256", false, "", "invalid_request"},
		{"absent method defaults to plain, refused", oauth2test.PKCEChallenge, "", false, "", "invalid_request"},
		{"absent method defaults to plain, allowed", plain43, "", true, "plain", ""},
		{"plain refused", plain43, "plain", false, "", "invalid_request"},
		{"plain allowed 128", strings.Repeat("~", 128), "plain", true, "plain", ""},
		{"plain too short", strings.Repeat("a", 42), "plain", true, "", "invalid_request"},
		{"plain too long", strings.Repeat("a", 129), "plain", true, "", "invalid_request"},
		{"plain reserved char", strings.Repeat("a", 42) + "+", "plain", true, "", "invalid_request"},
		{"S256 hex digest", strings.Repeat("ab", 32), "S256", false, "", "invalid_request"},
		{"S256 padded", oauth2test.PKCEChallenge + "=", "S256", false, "", "invalid_request"},
		{"S256 std base64 chars", strings.Repeat("a", 42) + "/", "S256", false, "", "invalid_request"},
		{"method case", oauth2test.PKCEChallenge, "s256", false, "", "invalid_request"},
		{"unknown method", oauth2test.PKCEChallenge, "S512", false, "", "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParsePKCEChallenge(tc.challenge, tc.method, tc.plainAllowed)
			if oauth2test.ErrCode(err) != tc.wantCode || (err != nil) != (tc.wantCode != "") {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if m != tc.wantMethod {
				t.Fatalf("method = %q, want %q", m, tc.wantMethod)
			}
		})
	}
}

func TestVerifyPKCE(t *testing.T) {
	plain := strings.Repeat("x", 50)
	other := strings.Repeat("y", 43)
	sum := sha256.Sum256([]byte(other))
	otherChallenge := base64.RawURLEncoding.EncodeToString(sum[:])
	cases := []struct {
		name, challenge, method, verifier string
		ok                                bool
	}{
		{"rfc example", oauth2test.PKCEChallenge, "S256", oauth2test.PKCEVerifier, true},
		{"computed", otherChallenge, "S256", other, true},
		{"wrong verifier", oauth2test.PKCEChallenge, "S256", other, false},
		{"verifier is the challenge", oauth2test.PKCEChallenge, "S256", oauth2test.PKCEChallenge, false},
		{"plain", plain, "plain", plain, true},
		{"plain mismatch", plain, "plain", plain[:49] + "z", false},
		{"no pkce, no verifier", "", "", "", true},
		{"downgrade: verifier without challenge", "", "", oauth2test.PKCEVerifier, false},
		{"missing verifier", oauth2test.PKCEChallenge, "S256", "", false},
		{"short verifier", oauth2test.PKCEChallenge, "S256", oauth2test.PKCEVerifier[:42], false},
		{"long verifier", oauth2test.PKCEChallenge, "S256", strings.Repeat("a", 129), false},
		{"bad char verifier", oauth2test.PKCEChallenge, "S256", oauth2test.PKCEVerifier[:42] + "%", false},
		{"unknown stored method", oauth2test.PKCEChallenge, "S512", oauth2test.PKCEVerifier, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyPKCE(tc.challenge, tc.method, tc.verifier)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && oauth2test.ErrCode(err) != "invalid_grant" {
				t.Fatalf("code = %q, want invalid_grant", oauth2test.ErrCode(err))
			}
		})
	}
}

func TestPKCERequired(t *testing.T) {
	cases := []struct{ enforced, forPublic, public, want bool }{
		{false, false, false, false},
		{false, false, true, false},
		{false, true, false, false},
		{false, true, true, true},
		{true, false, false, true},
		{true, false, true, true},
	}
	for _, tc := range cases {
		if got := PKCERequired(tc.enforced, tc.forPublic, tc.public); got != tc.want {
			t.Errorf("PKCERequired(%v, %v, %v) = %v", tc.enforced, tc.forPublic, tc.public, got)
		}
	}
}
