package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/devapp"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/metrics"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oauth2/authorize"
	"github.com/signet-oidc/signet/internal/oauth2/clientauth"
	"github.com/signet-oidc/signet/internal/oidc"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/token"
	"github.com/signet-oidc/signet/internal/tracing"
	"github.com/signet-oidc/signet/internal/trust"
)

// App is a built Signet: every component, wired, and the two route tables.
type App struct {
	cfg    *config.Live
	log    *slog.Logger
	db     *sqlstore.Store
	keys   *jwk.Manager
	public http.Handler
	admin  http.Handler
	// publicPatterns and adminPatterns list the mounted routes.
	publicPatterns, adminPatterns []string
	// now is the clock (the certificate reload check uses it).
	now func() time.Time
	// clients and devIdentity are what Reconfigure needs: the declared
	// clients are synced through the admin API's rules, and whether the
	// development identity app is mounted is fixed at start-up.
	clients     *client.Admin
	devIdentity bool
	// tracing is nil unless tracing.provider is set; Close flushes it.
	tracing *tracing.Tracing
	// stopBackground ends the key poller and the background janitor
	// started by New and waits for them and for back-channel logout
	// deliveries, so that none uses a closed database.
	stopBackground func()
}

// New builds every component in dependency order. It opens (and for SQLite
// migrates) the database, creates the signing keys on first start and
// returns an App ready to serve. It starts the background tasks, the key
// poller and (with janitor.enabled) the janitor, which Close stops.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{now: time.Now, rand: rand.Reader}
	for _, opt := range opts {
		opt(&o)
	}
	keyring, err := secret.NewKeyring(cfg.Secrets.System, o.rand)
	if err != nil {
		return nil, fmt.Errorf("secrets.system: %w", err)
	}
	// Tracing comes before the database, whose statements it traces.
	tr, err := tracing.New(ctx, cfg.Tracing, tracing.Deps{Log: log, Version: Version})
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, cfg.DSN, sqlstore.Options{Log: log, Tracer: statementTracer(tr)})
	if err != nil {
		_ = stopTracing(tr)
		// An ErrSchemaBehind error already names the command that fixes it.
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	a, err := assemble(ctx, cfg, log, o, keyring, db, tr)
	if err != nil {
		db.Close()
		_ = stopTracing(tr)
		return nil, err
	}
	return a, nil
}

