package authorize

import (
	"net/http"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// Response types of the authorization endpoint: RFC 6749 section 3.1.1
// ("code", "token"), OAuth 2.0 Multiple Response Type Encoding Practices
// section 3 and OpenID Connect Core 1.0 sections 3.2 and 3.3 ("id_token"
// and the combinations).
//
// "A response type value is a space-delimited list of values, where the
// order of values does not matter" (RFC 6749 section 3.1.1), so a value is
// parsed into a set and compared as one, with the client's registered
// values too: "token id_token" is "id_token token".
//
// Rules, as Hydra (fosite) has them:
//   - a response type that returns a token or ID token from the
//     authorization endpoint needs the "implicit" grant type; one that also
//     returns a code (hybrid) needs "authorization_code" as well;
//   - "code" alone keeps today's rule: registered in response_types only.
//
// Not supported: "none" (Multiple Response Types section 4), refused as
// unsupported_response_type.

// ResponseType is a parsed response_type: which of code, token and
// id_token it asks for. The zero value asks for nothing and is never valid.
type ResponseType struct {
	Code, Token, IDToken bool
}

// SupportedResponseTypes lists every response type the authorization
// endpoint serves, spelled as the OAuth Authorization Endpoint Response
// Types registry spells them, for discovery's response_types_supported.
func SupportedResponseTypes() []string {
	return []string{"code", "code id_token", "code id_token token", "code token", "id_token", "id_token token", "token"}
}

// ParseResponseType reads a response_type value. Parts are separated by
// single spaces; an unknown, repeated or empty part makes it invalid.
func ParseResponseType(s string) (ResponseType, bool) {
	var rt ResponseType
	if s == "" {
		return rt, false
	}
	for _, part := range strings.Split(s, " ") {
		var flag *bool
		switch part {
		case "code":
			flag = &rt.Code
		case "token":
			flag = &rt.Token
		case "id_token":
			flag = &rt.IDToken
		default:
			return ResponseType{}, false
		}
		if *flag {
			return ResponseType{}, false
		}
		*flag = true
	}
	return rt, true
}

// String is the canonical spelling: code, id_token, token in that order.
func (rt ResponseType) String() string {
	var parts []string
	if rt.Code {
		parts = append(parts, "code")
	}
	if rt.IDToken {
		parts = append(parts, "id_token")
	}
	if rt.Token {
		parts = append(parts, "token")
	}
	return strings.Join(parts, " ")
}

// ReturnsTokens reports whether the response carries an access token or an
// ID token: such a response must never travel in the query (Multiple
// Response Types section 2.1), and it needs the implicit grant type.
func (rt ResponseType) ReturnsTokens() bool { return rt.Token || rt.IDToken }

// registeredBy reports whether c registered rt, compared as sets. A client
// without response_types is treated as registered for "code", the default
// client registration stores.
func (rt ResponseType) registeredBy(c *client.Client) bool {
	if len(c.ResponseTypes) == 0 {
		return rt == ResponseType{Code: true}
	}
	for _, v := range c.ResponseTypes {
		if have, ok := ParseResponseType(v); ok && have == rt {
			return true
		}
	}
	return false
}

// checkResponseType parses rt and checks that c may use it: the response
// type itself (unsupported_response_type) first, then the registration
// (unauthorized_client), as a client developer would fix them.
func checkResponseType(raw string, c *client.Client) (ResponseType, *httpx.Error) {
	if raw == "" {
		return ResponseType{}, oauth2.InvalidRequest("The response_type parameter is required.")
	}
	rt, ok := ParseResponseType(raw)
	if !ok {
		return rt, httpx.NewError(http.StatusBadRequest, "unsupported_response_type",
			"The authorization server does not support obtaining a token using this method.").
			WithHint("The response_type %q is not supported; use one of: %s.",
				httpx.Clip(raw, 32), strings.Join(SupportedResponseTypes(), ", "))
	}
	if !rt.registeredBy(c) {
		return rt, oauth2.UnauthorizedClient("The client is not registered for response_type %q (see its response_types).", rt.String())
	}
	if rt.ReturnsTokens() && !oauth2.AllowsGrant(c, client.GrantImplicit) {
		return rt, oauth2.UnauthorizedClient("The response_type %q needs the grant type implicit in the client's grant_types.", rt.String())
	}
	if rt.Code && rt.ReturnsTokens() && !oauth2.AllowsGrant(c, oauth2.GrantAuthorizationCode) {
		return rt, oauth2.UnauthorizedClient("The response_type %q needs the grant type authorization_code in the client's grant_types.", rt.String())
	}
	return rt, nil
}
