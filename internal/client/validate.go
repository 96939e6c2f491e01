package client

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Bounds on client metadata. They are generous for real clients and keep a
// stranger (or a leaked admin credential) from storing megabytes per row.
const (
	maxIDLen       = 255
	maxNameLen     = 1024
	maxStringLen   = 2048 // URIs, audience entries, contacts
	maxScopeLen    = 4096
	maxArrayLen    = 100
	maxMetadataLen = 64 << 10
	maxJWKSLen     = 256 << 10
)

// Defaults fills the fields a caller may leave empty, as Hydra does, so that
// what is stored and returned is what the protocol engine will enforce.
func Defaults(c *Client) {
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantAuthorizationCode}
	}
	if len(c.ResponseTypes) == 0 {
		c.ResponseTypes = []string{"code"}
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = AuthClientSecretBasic
	}
	if c.SubjectType == "" {
		c.SubjectType = "public"
	}
	if c.Scope == "" {
		c.Scope = "offline_access offline openid"
	}
	if c.UserinfoSignedResponseAlg == "" {
		c.UserinfoSignedResponseAlg = "none"
	}
	c.JWKS = nilIfNull(c.JWKS)
	c.Metadata = nilIfNull(c.Metadata)
}

func nilIfNull(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	return raw
}

// invalidMetadata is RFC 7591 section 3.2.2's invalid_client_metadata.
func invalidMetadata(format string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_client_metadata", format, args...)
}

// invalidRedirect is RFC 7591 section 3.2.2's invalid_redirect_uri.
func invalidRedirect(format string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_redirect_uri", format, args...)
}

// Validate checks c after Defaults. It returns nil or an *httpx.Error (400)
// whose description names the offending field. It does not look at the
// secret; settleSecret owns those rules.
func Validate(c *Client) error {
	checks := []func(*Client) *httpx.Error{
		validateID, validateStrings, validateGrants, validateAuthMethod,
		validateKeys, validateRedirects, validateURIs, validateOrigins,
		validateLists, validateEnums, validateMetadata, validateLifespans,
		validateTokenExchange,
	}
	for _, check := range checks {
		if err := check(c); err != nil {
			return err
		}
	}
	return nil
}

func validateID(c *Client) *httpx.Error {
	if c.ID == "" || len(c.ID) > maxIDLen {
		return invalidMetadata("The field client_id must be 1 to %d bytes long.", maxIDLen)
	}
	if !printable(c.ID) {
		return invalidMetadata("The field client_id must be printable UTF-8 without control characters.")
	}
	return nil
}

// printable reports whether s is valid UTF-8 holding no control or other
// non-printing characters (spaces are allowed).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func validateStrings(c *Client) *httpx.Error {
	fields := []struct {
		name, value string
		max         int
	}{
		{"client_name", c.Name, maxNameLen},
		{"owner", c.Owner, maxNameLen},
		{"scope", c.Scope, maxScopeLen},
		{"token_endpoint_auth_signing_alg", c.TokenEndpointAuthSigningAlg, 32},
		{"request_object_signing_alg", c.RequestObjectSigningAlg, 32},
		{"userinfo_signed_response_alg", c.UserinfoSignedResponseAlg, 32},
		{"registration_access_token", c.RegistrationAccessToken, maxStringLen},
	}
	for _, f := range fields {
		if len(f.value) > f.max {
			return invalidMetadata("The field %s must be at most %d bytes long.", f.name, f.max)
		}
		if !printable(f.value) {
			return invalidMetadata("The field %s must be printable UTF-8 without control characters.", f.name)
		}
	}
	if c.SecretExpiresAt < 0 {
		return invalidMetadata("The field client_secret_expires_at must not be negative.")
	}
	return validateScope(c.Scope)
}

// validateScope applies RFC 6749 section 3.3: scope-token = 1*( %x21 /
// %x23-5B / %x5D-7E ), separated by single spaces.
func validateScope(scope string) *httpx.Error {
	for _, tok := range strings.Split(scope, " ") {
		if tok == "" {
			return invalidMetadata("The field scope must be scope tokens separated by single spaces.")
		}
		for i := 0; i < len(tok); i++ {
			b := tok[i]
			if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
				return invalidMetadata("The field scope holds a character RFC 6749 section 3.3 does not allow in a scope token.")
			}
		}
	}
	return nil
}

// validateEnums checks the fields with a fixed set of values.
//
// subject_type "pairwise" is accepted even when the server does not list it
// in oidc.subject_identifiers.supported_types: this package cannot see the
// configuration (and the list may change on reload). The authorization
// endpoint refuses such a client with unauthorized_client, and likewise a
// pairwise client whose sector cannot be determined (no
// sector_identifier_uri and redirect URIs on several hosts).
func validateEnums(c *Client) *httpx.Error {
	if c.SubjectType != "public" && c.SubjectType != "pairwise" {
		return invalidMetadata("The field subject_type must be \"public\" or \"pairwise\".")
	}
	switch c.AccessTokenStrategy {
	case "", "opaque", "jwt":
	default:
		return invalidMetadata("The field access_token_strategy must be \"opaque\" or \"jwt\".")
	}
	// token_endpoint_auth_signing_alg depends on the auth method;
	// validateAuthMethod checks it.
	algs := []struct{ name, value string }{
		{"request_object_signing_alg", c.RequestObjectSigningAlg},
		{"userinfo_signed_response_alg", c.UserinfoSignedResponseAlg},
	}
	for _, a := range algs {
		if a.value == "" || a.value == "none" || slices.Contains(signingAlgs, a.value) {
			continue
		}
		return invalidMetadata("The field %s names an unsupported algorithm; use one of %s.",
			a.name, strings.Join(signingAlgs, ", "))
	}
	return nil
}

// signingAlgs are the asymmetric JWS algorithms (RFC 7518 section 3.1) a
// client may name for request objects, userinfo and private_key_jwt. HMAC
// algorithms are absent: only client_secret_jwt clients have their secret
// kept in a form that can check an HMAC (see hmacAlgs).
var signingAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func validateMetadata(c *Client) *httpx.Error {
	if c.Metadata == nil {
		return nil
	}
	if len(c.Metadata) > maxMetadataLen {
		return invalidMetadata("The field metadata must be at most %d bytes of JSON.", maxMetadataLen)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c.Metadata, &obj); err != nil {
		return invalidMetadata("The field metadata must be a JSON object or null.")
	}
	return nil
}

func validateLifespans(c *Client) *httpx.Error {
	l := c.Lifespans
	for _, d := range []*Duration{
		l.AuthorizationCodeGrantAccessTokenLifespan, l.AuthorizationCodeGrantIDTokenLifespan,
		l.AuthorizationCodeGrantRefreshTokenLifespan, l.ClientCredentialsGrantAccessTokenLifespan,
		l.DeviceAuthorizationGrantAccessTokenLifespan, l.DeviceAuthorizationGrantIDTokenLifespan,
		l.DeviceAuthorizationGrantRefreshTokenLifespan, l.ImplicitGrantAccessTokenLifespan,
		l.ImplicitGrantIDTokenLifespan, l.JwtBearerGrantAccessTokenLifespan,
		l.RefreshTokenGrantAccessTokenLifespan, l.RefreshTokenGrantIDTokenLifespan,
		l.RefreshTokenGrantRefreshTokenLifespan,
	} {
		if d != nil && *d < 0 {
			return invalidMetadata("Token lifespans must not be negative.")
		}
	}
	return nil
}
