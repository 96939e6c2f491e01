package config

import "time"

// Config mirrors Hydra's configuration keys one to one: the Go field path is
// the key path (cfg.TTL.AccessToken is ttl.access_token, env TTL_ACCESS_TOKEN).
// Every key of Hydra's configuration schema has a field, so an existing Hydra
// file decodes unchanged; keys.go says which of them Signet acts on, and the
// others are named in a start-up warning until their feature is built.
type Config struct {
	DSN        string     `koanf:"dsn"`
	DB         DB         `koanf:"db"`
	Log        Log        `koanf:"log"`
	Serve      Serve      `koanf:"serve"`
	URLs       URLs       `koanf:"urls"`
	Secrets    Secrets    `koanf:"secrets"`
	TTL        TTL        `koanf:"ttl"`
	Strategies Strategies `koanf:"strategies"`
	OAuth2     OAuth2     `koanf:"oauth2"`
	OIDC       OIDC       `koanf:"oidc"`
	Webfinger  Webfinger  `koanf:"webfinger"`
	Clients    Clients    `koanf:"clients"`

	// Accepted for compatibility with Hydra config files; see schema.go for
	// which of these Signet acts on.
	HSM          HSM          `koanf:"hsm"`
	Profiling    string       `koanf:"profiling"` // cpu, mem
	Tracing      Tracing      `koanf:"tracing"`
	SQA          SQA          `koanf:"sqa"`
	Version      string       `koanf:"version"` // the config file's version marker; informational
	CGroups      CGroups      `koanf:"cgroups"`
	FeatureFlags FeatureFlags `koanf:"feature_flags"`

	// Dev is set by the --dev flag (and the contract's "dev" key): it allows
	// a generated system secret and a non-https issuer.
	Dev bool `koanf:"dev"`
	// DevIdentity configures the development identity app that --dev
	// serves when no login, consent or logout app is configured. It is
	// Signet's own key, not Hydra's.
	DevIdentity DevIdentity `koanf:"dev_identity"`
	// Keys configures automatic rotation of the ID token and access token
	// signing keys (keys.rotation.*). Signet's own keys, not Hydra's.
	Keys Keys `koanf:"keys"`
	// Janitor runs the cleanup of `signet janitor` inside serve
	// (janitor.*). Signet's own keys, not Hydra's.
	Janitor Janitor `koanf:"janitor"`
}

// Keys is the keys section (Signet only).
type Keys struct {
	Rotation KeyRotation `koanf:"rotation"`
}

// KeyRotation is keys.rotation (docs/key-rotation.md).
type KeyRotation struct {
	Enabled bool `koanf:"enabled"`
	// Interval is how long each key signs before its successor takes over.
	Interval time.Duration `koanf:"interval"`
	// PublishBefore is how long a new key is in the JWKS before it signs.
	PublishBefore time.Duration `koanf:"publish_before"`
	// RetainAfter is how long a key stays published after it stopped
	// signing; then it is deleted.
	RetainAfter time.Duration `koanf:"retain_after"`
}

// Janitor is the janitor section (Signet only; docs/janitor.md).
type Janitor struct {
	// Enabled runs a cleanup round every Interval in serve; of several
	// instances, the one holding the database lock cleans.
	Enabled       bool          `koanf:"enabled"`
	Interval      time.Duration `koanf:"interval"`
	BatchSize     int           `koanf:"batch_size"`
	KeepIfYounger time.Duration `koanf:"keep_if_younger"`
}

// DevIdentity is the dev_identity section (Signet only).
type DevIdentity struct {
	// Password, when set, is asked for on the development login page
	// together with any user name.
	Password string `koanf:"password"`
}

type DB struct {
	IgnoreUnknownTableColumns bool `koanf:"ignore_unknown_table_columns"`
}

type Log struct {
	Level               string `koanf:"level"`  // panic, fatal, error, warn, info, debug, trace
	Format              string `koanf:"format"` // text, json, json_pretty
	LeakSensitiveValues bool   `koanf:"leak_sensitive_values"`
	RedactionText       string `koanf:"redaction_text"`
}

