package client

import (
	"encoding/json"
	"time"
)

// Client is an OAuth 2.0 client as the admin API shows it (the contract's
// oAuth2Client). The same struct is the stored record: SecretHash is the only
// field that never leaves the server, and Secret is set only on the responses
// to create and to an update that sets a new secret.
type Client struct {
	ID     string `json:"client_id"`
	Name   string `json:"client_name"`
	Secret string `json:"client_secret,omitempty"`
	// SecretHash is the PHC-style hash of the secret (pbkdf2 or bcrypt); empty
	// for public clients.
	SecretHash          string   `json:"-"`
	SecretExpiresAt     int64    `json:"client_secret_expires_at"`
	RedirectURIs        []string `json:"redirect_uris"`
	GrantTypes          []string `json:"grant_types"`
	ResponseTypes       []string `json:"response_types"`
	Scope               string   `json:"scope"`
	Audience            []string `json:"audience"`
	Owner               string   `json:"owner"`
	PolicyURI           string   `json:"policy_uri"`
	AllowedCORSOrigins  []string `json:"allowed_cors_origins"`
	TOSURI              string   `json:"tos_uri"`
	ClientURI           string   `json:"client_uri"`
	LogoURI             string   `json:"logo_uri"`
	Contacts            []string `json:"contacts"`
	SubjectType         string   `json:"subject_type"`
	SectorIdentifierURI string   `json:"sector_identifier_uri,omitempty"`
	// JWKS is the client's public key set as a JSON object, kept verbatim.
	JWKS    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI string          `json:"jwks_uri,omitempty"`

	TokenEndpointAuthMethod     string   `json:"token_endpoint_auth_method"`
	TokenEndpointAuthSigningAlg string   `json:"token_endpoint_auth_signing_alg,omitempty"`
	RequestURIs                 []string `json:"request_uris,omitempty"`
	RequestObjectSigningAlg     string   `json:"request_object_signing_alg,omitempty"`
	UserinfoSignedResponseAlg   string   `json:"userinfo_signed_response_alg,omitempty"`
	// DPoPBoundAccessTokens (RFC 9449 section 5.2): the token endpoint
	// refuses this client's requests that carry no DPoP proof.
	DPoPBoundAccessTokens bool `json:"dpop_bound_access_tokens,omitempty"`

	FrontchannelLogoutURI             string   `json:"frontchannel_logout_uri,omitempty"`
	FrontchannelLogoutSessionRequired bool     `json:"frontchannel_logout_session_required"`
	PostLogoutRedirectURIs            []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI              string   `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired  bool     `json:"backchannel_logout_session_required"`

	// Metadata is free-form JSON owned by the operator, kept verbatim.
	Metadata            json.RawMessage `json:"metadata,omitempty"`
	AccessTokenStrategy string          `json:"access_token_strategy,omitempty"`
	SkipConsent         bool            `json:"skip_consent"`
	SkipLogoutConsent   bool            `json:"skip_logout_consent"`
	// TokenExchange is the client's RFC 8693 policy (token_exchange.go), a
	// Signet extension; nil means the defaults.
	TokenExchange *TokenExchange `json:"token_exchange,omitempty"`

	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Lifespans

	// Credentials are the stored forms of the client's other secrets; like
	// SecretHash they never leave the server.
	Credentials Credentials `json:"-"`
}

// Credentials are what the server keeps, besides SecretHash, to
// authenticate a client. They are stored, never shown.
type Credentials struct {
	// SealedSecret is the current secret encrypted with the system secret.
	// It is kept only for clients registered for client_secret_jwt, whose
	// HMAC key is the secret itself (RFC 7523 section 2.2), so a hash cannot
	// verify it.
	SealedSecret []byte `json:"sealed_secret,omitempty"`
	// Rotated are earlier secrets, newest first, that keep authenticating
	// after POST /admin/clients/{id}/secrets/rotate until
	// DELETE /admin/clients/{id}/secrets/rotate removes them.
	Rotated []StoredSecret `json:"rotated,omitempty"`
	// RegistrationTokenDigest is the SHA-256 of the RFC 7592 registration
	// access token of a dynamically registered client; nil otherwise.
	RegistrationTokenDigest []byte `json:"registration_token_digest,omitempty"`
	// ManagedBy is ManagedByConfig for a client declared in the
	// configuration file (clients.declared), which the admin API refuses to
	// change; empty for every other client. It is kept here, beside the
	// secrets, because this is the part of the record that no request body
	// can set and no response shows, so the admin API's PUT cannot drop it
	// and metadata stays the operator's own.
	ManagedBy string `json:"managed_by,omitempty"`
}

// StoredSecret is one rotated-out secret.
type StoredSecret struct {
	Hash      string    `json:"hash"`
	Sealed    []byte    `json:"sealed,omitempty"` // as Credentials.SealedSecret
	RotatedAt time.Time `json:"rotated_at"`
}

// Lifespans are the per-grant token lifetimes of a client (the contract's
// oAuth2ClientTokenLifespans). A nil field means "use the server's ttl.*".
type Lifespans struct {
	AuthorizationCodeGrantAccessTokenLifespan    *Duration `json:"authorization_code_grant_access_token_lifespan"`
	AuthorizationCodeGrantIDTokenLifespan        *Duration `json:"authorization_code_grant_id_token_lifespan"`
	AuthorizationCodeGrantRefreshTokenLifespan   *Duration `json:"authorization_code_grant_refresh_token_lifespan"`
	ClientCredentialsGrantAccessTokenLifespan    *Duration `json:"client_credentials_grant_access_token_lifespan"`
	DeviceAuthorizationGrantAccessTokenLifespan  *Duration `json:"device_authorization_grant_access_token_lifespan"`
	DeviceAuthorizationGrantIDTokenLifespan      *Duration `json:"device_authorization_grant_id_token_lifespan"`
	DeviceAuthorizationGrantRefreshTokenLifespan *Duration `json:"device_authorization_grant_refresh_token_lifespan"`
	ImplicitGrantAccessTokenLifespan             *Duration `json:"implicit_grant_access_token_lifespan"`
	ImplicitGrantIDTokenLifespan                 *Duration `json:"implicit_grant_id_token_lifespan"`
	JwtBearerGrantAccessTokenLifespan            *Duration `json:"jwt_bearer_grant_access_token_lifespan"`
	RefreshTokenGrantAccessTokenLifespan         *Duration `json:"refresh_token_grant_access_token_lifespan"`
	RefreshTokenGrantIDTokenLifespan             *Duration `json:"refresh_token_grant_id_token_lifespan"`
	RefreshTokenGrantRefreshTokenLifespan        *Duration `json:"refresh_token_grant_refresh_token_lifespan"`
}

// Duration is the contract's NullDuration: a Go duration string such as
// "1h0m0s" on the wire; null or absent means unset.
type Duration time.Duration