// assemble builds everything that stands on the keyring and the database.
func assemble(ctx context.Context, cfg *config.Config, log *slog.Logger, o options, keyring *secret.Keyring, db *sqlstore.Store,
	tr *tracing.Tracing) (*App, error) {
	// --dev without a login app: Signet's own pages become urls.login,
	// urls.consent and urls.logout, before anything reads them.
	cfg, devIdentity := devapp.Configure(cfg)
	if devIdentity {
		log.Warn(devapp.Warning)
	}
	live := config.NewLive(cfg)
	keys, err := jwk.NewManager(jwk.ManagerDeps{
		Store: db, Keyring: keyring, Log: log, Now: o.now, Rand: o.rand, RSABits: o.rsaBits,
		PollInterval: o.keyPoll, Rotation: keyRotation(cfg.Keys.Rotation),
	})
	if err != nil {
		return nil, err
	}
	if err := keys.EnsureKeys(ctx, jwk.SetIDToken, jwk.SetAccessToken); err != nil {
		return nil, fmt.Errorf("creating the signing keys: %w", err)
	}

	hasher := secret.Hasher{
		Algorithm:        cfg.OAuth2.Hashers.Algorithm,
		PBKDF2Iterations: cfg.OAuth2.Hashers.PBKDF2.Iterations,
		BCryptCost:       cfg.OAuth2.Hashers.BCrypt.Cost,
		Rand:             o.rand,
	}
	cache, err := clientauth.NewSecretCache(o.rand, clientauth.DefaultSecretCacheSize)
	if err != nil {
		return nil, err
	}
	macKeys := keyring.MACKeys(token.OpaqueMACPurpose)
	opaque := &token.Opaque{MACKeys: macKeys, Rand: o.rand}
	codeFormat := token.OpaqueFormat{Prefix: token.PrefixCode, MACKeys: macKeys, Rand: o.rand}
	refreshFormat := token.OpaqueFormat{Prefix: token.PrefixRefreshToken, MACKeys: macKeys, Rand: o.rand}
	// RFC 8628: device codes are opaque strings; user codes are short and
	// stored as keyed digests (device.go).
	deviceFormat := token.OpaqueFormat{Prefix: token.PrefixDeviceCode, MACKeys: macKeys, Rand: o.rand}
	userCodes, err := userCodeFormat(cfg, keyring, o.rand)
	if err != nil {
		return nil, err
	}
	idTokens := &token.IDTokens{Signer: keys, Keys: keys, Now: o.now}
	jwtAT := &token.JWT{Signer: keys, Keys: keys, Rand: o.rand,
		ScopeClaim: func() string { return live.Get().Strategies.JWT.ScopeClaim }}
	issuer := &token.Issuer{Store: db, Opaque: opaque, JWT: jwtAT, Now: o.now}
	// private_key_jwt clients' jwks_uri is fetched through a client that
	// honours clients.http.disallow_private_ip_ranges; client_secret_jwt
	// secrets are opened with the system keyring.
	jwksFetcher, err := assertion.NewFetcher(assertion.FetcherDeps{Now: o.now,
		HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{Timeout: assertion.DefaultJWKSTimeout,
			DisallowPrivateIPRanges: cfg.Clients.HTTP.DisallowPrivateIPRanges,
			ExceptionURLs:           cfg.Clients.HTTP.PrivateIPExceptionURLs})})
	if err != nil {
		return nil, err
	}
	assertions, err := clientauth.NewAssertions(clientauth.AssertionDeps{Keyring: keyring, JWKS: jwksFetcher,
		Replay: db, Config: live.Get, Now: o.now})
	if err != nil {
		return nil, err
	}
	auth, err := clientauth.New(clientauth.Deps{Clients: db, Hasher: hasher, Cache: cache, Now: o.now,
		Assertions: assertions})
	if err != nil {
		return nil, err
	}
	// DPoP (RFC 9449): proofs at the token endpoint and userinfo; nil when off.
	dpop := dpopVerifier(cfg, keyring, db, o.now)

	// Token hooks call the operator's URL: no private-address guard.
	hooks := &oauth2.TokenHooks{Config: live.Get,
		HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{Timeout: oauth2.TokenHookTimeout})}
	grants := []oauth2.Grant{
		&oauth2.ClientCredentials{Issuer: issuer, Config: live.Get, Now: o.now, Rand: o.rand, Hooks: hooks},
		&oauth2.AuthorizationCode{Codes: db, Issuer: issuer, IDTokens: idTokens, CodeFormat: codeFormat,
			RefreshFormat: refreshFormat, Config: live.Get, Now: o.now, Hooks: hooks},
		&oauth2.RefreshToken{Codes: db, Issuer: issuer, IDTokens: idTokens, RefreshFormat: refreshFormat,
			Config: live.Get, Now: o.now, Hooks: hooks},
		// RFC 7523: always mounted, as in Hydra; a client opts in through
		// grant_types and an issuer through the trust admin API.
		&oauth2.JWTBearer{Trust: db, Replay: db, Issuer: issuer, Config: live.Get, Now: o.now,
			Rand: o.rand, Hooks: hooks},
	}
	// RFC 8628: mounted unless oauth2.device_authorization.enabled is
	// false (Hydra always mounts it); a client opts in through grant_types.
	if cfg.OAuth2.DeviceAuthorization.Enabled {
		grants = append(grants, &oauth2.DeviceCode{Devices: db, Codes: db, Issuer: issuer, IDTokens: idTokens,
			DeviceCodes: deviceFormat, RefreshFormat: refreshFormat, Config: live.Get, Now: o.now, Hooks: hooks})
	}
	// RFC 8693: mounted unless oauth2.token_exchange.enabled is false; a
	// client opts in through grant_types and its token_exchange policy.
	if cfg.OAuth2.TokenExchange.Enabled {
		grants = append(grants, &oauth2.TokenExchange{Tokens: db, Opaque: opaque, JWT: jwtAT, IDTokens: idTokens,
			Trust: db, Replay: db, Issuer: issuer, Config: live.Get, Now: o.now, Rand: o.rand, Hooks: hooks})
	}
	// The login and consent flow: challenges and verifiers are sealed with
	// the system secret; the session cookie with secrets.cookie when set.
	sealer := flow.NewSealer(keyring, o.now, cfg.TTL.LoginConsentRequest)
	cookieKeys, err := secret.NewKeyring(flow.CookieSecrets(cfg.Secrets.Cookie, cfg.Secrets.System), o.rand)
	if err != nil {
		return nil, fmt.Errorf("secrets.cookie: %w", err)
	}
	sessions, err := sessionCookies(cfg, cookieKeys, o.now)
	if err != nil {
		return nil, err
	}
	discovery, err := oidc.NewDiscovery(oidc.BuildMetadata(cfg.IssuerURL(), cfg.PublicURL(), features(cfg, grants)))
	if err != nil {
		return nil, err
	}
	meters, err := metrics.New(prometheus.NewRegistry(), metrics.Deps{
		Version: Version, Queries: func() uint64 { return uint64(db.Stats().Queries) },
		Pool: db.PoolStats, GrantTypes: slices.Collect(maps.Keys(grantTable(grants))),
	})
	if err != nil {
		return nil, err
	}

	// Logout (issue 4): back-channel deliveries go out through a client
	// that honours clients.http.disallow_private_ip_ranges.
	backChannel := &oidc.BackChannel{Clients: db, Consents: db, Signer: keys, Issuer: cfg.IssuerURL,
		HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{
			DisallowPrivateIPRanges: cfg.Clients.HTTP.DisallowPrivateIPRanges,
			ExceptionURLs:           cfg.Clients.HTTP.PrivateIPExceptionURLs,
		}),
		Log: log, Now: o.now, Rand: o.rand, Timeout: o.backChannelTimeout}
	logoutURL := cfg.PublicEndpoint("/oauth2/sessions/logout")

	// Clients: the admin API and dynamic registration share one rule set.
	clients := &client.Admin{Store: db, Hasher: hasher, Keyring: keyring, Now: o.now, Rand: o.rand,
		DefaultScope: func() []string { return live.Get().OIDC.DynamicClientRegistration.DefaultScope }}
	// Clients declared in the configuration file (clients.declared).
	if err := syncDeclared(ctx, clients, cfg.Clients.Declared, log); err != nil {
		return nil, err
	}

	// Request objects (RFC 9101) by reference are fetched like jwks_uri,
	// honouring clients.http.disallow_private_ip_ranges; pushed requests
	// (RFC 9126) get an opaque reference with a MAC of their own prefix.
	objects := &authorize.RequestObjects{JWKS: jwksFetcher, Now: o.now,
		HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{Timeout: authorize.RequestURITimeout,
			DisallowPrivateIPRanges: cfg.Clients.HTTP.DisallowPrivateIPRanges,
			ExceptionURLs:           cfg.Clients.HTTP.PrivateIPExceptionURLs})}
	parFormat := token.OpaqueFormat{Prefix: authorize.PushedRefPrefix, MACKeys: macKeys, Rand: o.rand}
	// Each switch leaves its part nil, which the endpoints read as "not
	// supported" (switches.go).
	sw := switchesOf(cfg)
	if !sw.requestObjects {
		objects = nil
	}
	var pushed authorize.PushedStore
	if sw.pushed {
		pushed = db
	}

	deviceVerifyURL := cfg.PublicEndpoint("/oauth2/device/verify")
	loginConsent := &flow.Admin{Sealer: sealer, Clients: db, AuthorizeURL: cfg.PublicEndpoint("/oauth2/auth"), Now: o.now}
	if sw.device {
		loginConsent.Device = &flow.DeviceCodes{Store: db, UserCodes: userCodes, VerifyURL: deviceVerifyURL,
			Limiter: userCodeLimiter(cfg, o.now)}
	}
	logoutAdmin := &flow.LogoutAdmin{Sealer: sealer, Clients: db, LogoutURL: logoutURL, Now: o.now}

	h := handlers{
		render:    httpx.Renderer{Log: log},
		mw:        httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: o.now},
		db:        db,
		clients:   clients,
		keysAdmin: jwk.Admin{Manager: keys},
		jwks:      jwk.NewJWKS(keys, broadcastSets(cfg), time.Minute),
		discovery: discovery,
		token: &oauth2.TokenEndpoint{Auth: auth, Grants: grantTable(grants), Observer: meters,
			DPoP: dpopBinding(dpop, cfg.PublicEndpoint("/oauth2/token"))},
		introspect: &oauth2.Introspection{Tokens: db, Opaque: opaque, JWT: jwtAT,
			Codes: db, RefreshFormat: refreshFormat, Config: live.Get, Now: o.now, Auth: auth, Signer: keys},
		revoke: &oauth2.Revocation{Auth: auth, Tokens: db, Opaque: opaque, JWT: jwtAT,
			Codes: db, RefreshFormat: refreshFormat, Now: o.now},
		authorize: &authorize.Endpoint{Clients: db, Flows: db, Codes: db, Sealer: sealer, Sessions: sessions,
			CodeFormat: codeFormat, IDTokens: idTokens, Issuer: issuer, Config: live.Get, Now: o.now, Rand: o.rand, Log: log,
			Observer: meters, Devices: db, Pushed: pushed, PushedFormat: parFormat, Objects: objects},
		par: &authorize.PAR{Auth: auth, Store: db, Format: parFormat, Objects: objects, Config: live.Get,
			Now: o.now, DPoP: dpop, DPoPURL: cfg.PublicEndpoint("/oauth2/par")},
		deviceAuth: &oauth2.DeviceAuthorization{Auth: auth, Store: db, DeviceCodes: deviceFormat, UserCodes: userCodes,
			VerifyURL: deviceVerifyURL, Config: live.Get, Now: o.now, Rand: o.rand},
		loginConsent:  loginConsent,
		sessionsAdmin: &flow.SessionsAdmin{Store: db, Clients: db, Now: o.now, Notifier: backChannel},
		logoutAdmin:   logoutAdmin,
		logout: &oidc.Logout{Sessions: sessions, Flows: db, Clients: db, IDTokens: idTokens, Sealer: sealer,
			Notifier: backChannel, Config: live.Get, Log: log, Now: o.now, Rand: o.rand, Observer: meters},
		userinfo: &oidc.Userinfo{Tokens: db, Consents: db, Clients: db, Opaque: opaque, JWT: jwtAT,
			IDTokens: idTokens, Config: live.Get, Now: o.now, DPoP: dpopResource(dpop, cfg.PublicEndpoint("/userinfo"))},
		adminTokens:  &oauth2.AdminTokens{Tokens: db, Now: o.now},
		trustAdmin:   &trust.Admin{Store: db, Now: o.now, Rand: o.rand},
		registration: &client.Registration{Admin: clients, Config: live.Get},
		metrics:      meters.Handler(),
		switches:     sw,
	}
	if devIdentity {
		// The dev pages decide through the same values the admin API uses.
		h.devIdentity = devapp.New(devapp.Deps{Flows: loginConsent, Logouts: logoutAdmin, Keyring: keyring,
			PublicURL: cfg.PublicURL(), SecureCookie: cfg.CookieSecure(), Password: cfg.DevIdentity.Password,
			Config: live.Get, Log: log, Rand: o.rand})
	}
	// CORS, TLS termination by a proxy and quiet health checks, per port.
	publicEdge, adminEdge, err := edges(live, cfg, corsClients{Clients: db, Tokens: db, Opaque: opaque, JWT: jwtAT}, log)
	if err != nil {
		return nil, err
	}
	public, admin := h.publicRoutes(), h.adminRoutes()
	bg, stop := context.WithCancel(context.Background())
	polling := make(chan struct{})
	go func() {
		defer close(polling)
		keys.Run(bg)
	}()
	cleaning := startJanitor(bg, live, db, log, o)
	publicObs := portObservers("public", public.patterns, meters, tr)
	adminObs := portObservers("admin", admin.patterns, meters, tr)
	return &App{cfg: live, log: log, db: db, keys: keys, clients: clients, devIdentity: devIdentity, tracing: tr,
		public: h.serve(public, httpx.MaxFormBody, publicEdge, publicObs), admin: h.serve(admin, httpx.MaxJSONBody, adminEdge, adminObs), now: o.now,
		publicPatterns: public.patterns, adminPatterns: admin.patterns,
		stopBackground: func() { stop(); <-polling; <-cleaning; backChannel.Wait() }}, nil
}

