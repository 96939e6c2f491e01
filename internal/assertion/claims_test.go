package assertion

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// verifyClaims signs claims with a P-256 key and verifies them with rules.
func verifyClaims(t *testing.T, claims map[string]any, r Rules) (*Claims, error) {
	t.Helper()
	k := keysOnce()
	tok, err := Parse(jwttest.Sign(t, jose.ES256, k.p256, "", claims), AsymmetricAlgorithms())
	if err != nil {
		t.Fatal(err)
	}
	return tok.Verify(Keys{Public: []jose.JSONWebKey{pub(k.p256, "", "")}}, r)
}

// edited is claimsAt and rulesAt with a case's edits (nil for none) applied.
func edited(claims func(map[string]any), rules func(*Rules)) (map[string]any, Rules) {
	c, r := claimsAt(), rulesAt()
	if claims != nil {
		claims(c)
	}
	if rules != nil {
		rules(&r)
	}
	return c, r
}

func TestClaimRulesAccept(t *testing.T) {
	cases := []struct {
		name   string
		claims func(map[string]any)
		rules  func(*Rules)
	}{
		{"as is", nil, nil},
		{"aud array with one accepted value", func(c map[string]any) { c["aud"] = []string{"https://rs.example", "https://issuer.example/"} }, nil},
		{"expired within the leeway", func(c map[string]any) { c["exp"] = t0.Add(-Leeway + time.Second).Unix() }, nil},
		{"exp at the max lifetime plus leeway", func(c map[string]any) { c["exp"] = t0.Add(time.Hour + Leeway).Unix() }, nil},
		{"nbf now", func(c map[string]any) { c["nbf"] = t0.Unix() }, nil},
		{"nbf ahead within the leeway", func(c map[string]any) { c["nbf"] = t0.Add(Leeway).Unix() }, nil},
		{"iat ahead within the leeway", func(c map[string]any) { c["iat"] = t0.Add(Leeway).Unix() }, nil},
		{"iat absent when optional", func(c map[string]any) { delete(c, "iat") }, func(r *Rules) { r.IATOptional = true }},
		{"jti absent when optional", func(c map[string]any) { delete(c, "jti") }, func(r *Rules) { r.JTIOptional = true }},
		{"fractional exp", func(c map[string]any) { c["exp"] = float64(t0.Unix()) + 60.5 }, nil},
		{"subject by callback", func(c map[string]any) { c["sub"] = "alice" },
			func(r *Rules) { r.Subject, r.CheckSubject = "", func(s string) error { return nil } }},
		{"other claims ignored", func(c map[string]any) { c["scope"] = "read"; c["cnf"] = map[string]any{"x": 1} }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := edited(tc.claims, tc.rules)
			got, err := verifyClaims(t, c, r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Issuer != c["iss"] || got.Subject != c["sub"] || len(got.Payload) == 0 {
				t.Fatalf("claims %+v", got)
			}
		})
	}
}

func TestClaimRulesRefuse(t *testing.T) {
	cases := []struct {
		name   string
		claims func(map[string]any)
		rules  func(*Rules)
		msg    string
	}{
		{"no iss", func(c map[string]any) { delete(c, "iss") }, nil, `no "iss"`},
		{"other iss", func(c map[string]any) { c["iss"] = "client-2" }, nil, `"iss" claim is not`},
		{"no sub", func(c map[string]any) { delete(c, "sub") }, nil, `no "sub"`},
		{"other sub", func(c map[string]any) { c["sub"] = "client-2" }, nil, `"sub" claim is not`},
		{"sub refused by callback", nil,
			func(r *Rules) {
				r.Subject, r.CheckSubject = "", func(string) error { return errors.New("not trusted") }
			}, `"sub" claim is not accepted`},
		{"no aud", func(c map[string]any) { delete(c, "aud") }, nil, `no "aud"`},
		{"empty aud array", func(c map[string]any) { c["aud"] = []string{} }, nil, `no "aud"`},
		{"wrong aud", func(c map[string]any) { c["aud"] = "https://evil.example/token" }, nil, "must contain one of"},
		{"wrong aud array", func(c map[string]any) { c["aud"] = []string{"a", "b"} }, nil, "must contain one of"},
		{"aud prefix of the accepted", func(c map[string]any) { c["aud"] = "https://issuer.example" }, nil, "must contain one of"},
		{"no exp", func(c map[string]any) { delete(c, "exp") }, nil, `no "exp"`},
		{"null exp", func(c map[string]any) { c["exp"] = nil }, nil, `no "exp"`},
		{"expired", func(c map[string]any) { c["exp"] = t0.Add(-Leeway).Unix() }, nil, "expired"},
		{"exp too far", func(c map[string]any) { c["exp"] = t0.Add(time.Hour + Leeway + time.Second).Unix() }, nil, "too far in the future"},
		{"exp far beyond", func(c map[string]any) { c["exp"] = 1 << 40 }, nil, "too far in the future"},
		{"nbf in the future", func(c map[string]any) { c["nbf"] = t0.Add(Leeway + time.Second).Unix() }, nil, "not valid yet"},
		{"no iat", func(c map[string]any) { delete(c, "iat") }, nil, `no "iat"`},
		{"iat in the future", func(c map[string]any) { c["iat"] = t0.Add(Leeway + time.Second).Unix() }, nil, `"iat" claim is in the future`},
		{"no jti", func(c map[string]any) { delete(c, "jti") }, nil, `no "jti"`},
		{"empty jti", func(c map[string]any) { c["jti"] = "" }, nil, `no "jti"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := edited(tc.claims, tc.rules)
			_, err := verifyClaims(t, c, r)
			if !isKind(err, ErrClaims) {
				t.Fatalf("got %v, want ErrClaims", err)
			}
			if !strings.Contains(Message(err), tc.msg) {
				t.Fatalf("message %q lacks %q", Message(err), tc.msg)
			}
		})
	}
}

// TestIncompleteRules: a caller that forgets a rule gets an error, never
// an assertion checked less than it meant.
func TestIncompleteRules(t *testing.T) {
	for name, mutate := range map[string]func(*Rules){
		"no issuer":       func(r *Rules) { r.Issuer = "" },
		"no subject rule": func(r *Rules) { r.Subject = "" },
		"no audiences":    func(r *Rules) { r.Audiences = nil },
		"no lifetime":     func(r *Rules) { r.MaxLifetime = 0 },
		"no time":         func(r *Rules) { r.Now = time.Time{} },
	} {
		r := rulesAt()
		mutate(&r)
		if _, err := verifyClaims(t, claimsAt(), r); !errors.Is(err, errIncompleteRules) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
