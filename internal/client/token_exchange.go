package client

import (
	"net/url"
	"slices"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// A client's token exchange policy (RFC 8693, oauth2/grant_token_exchange.go),
// a Signet extension of the client metadata: Hydra has no token exchange.
// It is stored in the client's JSON document like every other field, set
// only through the admin API (dynamic registration refuses it, see
// registration_policy.go), and hydra-client-go keeps it in
// AdditionalProperties, so clients managed with the SDK keep their policy.
//
// RFC 8693 section 1.1 leaves "who may exchange what for whom" to the
// server; this is that decision, per client:
//
//	"token_exchange": {
//	  "subject_token_types": ["urn:ietf:params:oauth:token-type:access_token"],
//	  "audiences": ["https://orders.example/"],
//	  "impersonation": false
//	}
//
// An absent policy is the empty one: Signet access tokens only, no
// audience, no impersonation (so an actor_token is required). The client
// must still list the token-exchange grant in grant_types.

// Token type identifiers of RFC 8693 section 3 that Signet accepts as
// subject or actor tokens.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// TokenExchange is the policy.
type TokenExchange struct {
	// SubjectTokenTypes are the token types the client may present as
	// subject_token and actor_token; empty means access tokens only.
	SubjectTokenTypes []string `json:"subject_token_types,omitempty"`
	// Audiences are what the client may ask exchanged tokens for, through
	// audience or resource, matched like the client's audience field
	// (equal, or a path below). Empty means no audience may be requested.
	Audiences []string `json:"audiences,omitempty"`
	// Impersonation lets the client exchange without an actor_token: the
	// new token is then indistinguishable from one issued to the subject.
	// Without it, every exchange is a delegation and carries "act".
	Impersonation bool `json:"impersonation,omitempty"`
}

// exchangeTokenTypes are the values SubjectTokenTypes may hold.
var exchangeTokenTypes = []string{TokenTypeAccessToken, TokenTypeIDToken, TokenTypeJWT}

// AcceptsTokenType reports whether the policy (nil: the defaults) accepts
// typ as a subject or actor token type.
func (p *TokenExchange) AcceptsTokenType(typ string) bool {
	if p == nil || len(p.SubjectTokenTypes) == 0 {
		return typ == TokenTypeAccessToken
	}
	return slices.Contains(p.SubjectTokenTypes, typ)
}

// AllowsImpersonation reports whether the client may exchange without an actor.
func (p *TokenExchange) AllowsImpersonation() bool { return p != nil && p.Impersonation }

// ExchangeAudiences are the audiences the client may request (nil: none).
func (p *TokenExchange) ExchangeAudiences() []string {
	if p == nil {
		return nil
	}
	return p.Audiences
}

// validateTokenExchange checks the policy's fields.
func validateTokenExchange(c *Client) *httpx.Error {
	p := c.TokenExchange
	if p == nil {
		return nil
	}
	if len(p.SubjectTokenTypes) > len(exchangeTokenTypes) {
		return invalidMetadata("The field token_exchange.subject_token_types lists a token type more than once.")
	}
	for i, t := range p.SubjectTokenTypes {
		if !slices.Contains(exchangeTokenTypes, t) || slices.Contains(p.SubjectTokenTypes[:i], t) {
			return invalidMetadata("The field token_exchange.subject_token_types must hold distinct values of %s.", strings.Join(exchangeTokenTypes, ", "))
		}
	}
	if len(p.Audiences) > maxArrayLen {
		return invalidMetadata("The field token_exchange.audiences must have at most %d entries.", maxArrayLen)
	}
	for _, a := range p.Audiences {
		if a == "" || len(a) > maxStringLen || !printable(a) || strings.ContainsAny(a, " #") {
			return invalidMetadata("Each entry of token_exchange.audiences must be 1 to %d printable bytes without spaces or fragments.", maxStringLen)
		}
		if u, err := url.Parse(a); err != nil || u.User != nil {
			return invalidMetadata("Each entry of token_exchange.audiences must be a URI without user information.")
		}
	}
	return nil
}