type Serve struct {
	Public  Listener `koanf:"public"`
	Admin   Listener `koanf:"admin"`
	Cookies Cookies  `koanf:"cookies"`
	TLS     TLS      `koanf:"tls"`
}

// Listener is the contract's serve_config (serve.public, serve.admin).
type Listener struct {
	Host       string     `koanf:"host"`
	Port       int        `koanf:"port"`
	BaseURL    string     `koanf:"base_url"`
	Socket     Socket     `koanf:"socket"`
	RequestLog RequestLog `koanf:"request_log"`
	TLS        TLS        `koanf:"tls"`
	CORS       CORS       `koanf:"cors"`
}

type Socket struct {
	Owner string `koanf:"owner"`
	Group string `koanf:"group"`
	Mode  int    `koanf:"mode"`
}

type RequestLog struct {
	DisableForHealth bool `koanf:"disable_for_health"`
}

// TLS is the contract's tls_config. Enabled is a pointer because unset and
// false differ: serve.admin.tls.enabled: false turns TLS off on the admin
// port even when serve.tls enables it (see PublicTLS in tls.go).
type TLS struct {
	Enabled              *bool     `koanf:"enabled"`
	Key                  TLSSource `koanf:"key"`
	Cert                 TLSSource `koanf:"cert"`
	AllowTerminationFrom []string  `koanf:"allow_termination_from"`
}

type TLSSource struct {
	Path   string `koanf:"path"`
	Base64 string `koanf:"base64"`
}

type CORS struct {
	Enabled            bool     `koanf:"enabled"`
	AllowedOrigins     []string `koanf:"allowed_origins"`
	AllowedMethods     []string `koanf:"allowed_methods"`
	AllowedHeaders     []string `koanf:"allowed_headers"`
	ExposedHeaders     []string `koanf:"exposed_headers"`
	AllowCredentials   bool     `koanf:"allow_credentials"`
	MaxAge             int      `koanf:"max_age"`
	Debug              bool     `koanf:"debug"`
	OptionsPassthrough bool     `koanf:"options_passthrough"`
}

type Cookies struct {
	SameSiteMode             string      `koanf:"same_site_mode"`
	SameSiteLegacyWorkaround bool        `koanf:"same_site_legacy_workaround"`
	Domain                   string      `koanf:"domain"`
	Secure                   bool        `koanf:"secure"`
	Names                    CookieNames `koanf:"names"`
	Paths                    CookiePaths `koanf:"paths"`
}

type CookieNames struct {
	DeviceCSRF  string `koanf:"device_csrf"`
	LoginCSRF   string `koanf:"login_csrf"`
	ConsentCSRF string `koanf:"consent_csrf"`
	Session     string `koanf:"session"`
}

type CookiePaths struct {
	Session string `koanf:"session"`
}

type URLs struct {
	Self               SelfURLs         `koanf:"self"`
	Login              string           `koanf:"login"`
	Registration       string           `koanf:"registration"`
	Consent            string           `koanf:"consent"`
	Logout             string           `koanf:"logout"`
	Error              string           `koanf:"error"`
	PostLogoutRedirect string           `koanf:"post_logout_redirect"`
	Device             DeviceURLs       `koanf:"device"`
	IdentityProvider   IdentityProvider `koanf:"identity_provider"`
}

// IdentityProvider is Hydra's optional Kratos link (urls.identity_provider).
type IdentityProvider struct {
	URL       string            `koanf:"url"`
	PublicURL string            `koanf:"publicUrl"` // Hydra's key is camel case
	Headers   map[string]string `koanf:"headers"`
}

type SelfURLs struct {
	Issuer string `koanf:"issuer"`
	Public string `koanf:"public"`
	Admin  string `koanf:"admin"`
}

type DeviceURLs struct {
	Verification string `koanf:"verification"`
	Success      string `koanf:"success"`
}

// Secrets: the first entry of each list seals, every entry opens, so a
// secret can be rotated by prepending the new one.
type Secrets struct {
	System     []string `koanf:"system"`
	Cookie     []string `koanf:"cookie"`
	Pagination []string `koanf:"pagination"`
}