// Close stops background work, closes the database and flushes tracing.
func (a *App) Close() error {
	a.stopBackground()
	err := a.db.Close()
	// The last spans are sent after the database closes, so they include
	// the statements of the final requests.
	if terr := stopTracing(a.tracing); terr != nil {
		a.log.Warn("tracing: the last spans were not exported", "error", terr)
	}
	return err
}

// Store exposes the database for tests that count round trips.
func (a *App) Store() *sqlstore.Store { return a.db }

// Routes lists the patterns ("METHOD /path") mounted on each port.
func (a *App) Routes() (public, admin []string) { return a.publicPatterns, a.adminPatterns }

// Public and Admin are the two route tables, for tests and embedding.
func (a *App) Public() http.Handler { return a.public }
func (a *App) Admin() http.Handler  { return a.admin }

func grantTable(gs []oauth2.Grant) map[string]oauth2.Grant {
	m := make(map[string]oauth2.Grant, len(gs))
	for _, g := range gs {
		m[g.Type()] = g
	}
	return m
}

// features derives what discovery advertises from what is mounted and
// configured. subject_types_supported is oidc.subject_identifiers.
// supported_types: the authorization endpoint derives pairwise subjects
// exactly when that list includes "pairwise".
func features(cfg *config.Config, gs []oauth2.Grant) oidc.Features {
	f := oidc.Features{
		ResponseTypes:        authorize.SupportedResponseTypes(),
		ResponseModes:        authorize.SupportedResponseModes(),
		CodeChallengeMethods: []string{oauth2.PKCEMethodS256},
		// c_hash: ID tokens of hybrid responses carry it.
		Claims:               append(oidc.DefaultClaims(), "c_hash"),
		Scopes:               oidc.DefaultScopes(),
		Userinfo:             true,
		EndSession:           true,
		FrontChannel:         true,
		BackChannel:          true,
		TokenAuthMethods:     clientauth.TokenEndpointAuthMethods(),
		TokenAuthSigningAlgs: clientauth.TokenEndpointAuthSigningAlgs(),
		// Every algorithm a key of hydra.openid.id-token may have: a key
		// added or rotated in with another algorithm than RS256 signs at
		// once, and relying parties allow only what discovery lists.
		IDTokenAlgs:   jwk.SigningAlgorithms(),
		SubjectTypes:  subjectTypes(cfg.OIDC.SubjectIdentifiers.SupportedTypes),
		Revocation:    true,
		Introspection: cfg.OAuth2.Introspection.PublicEnabled, // the public endpoint
		// RFC 9701 responses are signed by hydra.jwt.access-token, whose
		// keys may have any of these algorithms.
		IntrospectionSigningAlgs: jwk.SigningAlgorithms(),
		Registration:             cfg.OIDC.DynamicClientRegistration.Enabled,
		// RFC 9207: the authorization endpoint always sends iss.
		IssuerIdentification: true,
		// RFC 9101 and RFC 9126: on unless switched off; a client or the
		// operator may require pushed requests.
		RequestObjects:        cfg.OAuth2.RequestObjects.Enabled,
		PushedRequests:        cfg.OAuth2.PushedAuthorizationRequests.Enabled,
		RequirePushedRequests: cfg.OAuth2.PushedAuthorizationRequests.Required,
		// RFC 8628: the device_code grant type comes from the grant table.
		DeviceAuthorization: cfg.OAuth2.DeviceAuthorization.Enabled,
	}
	if f.RequestObjects {
		f.RequestObjectSigningAlgs = authorize.RequestObjectSigningAlgs()
	}
	if cfg.OAuth2.DPoP.Enabled { // RFC 9449
		f.DPoPSigningAlgs = oauth2.DPoPSigningAlgs()
	}
	for _, g := range gs {
		f.GrantTypes = append(f.GrantTypes, g.Type())
	}
	// The implicit grant has no token request: the authorization endpoint
	// issues its tokens, so it is not in the grant table.
	f.GrantTypes = append(f.GrantTypes, client.GrantImplicit)
	return f
}

