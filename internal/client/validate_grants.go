package client

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Grant types a client may register (RFC 6749, RFC 7523, RFC 8628, RFC 8693).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantImplicit          = "implicit"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Token endpoint authentication methods (RFC 7591 section 2, OIDC Core 9).
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthClientSecretJWT   = "client_secret_jwt"
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthNone              = "none"
)

var knownGrants = []string{
	GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials,
	GrantImplicit, GrantJWTBearer, GrantDeviceCode, GrantTokenExchange,
}

// validateGrants checks grant_types and response_types and their pairing
// (RFC 7591 section 2.1). Two pairings are enforced because they decide what
// the authorize endpoint hands out: authorization_code needs a response type
// with "code", and any response type that returns an access token from the
// authorize endpoint ("token") needs implicit. "code" without the
// authorization_code grant and "id_token" without implicit are accepted, as
// Hydra accepts them (its CLI sends response_types ["code"] for
// client_credentials clients, and its quickstart registers "id_token" for code
// clients); the authorize endpoint refuses them at use.
func validateGrants(c *Client) *httpx.Error {
	if len(c.GrantTypes) > len(knownGrants) {
		return invalidMetadata("The field grant_types lists a grant type more than once.")
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(knownGrants, g) {
			return invalidMetadata("The field grant_types holds an unsupported grant type; use %s.", strings.Join(knownGrants, ", "))
		}
	}
	if len(c.ResponseTypes) > maxArrayLen {
		return invalidMetadata("The field response_types must have at most %d entries.", maxArrayLen)
	}
	var hasCode, hasToken, hasImplicitType bool
	for _, rt := range c.ResponseTypes {
		parts, ok := parseResponseType(rt)
		if !ok {
			return invalidMetadata("The field response_types holds %q; each entry must be code, token, id_token or a space-separated combination of them.", httpx.Clip(rt, 64))
		}
		hasCode = hasCode || parts["code"]
		hasToken = hasToken || parts["token"]
		hasImplicitType = hasImplicitType || parts["token"] || parts["id_token"]
	}
	grants := c.GrantTypes
	if slices.Contains(grants, GrantAuthorizationCode) && !hasCode {
		return invalidMetadata("The grant type authorization_code needs a response type containing \"code\" in response_types.")
	}
	if slices.Contains(grants, GrantImplicit) && !hasImplicitType {
		return invalidMetadata("The grant type implicit needs a response type containing \"token\" or \"id_token\" in response_types.")
	}
	if hasToken && !slices.Contains(grants, GrantImplicit) {
		return invalidMetadata("A response type containing \"token\" needs the grant type implicit in grant_types.")
	}
	return nil
}

// parseResponseType splits a response type into its parts, refusing unknown
// parts, repeats and empty entries.
func parseResponseType(rt string) (map[string]bool, bool) {
	parts := map[string]bool{}
	for _, p := range strings.Split(rt, " ") {
		if p != "code" && p != "token" && p != "id_token" || parts[p] {
			return nil, false
		}
		parts[p] = true
	}
	return parts, true
}

// validateAuthMethod checks token_endpoint_auth_method and, with it,
// token_endpoint_auth_signing_alg, which must fit the method: an HMAC
// algorithm for client_secret_jwt, an asymmetric one for private_key_jwt.
// For the methods that sign nothing, Hydra accepts and ignores an
// asymmetric algorithm, so Signet does too; an HMAC algorithm there is
// refused, as it can only mean the client meant client_secret_jwt.
func validateAuthMethod(c *Client) *httpx.Error {
	alg := c.TokenEndpointAuthSigningAlg
	switch c.TokenEndpointAuthMethod {
	case AuthClientSecretJWT:
		if alg != "" && !slices.Contains(hmacAlgs, alg) {
			return invalidMetadata("The field token_endpoint_auth_signing_alg must be one of %s for client_secret_jwt.", strings.Join(hmacAlgs, ", "))
		}
		return nil
	case AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT, AuthNone:
		if alg != "" && !slices.Contains(signingAlgs, alg) {
			return invalidMetadata("The field token_endpoint_auth_signing_alg must be one of %s for %s; HMAC algorithms need client_secret_jwt.",
				strings.Join(signingAlgs, ", "), c.TokenEndpointAuthMethod)
		}
		return nil
	default:
		return invalidMetadata("The field token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none.")
	}
}

// hmacAlgs are the JWS HMAC algorithms (RFC 7518 section 3.2) a
// client_secret_jwt client may name.
var hmacAlgs = []string{"HS256", "HS384", "HS512"}

// validateKeys checks jwks and jwks_uri (RFC 7591 section 2: "The jwks_uri
// and jwks parameters MUST NOT both be present in the same request").
func validateKeys(c *Client) *httpx.Error {
	if c.JWKS != nil && c.JWKSURI != "" {
		return invalidMetadata("The fields jwks and jwks_uri must not both be set.")
	}
	if c.TokenEndpointAuthMethod == AuthPrivateKeyJWT && c.JWKS == nil && c.JWKSURI == "" {
		return invalidMetadata("The token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri.")
	}
	if c.JWKS == nil {
		return nil
	}
	if len(c.JWKS) > maxJWKSLen {
		return invalidMetadata("The field jwks must be at most %d bytes of JSON.", maxJWKSLen)
	}
	return validateJWKS(c.JWKS)
}

// validateJWKS requires a JWK Set (RFC 7517 section 5) of valid public keys:
// a private or symmetric key here would be a secret stored in the clear and
// shown on every read.
func validateJWKS(raw json.RawMessage) *httpx.Error {
	var probe struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Keys == nil {
		return invalidMetadata("The field jwks must be a JSON Web Key Set: an object with a \"keys\" array.")
	}
	if len(probe.Keys) > maxArrayLen {
		return invalidMetadata("The field jwks must hold at most %d keys.", maxArrayLen)
	}
	for i, k := range probe.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(k); err != nil {
			return invalidMetadata("The key at jwks.keys[%d] is not a valid JSON Web Key.", i)
		}
		if !key.Valid() || !key.IsPublic() {
			return invalidMetadata("The key at jwks.keys[%d] must be a valid public key (no private or symmetric keys).", i)
		}
	}
	return nil
}