// TTL holds lifetimes. RefreshToken is negative (-1) when the file says
// "-1": refresh tokens then never expire, as in Hydra.
type TTL struct {
	LoginConsentRequest   time.Duration `koanf:"login_consent_request"`
	AuthenticationSession time.Duration `koanf:"authentication_session"`
	AccessToken           time.Duration `koanf:"access_token"`
	RefreshToken          time.Duration `koanf:"refresh_token"`
	IDToken               time.Duration `koanf:"id_token"`
	AuthCode              time.Duration `koanf:"auth_code"`
	DeviceUserCode        time.Duration `koanf:"device_user_code"`
}

type Strategies struct {
	Scope       string      `koanf:"scope"`        // wildcard (default), exact
	AccessToken string      `koanf:"access_token"` // opaque (default), jwt
	JWT         JWTStrategy `koanf:"jwt"`
}

type JWTStrategy struct {
	ScopeClaim string `koanf:"scope_claim"` // list (default), string, both
}

type OAuth2 struct {
	ExposeInternalErrors  bool                `koanf:"expose_internal_errors"`
	Session               OAuth2Session       `koanf:"session"`
	ExcludeNotBeforeClaim bool                `koanf:"exclude_not_before_claim"`
	AllowedTopLevelClaims []string            `koanf:"allowed_top_level_claims"`
	MirrorTopLevelClaims  bool                `koanf:"mirror_top_level_claims"`
	PreserveExtClaims     bool                `koanf:"preserve_ext_claims"`
	Hashers               Hashers             `koanf:"hashers"`
	PKCE                  PKCE                `koanf:"pkce"`
	ClientCredentials     ClientCredentials   `koanf:"client_credentials"`
	Grant                 Grant               `koanf:"grant"`
	RefreshTokenHook      Hook                `koanf:"refresh_token_hook"`
	TokenHook             Hook                `koanf:"token_hook"`
	DeviceAuthorization   DeviceAuthorization `koanf:"device_authorization"`
	// Introspection is Signet's: which tokens a client sees at the public
	// introspection endpoint.
	Introspection Introspection `koanf:"introspection"`
	// DPoP is oauth2.dpop (RFC 9449; Signet only, docs/dpop.md).
	DPoP DPoP `koanf:"dpop"`
	// PushedAuthorizationRequests is Signet's own section (RFC 9126).
	PushedAuthorizationRequests PushedAuthorizationRequests `koanf:"pushed_authorization_requests"`
	// RequestObjects and TokenExchange are Signet's own sections: RFC 9101
	// and RFC 8693 can be switched off.
	RequestObjects RequestObjects `koanf:"request_objects"`
	TokenExchange  TokenExchange  `koanf:"token_exchange"`
}

// RequestObjects configures request and request_uri at /oauth2/auth and
// /oauth2/par (RFC 9101). Read at start-up.
type RequestObjects struct {
	// Enabled accepts request objects and advertises them; when false
	// they are refused with request_not_supported and
	// request_uri_not_supported (OIDC Core 3.1.2.6).
	Enabled bool `koanf:"enabled"`
}

// TokenExchange configures the RFC 8693 grant. Read at start-up.
type TokenExchange struct {
	// Enabled mounts the grant; when false it is unsupported_grant_type.
	Enabled bool `koanf:"enabled"`
}

// Introspection configures POST /oauth2/introspect (Signet only).
type Introspection struct {
	// Visibility is client_or_audience (default), client or any.
	Visibility string `koanf:"visibility"`
	// PublicEnabled mounts POST /oauth2/introspect on the public port and
	// advertises it. Read at start-up.
	PublicEnabled bool `koanf:"public_enabled"`
}

// DPoP configures sender-constrained tokens (RFC 9449). Read at start-up.
type DPoP struct {
	// Enabled accepts DPoP proofs and advertises them; when false the DPoP
	// header is ignored as if absent.
	Enabled bool `koanf:"enabled"`
	// ProofMaxAge is how far a proof's iat may lie from the server's clock,
	// either way; its jti is remembered that long.
	ProofMaxAge time.Duration `koanf:"proof_max_age"`
	// RequireNonce makes every proof carry a server nonce (section 8).
	RequireNonce bool `koanf:"require_nonce"`
	// NonceLifespan is how long an issued nonce is accepted.
	NonceLifespan time.Duration `koanf:"nonce_lifespan"`
}