// subjectTypes is the configured list, "public" when unset (Hydra's
// default; discovery requires a non-empty subject_types_supported).
func subjectTypes(configured []string) []string {
	if len(configured) == 0 {
		return []string{"public"}
	}
	return slices.Clone(configured)
}

// sessionCookies builds the authentication session cookie from
// serve.cookies.*.
func sessionCookies(cfg *config.Config, keys *secret.Keyring, now func() time.Time) (*flow.SessionCookies, error) {
	c := cfg.Serve.Cookies
	sameSite, err := flow.ParseSameSite(cfg.CookieSameSite())
	if err != nil {
		return nil, fmt.Errorf("serve.cookies.same_site_mode: %w", err)
	}
	return flow.NewSessionCookies(flow.SessionCookieOptions{Keyring: keys,
		Name: c.Names.Session, Path: c.Paths.Session, Domain: c.Domain, Secure: cfg.CookieSecure(),
		SameSite: sameSite, LegacyWorkaround: c.SameSiteLegacyWorkaround, Now: now})
}

// broadcastSets are the key sets /.well-known/jwks.json publishes: those of
// webfinger.jwks.broadcast_keys plus, always, the ID token and access token
// sets (as Hydra does), so that relying parties can verify ID tokens and
// resource servers JWT access tokens without configuration.
func broadcastSets(cfg *config.Config) []string {
	sets := slices.Clone(cfg.Webfinger.JWKS.BroadcastKeys)
	for _, s := range []string{jwk.SetIDToken, jwk.SetAccessToken} {
		if !slices.Contains(sets, s) {
			sets = append(sets, s)
		}
	}
	return sets
}
