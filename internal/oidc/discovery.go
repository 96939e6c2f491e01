package oidc

// OpenID Connect Discovery 1.0 section 3 and RFC 8414 section 2: the
// provider metadata at /.well-known/openid-configuration.
//
// The document is built once from the configuration and the feature table
// and served as pre-encoded bytes: it costs no database round trip and no
// marshalling per request. It lists what Signet serves. The contract's
// oidcConfiguration marks authorization_endpoint and
// device_authorization_endpoint as required: the first is always present,
// the second unless the operator switched the device grant off.

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Features says which optional parts of the protocol are mounted. The route
// table and this document read the same value, so discovery cannot
// advertise an endpoint that is not there.
type Features struct {
	GrantTypes           []string // e.g. client_credentials
	ResponseTypes        []string
	TokenAuthMethods     []string
	IDTokenAlgs          []string
	SubjectTypes         []string
	Revocation           bool
	Userinfo             bool
	CodeChallengeMethods []string // ["S256"], plus "plain" only when configured
	// ResponseModes defaults to ["query", "fragment"] when empty; with the
	// code flow alone it is ["query"].
	ResponseModes []string
	// Claims lists the claims Signet can put into ID tokens and userinfo
	// (DefaultClaims with the code flow); omitted when empty.
	Claims []string
	// Scopes defaults to DefaultScopes() when empty.
	Scopes []string
	// UserinfoSigningAlgs defaults to IDTokenAlgs: signed userinfo uses the
	// ID token key.
	UserinfoSigningAlgs []string
	// EndSession mounts /oauth2/sessions/logout (RP-Initiated Logout 1.0);
	// FrontChannel and BackChannel say that logout notifies clients that
	// way, with sid (their session variants are always supported).
	EndSession   bool
	FrontChannel bool
	BackChannel  bool
	// TokenAuthSigningAlgs are the algorithms accepted for private_key_jwt
	// and client_secret_jwt assertions (RFC 8414 section 2); they also
	// apply at the revocation endpoint, which authenticates clients alike.
	TokenAuthSigningAlgs []string
	// Registration mounts /oauth2/register (OpenID Connect Dynamic Client
	// Registration 1.0, oidc.dynamic_client_registration.enabled).
	Registration bool
	// Introspection mounts POST /oauth2/introspect for authenticated clients
	// (RFC 7662, authenticated as at the token endpoint), answering RFC 9701
	// JWTs signed with IntrospectionSigningAlgs on request.
	Introspection            bool
	IntrospectionSigningAlgs []string
	// IssuerIdentification says every authorization response carries iss
	// (RFC 9207), advertised as authorization_response_iss_parameter_supported.
	IssuerIdentification bool
	// DPoPSigningAlgs are the proof algorithms accepted (RFC 9449 section
	// 5.1); empty when DPoP is disabled.
	DPoPSigningAlgs []string
	// RequestObjects says /oauth2/auth takes request and request_uri
	// (RFC 9101), signed with RequestObjectSigningAlgs; request_uri values
	// must be registered.
	RequestObjects           bool
	RequestObjectSigningAlgs []string
	// PushedRequests mounts POST /oauth2/par (RFC 9126);
	// RequirePushedRequests says every client must use it.
	PushedRequests        bool
	RequirePushedRequests bool
	// DeviceAuthorization mounts POST /oauth2/device/auth (RFC 8628).
	DeviceAuthorization bool
}

// DefaultClaims are the claims the code flow issues (OIDC Core 2 and 5.1
// for sub; 3.1.3.6 for at_hash): the lead sets Features.Claims to them when
// it mounts the flow.
// It is a function so no caller can change a shared slice.
func DefaultClaims() []string {
	return []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"}
}

// DefaultScopes are the scopes with a meaning of their own.
func DefaultScopes() []string { return []string{"offline_access", "offline", "openid"} }

// Metadata is the subset of the contract's oidcConfiguration Signet fills.
type Metadata struct {
	Issuer                             string   `json:"issuer"`
	AuthorizationEndpoint              string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint        string   `json:"device_authorization_endpoint,omitempty"`
	TokenEndpoint                      string   `json:"token_endpoint"`
	JWKSURI                            string   `json:"jwks_uri"`
	RevocationEndpoint                 string   `json:"revocation_endpoint,omitempty"`
	UserinfoEndpoint                   string   `json:"userinfo_endpoint,omitempty"`
	SubjectTypesSupported              []string `json:"subject_types_supported"`
	ResponseTypesSupported             []string `json:"response_types_supported"`
	ResponseModesSupported             []string `json:"response_modes_supported"`
	GrantTypesSupported                []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported  []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs       []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthMethods      []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	RevocationEndpointAuthSigningAlgs  []string `json:"revocation_endpoint_auth_signing_alg_values_supported,omitempty"`
	IntrospectionEndpoint              string   `json:"introspection_endpoint,omitempty"`
	IntrospectionEndpointAuthMethods   []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	IntrospectionSigningAlgs           []string `json:"introspection_signing_alg_values_supported,omitempty"`
	RegistrationEndpoint               string   `json:"registration_endpoint,omitempty"`
	IDTokenSigningAlgValuesSupported   []string `json:"id_token_signing_alg_values_supported"`
	IDTokenSignedResponseAlg           []string `json:"id_token_signed_response_alg"`
	UserinfoSignedResponseAlg          []string `json:"userinfo_signed_response_alg"`
	CodeChallengeMethodsSupported      []string `json:"code_challenge_methods_supported,omitempty"`
	UserinfoSigningAlgValuesSupported  []string `json:"userinfo_signing_alg_values_supported,omitempty"`
	ScopesSupported                    []string `json:"scopes_supported"`
	ClaimsSupported                    []string `json:"claims_supported,omitempty"`
	ClaimsParameterSupported           bool     `json:"claims_parameter_supported"`
	RequestParameterSupported          bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported       bool     `json:"request_uri_parameter_supported"`
	RequireRequestURIRegistration      bool     `json:"require_request_uri_registration"`
	EndSessionEndpoint                 string   `json:"end_session_endpoint,omitempty"`
	FrontchannelLogoutSupported        bool     `json:"frontchannel_logout_supported,omitempty"`
	FrontchannelLogoutSessionSupported bool     `json:"frontchannel_logout_session_supported,omitempty"`
	BackchannelLogoutSupported         bool     `json:"backchannel_logout_supported,omitempty"`
	BackchannelLogoutSessionSupported  bool     `json:"backchannel_logout_session_supported,omitempty"`
	// RFC 9207 section 3: absent means false, so it is omitted when off.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// RFC 9449 section 5.1; omitted when DPoP is disabled.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`
	// RFC 9101 section 10.5 and RFC 9126 section 5.
	RequestObjectSigningAlgValuesSupported []string `json:"request_object_signing_alg_values_supported,omitempty"`
	PushedAuthorizationRequestEndpoint     string   `json:"pushed_authorization_request_endpoint,omitempty"`
	RequirePushedAuthorizationRequests     bool     `json:"require_pushed_authorization_requests,omitempty"`
}

