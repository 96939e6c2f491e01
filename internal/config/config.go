package config

import "time"

// Config mirrors Hydra's configuration keys one to one: the Go field path is
// the key path (cfg.TTL.AccessToken is ttl.access_token, env TTL_ACCESS_TOKEN).
// Only the sections Signet reads are typed in detail; every other key of the
// contract is accepted by schema.go and named in a start-up warning until its
// feature is built.
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

	// Dev is set by the --dev flag (and the contract's "dev" key): it allows
	// a generated system secret and a non-https issuer.
	Dev bool `koanf:"dev"`
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

type TLS struct {
	Enabled              bool      `koanf:"enabled"`
	Key                  TLSSource `koanf:"key"`
	Cert                 TLSSource `koanf:"cert"`
	AllowTerminationFrom []string  `koanf:"allow_termination_from"`
}

type TLSSource struct {
	Path   string `koanf:"path"`
	Base64 string `koanf:"base64"`
}

type CORS struct {
	Enabled          bool     `koanf:"enabled"`
	AllowedOrigins   []string `koanf:"allowed_origins"`
	AllowedMethods   []string `koanf:"allowed_methods"`
	AllowedHeaders   []string `koanf:"allowed_headers"`
	ExposedHeaders   []string `koanf:"exposed_headers"`
	AllowCredentials bool     `koanf:"allow_credentials"`
	MaxAge           int      `koanf:"max_age"`
	Debug            bool     `koanf:"debug"`
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
	Self               SelfURLs   `koanf:"self"`
	Login              string     `koanf:"login"`
	Registration       string     `koanf:"registration"`
	Consent            string     `koanf:"consent"`
	Logout             string     `koanf:"logout"`
	Error              string     `koanf:"error"`
	PostLogoutRedirect string     `koanf:"post_logout_redirect"`
	Device             DeviceURLs `koanf:"device"`
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
	ExposeInternalErrors bool              `koanf:"expose_internal_errors"`
	Hashers              Hashers           `koanf:"hashers"`
	PKCE                 PKCE              `koanf:"pkce"`
	ClientCredentials    ClientCredentials `koanf:"client_credentials"`
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
	SubjectIdentifiers SubjectIdentifiers `koanf:"subject_identifiers"`
}

type SubjectIdentifiers struct {
	SupportedTypes []string `koanf:"supported_types"`
	Pairwise       Pairwise `koanf:"pairwise"`
}

type Pairwise struct {
	Salt string `koanf:"salt"`
}

type Webfinger struct {
	JWKS WebfingerJWKS `koanf:"jwks"`
}

type WebfingerJWKS struct {
	BroadcastKeys []string `koanf:"broadcast_keys"`
}

type Clients struct {
	HTTP ClientsHTTP `koanf:"http"`
}

type ClientsHTTP struct {
	DisallowPrivateIPRanges bool `koanf:"disallow_private_ip_ranges"`
}
