package client

import (
	"strings"
	"testing"
)

func TestValidateTokenExchange(t *testing.T) {
	long := "https://a.example/" + strings.Repeat("a", maxStringLen)
	for _, tc := range []struct {
		name   string
		policy *TokenExchange
		want   string // "" means accepted
	}{
		{"absent", nil, ""},
		{"empty", &TokenExchange{}, ""},
		{"every type", &TokenExchange{SubjectTokenTypes: []string{TokenTypeJWT, TokenTypeIDToken, TokenTypeAccessToken}, Audiences: []string{"https://a.example/", "orders"}, Impersonation: true}, ""},
		{"unknown type", &TokenExchange{SubjectTokenTypes: []string{"urn:ietf:params:oauth:token-type:refresh_token"}}, "subject_token_types"},
		{"repeated type", &TokenExchange{SubjectTokenTypes: []string{TokenTypeJWT, TokenTypeJWT}}, "distinct"},
		{"too many types", &TokenExchange{SubjectTokenTypes: []string{TokenTypeJWT, TokenTypeJWT, TokenTypeJWT, TokenTypeJWT}}, "more than once"},
		{"empty audience", &TokenExchange{Audiences: []string{""}}, "token_exchange.audiences"},
		{"audience with space", &TokenExchange{Audiences: []string{"a b"}}, "token_exchange.audiences"},
		{"audience with fragment", &TokenExchange{Audiences: []string{"https://a.example/#x"}}, "token_exchange.audiences"},
		{"audience with user info", &TokenExchange{Audiences: []string{"https://a.example@evil.example/"}}, "user information"},
		{"audience with control character", &TokenExchange{Audiences: []string{"https://a.example/\x00"}}, "token_exchange.audiences"},
		{"audience too long", &TokenExchange{Audiences: []string{long}}, "token_exchange.audiences"},
		{"too many audiences", &TokenExchange{Audiences: make([]string, maxArrayLen+1)}, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateTokenExchange(&Client{TokenExchange: tc.policy})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Description, tc.want)):
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestTokenExchangeDefaults(t *testing.T) {
	var none *TokenExchange
	if !none.AcceptsTokenType(TokenTypeAccessToken) || none.AcceptsTokenType(TokenTypeJWT) || none.AcceptsTokenType(TokenTypeIDToken) {
		t.Error("without a policy, only access tokens may be exchanged")
	}
	if none.AllowsImpersonation() || none.ExchangeAudiences() != nil {
		t.Error("without a policy, no impersonation and no audience")
	}
	p := &TokenExchange{SubjectTokenTypes: []string{TokenTypeIDToken}}
	if p.AcceptsTokenType(TokenTypeAccessToken) || !p.AcceptsTokenType(TokenTypeIDToken) {
		t.Error("a listed type replaces the default")
	}
}

// TestRegistrationRefusesTokenExchange: only an operator sets the policy.
func TestRegistrationRefusesTokenExchange(t *testing.T) {
	next := &Client{TokenExchange: &TokenExchange{Impersonation: true}}
	if err := checkAdminOnly(next, nil); err == nil || !strings.Contains(err.Error(), "token_exchange") {
		t.Fatalf("a registration request set token_exchange: %v", err)
	}
	stored := &Client{TokenExchange: &TokenExchange{Audiences: []string{"https://a.example/"}}}
	same := &Client{TokenExchange: &TokenExchange{Audiences: []string{"https://a.example/"}}}
	if err := checkAdminOnly(same, stored); err != nil {
		t.Fatalf("sending back the stored policy was refused: %v", err)
	}
	omitted := &Client{}
	if err := checkAdminOnly(omitted, stored); err != nil || omitted.TokenExchange == nil {
		t.Fatalf("omitting the policy must keep the stored one: %v %+v", err, omitted.TokenExchange)
	}
}