// BuildMetadata derives the document from the issuer, the public base URL
// and the feature table.
func BuildMetadata(issuer, publicURL string, f Features) Metadata {
	base := strings.TrimRight(publicURL, "/")
	m := Metadata{
		Issuer:                            issuer,
		AuthorizationEndpoint:             base + "/oauth2/auth",
		TokenEndpoint:                     base + "/oauth2/token",
		JWKSURI:                           base + "/.well-known/jwks.json",
		SubjectTypesSupported:             f.SubjectTypes,
		ResponseTypesSupported:            f.ResponseTypes,
		ResponseModesSupported:            orDefault(f.ResponseModes, []string{"query", "fragment"}),
		GrantTypesSupported:               f.GrantTypes,
		TokenEndpointAuthMethodsSupported: f.TokenAuthMethods,
		IDTokenSigningAlgValuesSupported:  f.IDTokenAlgs,
		IDTokenSignedResponseAlg:          f.IDTokenAlgs,
		UserinfoSignedResponseAlg:         orDefault(f.UserinfoSigningAlgs, f.IDTokenAlgs),
		CodeChallengeMethodsSupported:     f.CodeChallengeMethods,
		ScopesSupported:                   orDefault(f.Scopes, DefaultScopes()),
		ClaimsSupported:                   f.Claims,
	}
	m.AuthorizationResponseIssParameterSupported = f.IssuerIdentification
	m.DPoPSigningAlgValuesSupported = f.DPoPSigningAlgs
	if f.RequestObjects {
		m.RequestParameterSupported, m.RequestURIParameterSupported = true, true
		m.RequireRequestURIRegistration = true
		m.RequestObjectSigningAlgValuesSupported = f.RequestObjectSigningAlgs
	}
	if f.DeviceAuthorization {
		m.DeviceAuthorizationEndpoint = base + "/oauth2/device/auth"
	}
	if f.PushedRequests {
		m.PushedAuthorizationRequestEndpoint = base + "/oauth2/par"
		m.RequirePushedAuthorizationRequests = f.RequirePushedRequests
	}
	if f.Userinfo {
		m.UserinfoSigningAlgValuesSupported = orDefault(f.UserinfoSigningAlgs, f.IDTokenAlgs)
	}
	if f.Revocation {
		m.RevocationEndpoint = base + "/oauth2/revoke"
		m.RevocationEndpointAuthMethods = f.TokenAuthMethods
		m.RevocationEndpointAuthSigningAlgs = f.TokenAuthSigningAlgs
	}
	if f.Introspection {
		// "none" is not listed: public clients cannot introspect.
		m.IntrospectionEndpoint = base + "/oauth2/introspect"
		m.IntrospectionEndpointAuthMethods = without(f.TokenAuthMethods, "none")
		m.IntrospectionSigningAlgs = f.IntrospectionSigningAlgs
	}
	m.TokenEndpointAuthSigningAlgs = f.TokenAuthSigningAlgs
	if f.Registration {
		m.RegistrationEndpoint = base + "/oauth2/register"
	}
	if f.Userinfo {
		m.UserinfoEndpoint = base + "/userinfo"
	}
	if f.EndSession {
		m.EndSessionEndpoint = base + "/oauth2/sessions/logout"
		m.FrontchannelLogoutSupported, m.FrontchannelLogoutSessionSupported = f.FrontChannel, f.FrontChannel
		m.BackchannelLogoutSupported, m.BackchannelLogoutSessionSupported = f.BackChannel, f.BackChannel
	}
	return m
}

func orDefault(v, def []string) []string {
	if len(v) == 0 {
		return def
	}
	return v
}

// Discovery serves a pre-encoded metadata document.
type Discovery struct {
	body []byte
}

// NewDiscovery encodes m once.
func NewDiscovery(m Metadata) (*Discovery, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &Discovery{body: append(b, '\n')}, nil
}

// ServeHTTP writes the document. Caches may keep it briefly: it changes
// only with the configuration.
func (d *Discovery) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write(d.body)
}

// without returns list minus drop, as a new slice.
func without(list []string, drop string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