// PushedAuthorizationRequests configures POST /oauth2/par (docs/par.md).
type PushedAuthorizationRequests struct {
	// Enabled mounts the endpoint and accepts its request_uri values at
	// /oauth2/auth. Read at start-up.
	Enabled bool `koanf:"enabled"`
	// Required refuses authorization requests that were not pushed, for
	// every client (a client can require it for itself).
	Required bool `koanf:"required"`
	// TTL is the lifetime of a pushed request's request_uri.
	TTL time.Duration `koanf:"ttl"`
}

type OAuth2Session struct {
	EncryptAtRest bool `koanf:"encrypt_at_rest"`
}

type Grant struct {
	RefreshToken RefreshTokenGrant `koanf:"refresh_token"`
	JWT          JWTGrant          `koanf:"jwt"`
}

type RefreshTokenGrant struct {
	RotationGracePeriod     time.Duration `koanf:"rotation_grace_period"`
	RotationGraceReuseCount int           `koanf:"rotation_grace_reuse_count"`
}

// JWTGrant configures the RFC 7523 jwt-bearer grant.
type JWTGrant struct {
	JTIOptional           bool          `koanf:"jti_optional"`
	IATOptional           bool          `koanf:"iat_optional"`
	MaxTTL                time.Duration `koanf:"max_ttl"`
	OmitAssertionAudience bool          `koanf:"omit_assertion_audience"`
}

// Hook is the contract's webhook_config. A file may give just a URL string
// (oauth2.token_hook: https://...); the loader turns that into Hook{URL: s}.
// An unset hook has an empty URL.
type Hook struct {
	URL  string   `koanf:"url"`
	Auth HookAuth `koanf:"auth"`
}

type HookAuth struct {
	Type   string         `koanf:"type"` // api_key
	Config HookAuthConfig `koanf:"config"`
}

type HookAuthConfig struct {
	In    string `koanf:"in"` // header (default), cookie
	Name  string `koanf:"name"`
	Value string `koanf:"value"`
}

type DeviceAuthorization struct {
	// Enabled (Signet only) mounts the grant, its two public endpoints
	// and the admin accept. Read at start-up.
	Enabled              bool          `koanf:"enabled"`
	TokenPollingInterval time.Duration `koanf:"token_polling_interval"`
	UserCode             UserCode      `koanf:"user_code"`
	// BruteForce bounds user code guessing (Signet only).
	BruteForce DeviceBruteForce `koanf:"brute_force"`
}

// DeviceBruteForce is oauth2.device_authorization.brute_force (Signet
// only): wrong user codes allowed per device challenge, and in all per
// window and process.
type DeviceBruteForce struct {
	AttemptsPerChallenge int           `koanf:"attempts_per_challenge"`
	FailureBudget        int           `koanf:"failure_budget"`
	Window               time.Duration `koanf:"window"`
}

// UserCode is either an entropy preset or an explicit length and alphabet.
type UserCode struct {
	EntropyPreset string `koanf:"entropy_preset"` // high, medium, low
	Length        int    `koanf:"length"`
	CharacterSet  string `koanf:"character_set"`
}

type Hashers struct {
	Algorithm string `koanf:"algorithm"` // pbkdf2 (default), bcrypt
	PBKDF2    PBKDF2 `koanf:"pbkdf2"`
	BCrypt    BCrypt `koanf:"bcrypt"`
}

type PBKDF2 struct {
	Iterations int `koanf:"iterations"`
}

type BCrypt struct {
	Cost int `koanf:"cost"`
}

type PKCE struct {
	Enforced                 bool `koanf:"enforced"`
	EnforcedForPublicClients bool `koanf:"enforced_for_public_clients"`
}

type ClientCredentials struct {
	DefaultGrantAllowedScope bool `koanf:"default_grant_allowed_scope"`
}

type OIDC struct {
	SubjectIdentifiers        SubjectIdentifiers        `koanf:"subject_identifiers"`
	DynamicClientRegistration DynamicClientRegistration `koanf:"dynamic_client_registration"`
}

type DynamicClientRegistration struct {
	Enabled      bool     `koanf:"enabled"`
	DefaultScope []string `koanf:"default_scope"`
}

type SubjectIdentifiers struct {
	SupportedTypes []string `koanf:"supported_types"`
	Pairwise       Pairwise `koanf:"pairwise"`
}

type Pairwise struct {
	Salt string `koanf:"salt"`
}

type Webfinger struct {
	JWKS          WebfingerJWKS `koanf:"jwks"`
	OIDCDiscovery OIDCDiscovery `koanf:"oidc_discovery"`
}

// OIDCDiscovery overrides what /.well-known/openid-configuration advertises.
type OIDCDiscovery struct {
	JWKSURL                string   `koanf:"jwks_url"`
	TokenURL               string   `koanf:"token_url"`
	AuthURL                string   `koanf:"auth_url"`
	DeviceAuthorizationURL string   `koanf:"device_authorization_url"`
	ClientRegistrationURL  string   `koanf:"client_registration_url"`
	SupportedClaims        []string `koanf:"supported_claims"`
	SupportedScope         []string `koanf:"supported_scope"`
	UserinfoURL            string   `koanf:"userinfo_url"`
}

type WebfingerJWKS struct {
	BroadcastKeys []string `koanf:"broadcast_keys"`
}

type Clients struct {
	HTTP ClientsHTTP `koanf:"http"`
	// Declared are the clients kept in the configuration file (Signet
	// only; see clients.go).
	Declared []DeclaredClient `koanf:"declared"`
}

type ClientsHTTP struct {
	DisallowPrivateIPRanges bool     `koanf:"disallow_private_ip_ranges"`
	PrivateIPExceptionURLs  []string `koanf:"private_ip_exception_urls"`
}

type HSM struct {
	Enabled      bool   `koanf:"enabled"`
	Library      string `koanf:"library"`
	Pin          string `koanf:"pin"`
	Slot         int    `koanf:"slot"`
	TokenLabel   string `koanf:"token_label"`
	KeySetPrefix string `koanf:"key_set_prefix"`
}

type Tracing struct {
	Provider              string           `koanf:"provider"` // jaeger, otel, zipkin
	ServiceName           string           `koanf:"service_name"`
	DeploymentEnvironment string           `koanf:"deployment_environment"`
	Providers             TracingProviders `koanf:"providers"`
}

type TracingProviders struct {
	Jaeger Jaeger `koanf:"jaeger"`
	Zipkin Zipkin `koanf:"zipkin"`
	OTLP   OTLP   `koanf:"otlp"`
}

type Jaeger struct {
	LocalAgentAddress string         `koanf:"local_agent_address"`
	Sampling          JaegerSampling `koanf:"sampling"`
}

type JaegerSampling struct {
	ServerURL    string  `koanf:"server_url"`
	TraceIDRatio float64 `koanf:"trace_id_ratio"`
}

type Zipkin struct {
	ServerURL string        `koanf:"server_url"`
	Sampling  RatioSampling `koanf:"sampling"`
}

type OTLP struct {
	ServerURL           string        `koanf:"server_url"`
	Insecure            bool          `koanf:"insecure"`
	Sampling            RatioSampling `koanf:"sampling"`
	AuthorizationHeader string        `koanf:"authorization_header"`
}

type RatioSampling struct {
	// SamplingRatio is nil when unset, which internal/tracing reads as 1
	// (every trace): unset and 0 (only traces a caller already sampled)
	// must differ.
	SamplingRatio *float64 `koanf:"sampling_ratio"`
}

// SQA is Hydra's usage-statistics opt-out. The contract lets the section
// hold any other keys; they are kept in Other and ignored.
type SQA struct {
	OptOut bool           `koanf:"opt_out"`
	Other  map[string]any `koanf:",remain"`
}

// FeatureFlags is open-ended in the contract; unknown flags land in Other.
type FeatureFlags struct {
	LegacyAllowInsecureOrigins bool           `koanf:"legacy_allow_insecure_origins"`
	Other                      map[string]any `koanf:",remain"`
}

type CGroups struct {
	V1 CGroupsV1 `koanf:"v1"`
}

type CGroupsV1 struct {
	AutoMaxProcsEnabled bool `koanf:"auto_max_procs_enabled"`
}
