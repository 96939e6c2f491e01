package config

// DefaultDSN is used when neither dsn nor DSN is set: a SQLite file in the
// working directory, so `signet serve all --dev` runs with no setup at all.
const DefaultDSN = "sqlite://signet.sqlite"

// httpMethods are the methods the contract's http_method definition allows.
func httpMethods() []string {
	return []string{"POST", "GET", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD", "OPTIONS", "TRACE"}
}

// implementedKeys lists the keys Signet acts on today. Every other key of
// Hydra's schema is accepted and, when set, named in a start-up warning.
// Add a key here in the same change that makes it work.
func implementedKeys() []string {
	return []string{
		"dsn", "dev", "version",
		"dev_identity.password", // issue 6: the development identity app
		// Issue 7: the background janitor (Signet only).
		"janitor.enabled", "janitor.interval", "janitor.batch_size", "janitor.keep_if_younger",
		// Issue 7: automatic key rotation (Signet only).
		"keys.rotation.enabled", "keys.rotation.interval", "keys.rotation.publish_before", "keys.rotation.retain_after",
		// Issue 8: DPoP (Signet only).
		"oauth2.dpop.enabled", "oauth2.dpop.proof_max_age", "oauth2.dpop.require_nonce", "oauth2.dpop.nonce_lifespan",
		"log.level", "log.format",
		"serve.public.host", "serve.public.port", "serve.public.request_log.disable_for_health",
		"serve.admin.host", "serve.admin.port", "serve.admin.request_log.disable_for_health",
		"urls.self.issuer", "urls.self.public",
		"secrets.system",
		"ttl.access_token", "ttl.refresh_token", "ttl.id_token", "ttl.auth_code",
		"ttl.login_consent_request", "ttl.authentication_session",
		"urls.login", "urls.consent", "urls.error", "urls.logout", "urls.post_logout_redirect",
		// Issue 8: the device authorization grant (RFC 8628).
		"urls.device.verification", "urls.device.success", "ttl.device_user_code", "serve.cookies.names.device_csrf",
		"oauth2.device_authorization.token_polling_interval", "oauth2.device_authorization.user_code.entropy_preset",
		"oauth2.device_authorization.user_code.length", "oauth2.device_authorization.user_code.character_set",
		"oauth2.device_authorization.brute_force.attempts_per_challenge",
		"oauth2.device_authorization.brute_force.failure_budget", "oauth2.device_authorization.brute_force.window",
		"clients.http.disallow_private_ip_ranges", "clients.http.private_ip_exception_urls",
		"secrets.cookie",
		"serve.cookies.same_site_mode", "serve.cookies.same_site_legacy_workaround", "serve.cookies.domain",
		"serve.cookies.secure", "serve.cookies.names.session", "serve.cookies.names.login_csrf",
		"serve.cookies.names.consent_csrf", "serve.cookies.paths.session",
		"oauth2.pkce.enforced", "oauth2.pkce.enforced_for_public_clients",
		"oauth2.grant.refresh_token.rotation_grace_period", "oauth2.grant.refresh_token.rotation_grace_reuse_count",
		"strategies.scope", "strategies.access_token", "strategies.jwt.scope_claim",
		"oauth2.hashers.algorithm", "oauth2.hashers.bcrypt.cost", "oauth2.hashers.pbkdf2.iterations",
		"oauth2.client_credentials.default_grant_allowed_scope",
		"webfinger.jwks.broadcast_keys",
		"oidc.subject_identifiers.supported_types", "oidc.subject_identifiers.pairwise.salt",
		// Issue 5: JWT client authentication, the JWT bearer grant, dynamic
		// registration and token hooks.
		"oauth2.grant.jwt.jti_optional", "oauth2.grant.jwt.iat_optional", "oauth2.grant.jwt.max_ttl",
		"oauth2.grant.jwt.omit_assertion_audience",
		"oidc.dynamic_client_registration.enabled", "oidc.dynamic_client_registration.default_scope",
		"oauth2.token_hook", "oauth2.token_hook.url", "oauth2.token_hook.auth.type",
		"oauth2.token_hook.auth.config.in", "oauth2.token_hook.auth.config.name", "oauth2.token_hook.auth.config.value",
		"oauth2.refresh_token_hook", "oauth2.refresh_token_hook.url", "oauth2.refresh_token_hook.auth.type",
		"oauth2.refresh_token_hook.auth.config.in", "oauth2.refresh_token_hook.auth.config.name",
		"oauth2.refresh_token_hook.auth.config.value",
		// Signet sends no usage statistics, so opting out is always in effect.
		"sqa", "sqa.opt_out",
		// Issue 7 (edge): CORS, TLS per port, Unix sockets (docs/tls-cors.md).
		"serve.public.cors.enabled", "serve.public.cors.allowed_origins", "serve.public.cors.allowed_methods",
		"serve.public.cors.allowed_headers", "serve.public.cors.exposed_headers", "serve.public.cors.allow_credentials",
		"serve.public.cors.max_age", "serve.public.cors.debug", "serve.public.cors.options_passthrough",
		"serve.admin.cors.enabled", "serve.admin.cors.allowed_origins", "serve.admin.cors.allowed_methods",
		"serve.admin.cors.allowed_headers", "serve.admin.cors.exposed_headers", "serve.admin.cors.allow_credentials",
		"serve.admin.cors.max_age", "serve.admin.cors.debug", "serve.admin.cors.options_passthrough",
		"serve.tls.enabled", "serve.tls.cert.path", "serve.tls.cert.base64", "serve.tls.key.path",
		"serve.tls.key.base64", "serve.tls.allow_termination_from",
		"serve.public.tls.enabled", "serve.public.tls.cert.path", "serve.public.tls.cert.base64",
		"serve.public.tls.key.path", "serve.public.tls.key.base64", "serve.public.tls.allow_termination_from",
		"serve.admin.tls.enabled", "serve.admin.tls.cert.path", "serve.admin.tls.cert.base64",
		"serve.admin.tls.key.path", "serve.admin.tls.key.base64", "serve.admin.tls.allow_termination_from",
		"serve.public.socket.owner", "serve.public.socket.group", "serve.public.socket.mode",
		"serve.admin.socket.owner", "serve.admin.socket.group", "serve.admin.socket.mode",
		// Issue 7 (observe): OpenTelemetry tracing over OTLP/HTTP
		// (docs/observability.md); provider jaeger and zipkin are refused.
		"tracing.provider", "tracing.service_name", "tracing.deployment_environment",
		"tracing.providers.otlp.server_url", "tracing.providers.otlp.insecure",
		"tracing.providers.otlp.sampling.sampling_ratio", "tracing.providers.otlp.authorization_header",
		// Issue 8: public introspection visibility (Signet only).
		"oauth2.introspection.visibility",
	}
}

// DefaultKeys is every key Signet accepts: each key of Hydra v2's
// configuration schema (written out here by hand so the binary needs no
// schema file), plus Signet's own additions marked SignetOnly.
func DefaultKeys() []Key {
	done := map[string]bool{}
	for _, p := range implementedKeys() {
		done[p] = true
	}
	var t []Key
	for _, section := range [][]Key{
		coreKeys(),
		serveKeys(),
		urlKeys(),
		secretKeys(),
		ttlKeys(),
		strategyKeys(),
		oauth2Keys(),
		oidcKeys(),
		extraKeys(),
	} {
		t = append(t, section...)
	}
	for i := range t {
		if t[i].Status != SignetOnly && !done[t[i].Path] {
			t[i].Status = NotBuilt
		}
	}
	return t
}

func coreKeys() []Key {
	return []Key{
		str("dsn").sensitive().def(DefaultDSN),
		boolean("dev"),
		str("dev_identity.password").sensitive().signetOnly(),
		// The background janitor (docs/janitor.md); off by default.
		boolean("janitor.enabled").signetOnly(),
		duration("janitor.interval").positive().def("1h").signetOnly(),
		integer("janitor.batch_size").between(1, 10000).def(1000).signetOnly(),
		duration("janitor.keep_if_younger").def("0s").signetOnly(),
		// Automatic rotation of the ID token and access token signing keys
		// (docs/key-rotation.md); off by default.
		boolean("keys.rotation.enabled").signetOnly(),
		duration("keys.rotation.interval").positive().def("720h").signetOnly(),
		duration("keys.rotation.publish_before").def("24h").signetOnly(),
		duration("keys.rotation.retain_after").def("168h").signetOnly(),
		// DPoP, RFC 9449 (docs/dpop.md); on by default, nonces off.
		boolean("oauth2.dpop.enabled").def(true).signetOnly(),
		duration("oauth2.dpop.proof_max_age").positive().def("60s").signetOnly(),
		boolean("oauth2.dpop.require_nonce").signetOnly(),
		duration("oauth2.dpop.nonce_lifespan").positive().def("5m").signetOnly(),
		str("version").format(FormatSemver),
		boolean("db.ignore_unknown_table_columns"),
		str("log.level").enum("panic", "fatal", "error", "warn", "info", "debug", "trace").def("info"),
		str("log.format").enum("json", "json_pretty", "text").def("text"),
		// Signet never logs secrets or tokens, so there is nothing to leak
		// or redact; these two stay warnings rather than silently ignored.
		boolean("log.leak_sensitive_values"),
		str("log.redaction_text"),
		boolean("clients.http.disallow_private_ip_ranges"),
		strs("clients.http.private_ip_exception_urls").format(FormatURIRef),
		// Clients kept in the configuration file (config/clients.go, docs/instances.md).
		Key{Path: "clients.declared", Kind: KindObjectList}.signetOnly(),
	}
}

func serveKeys() []Key {
	t := listenerKeys("serve.public", 4444)
	t = append(t, listenerKeys("serve.admin", 4445)...)
	t = append(t, tlsKeys("serve.tls")...)
	return append(t,
		str("serve.cookies.same_site_mode").enum("Strict", "Lax", "None").def("None"),
		boolean("serve.cookies.same_site_legacy_workaround"),
		str("serve.cookies.domain"),
		boolean("serve.cookies.secure"),
		str("serve.cookies.names.device_csrf").def("ory_hydra_device_csrf"),
		str("serve.cookies.names.login_csrf").def("ory_hydra_login_csrf"),
		str("serve.cookies.names.consent_csrf").def("ory_hydra_consent_csrf"),
		str("serve.cookies.names.session").def("ory_hydra_session"),
		str("serve.cookies.paths.session").def("/"),
	)
}

// listenerKeys is the contract's serve_config plus cors_config. The host
// default is "" (every interface, IPv4 and IPv6) rather than the schema's
// "0.0.0.0", which would leave IPv6 out.
func listenerKeys(p string, port int64) []Key {
	t := []Key{
		str(p + ".host"),
		integer(p+".port").between(1, 65535).def(port),
		str(p + ".base_url").format(FormatURIRef),
		boolean(p + ".request_log.disable_for_health"),
		str(p + ".socket.owner"),
		str(p + ".socket.group"),
		integer(p+".socket.mode").between(0, 0o777).def(0o755),
		boolean(p + ".cors.enabled"),
		strs(p + ".cors.allowed_origins").format(FormatOrigin),
		strs(p + ".cors.allowed_methods").enum(httpMethods()...),
		strs(p + ".cors.allowed_headers"),
		strs(p + ".cors.exposed_headers"),
		boolean(p + ".cors.allow_credentials").def(true),
		boolean(p + ".cors.options_passthrough"),
		integer(p+".cors.max_age").between(0, 1<<31-1),
		boolean(p + ".cors.debug"),
	}
	return append(t, tlsKeys(p+".tls")...)
}

func tlsKeys(p string) []Key {
	return []Key{
		boolean(p + ".enabled"),
		str(p + ".key.path"),
		str(p + ".key.base64").sensitive(),
		str(p + ".cert.path"),
		str(p + ".cert.base64"),
		strs(p + ".allow_termination_from").format(FormatCIDR),
	}
}

func urlKeys() []Key {
	return []Key{
		str("urls.self.issuer").format(FormatURI),
		str("urls.self.public").format(FormatURI),
		str("urls.self.admin").format(FormatURI),
		str("urls.login").format(FormatURIRef),
		str("urls.registration").format(FormatURIRef),
		str("urls.consent").format(FormatURIRef),
		str("urls.logout").format(FormatURIRef),
		str("urls.device.verification").format(FormatURIRef),
		str("urls.device.success").format(FormatURIRef),
		str("urls.error").format(FormatURIRef),
		str("urls.post_logout_redirect").format(FormatURIRef),
		str("urls.identity_provider.url").format(FormatURI),
		str("urls.identity_provider.publicUrl").format(FormatURI),
		Key{Path: "urls.identity_provider.headers", Kind: KindStringMap, Sensitive: true},
	}
}

func secretKeys() []Key {
	return []Key{
		strs("secrets.system").minLen(16).sensitive(),
		strs("secrets.cookie").minLen(16).sensitive(),
		strs("secrets.pagination").minLen(16).sensitive(),
	}
}

func ttlKeys() []Key {
	return []Key{
		duration("ttl.login_consent_request").positive().def("30m"),
		duration("ttl.authentication_session").positive().def("720h"),
		duration("ttl.access_token").positive().def("1h"),
		duration("ttl.refresh_token").positive().never().def("720h"),
		duration("ttl.id_token").positive().def("1h"),
		duration("ttl.auth_code").positive().def("10m"),
		duration("ttl.device_user_code").positive().def("10m"),
	}
}

func strategyKeys() []Key {
	return []Key{
		str("strategies.scope").enum("exact", "wildcard").def("wildcard"),
		str("strategies.access_token").enum("opaque", "jwt").def("opaque"),
		str("strategies.jwt.scope_claim").enum("list", "string", "both").def("list"),
	}
}

func oauth2Keys() []Key {
	t := []Key{
		boolean("oauth2.expose_internal_errors"),
		boolean("oauth2.session.encrypt_at_rest").def(true),
		boolean("oauth2.exclude_not_before_claim"),
		strs("oauth2.allowed_top_level_claims"),
		boolean("oauth2.mirror_top_level_claims").def(true),
		boolean("oauth2.preserve_ext_claims"),
		str("oauth2.hashers.algorithm").enum("pbkdf2", "bcrypt").def("pbkdf2"),
		integer("oauth2.hashers.bcrypt.cost").between(4, 31).def(10),
		integer("oauth2.hashers.pbkdf2.iterations").between(1, 10_000_000).def(25000),
		boolean("oauth2.pkce.enforced"),
		boolean("oauth2.pkce.enforced_for_public_clients"),
		boolean("oauth2.client_credentials.default_grant_allowed_scope"),
		duration("oauth2.grant.refresh_token.rotation_grace_period").def("0s"),
		integer("oauth2.grant.refresh_token.rotation_grace_reuse_count").between(0, 1<<31-1),
		boolean("oauth2.grant.jwt.jti_optional"),
		boolean("oauth2.grant.jwt.iat_optional"),
		duration("oauth2.grant.jwt.max_ttl").positive().def("720h"),
		boolean("oauth2.grant.jwt.omit_assertion_audience").def(true),
		duration("oauth2.device_authorization.token_polling_interval").positive().def("5s"),
		str("oauth2.device_authorization.user_code.entropy_preset").enum("high", "medium", "low"),
		integer("oauth2.device_authorization.user_code.length").between(6, 1<<31-1),
		str("oauth2.device_authorization.user_code.character_set").minLen(8),
		// User code guessing bounds (docs/device-authorization.md).
		integer("oauth2.device_authorization.brute_force.attempts_per_challenge").between(1, 100).def(5).signetOnly(),
		integer("oauth2.device_authorization.brute_force.failure_budget").between(1, 1<<20).def(100).signetOnly(),
		duration("oauth2.device_authorization.brute_force.window").positive().def("1m").signetOnly(),
		// Which tokens the public introspection endpoint shows a client
		// (docs/introspection.md).
		str("oauth2.introspection.visibility").enum("client_or_audience", "client", "any").def("client_or_audience").signetOnly(),
		// Public POST /oauth2/introspect (RFC 7662 for clients); the admin
		// endpoint is always served.
		boolean("oauth2.introspection.public_enabled").def(true).signetOnly(),
		// Pushed authorization requests (RFC 9126, docs/par.md).
		boolean("oauth2.pushed_authorization_requests.enabled").def(true).signetOnly(),
		boolean("oauth2.pushed_authorization_requests.required").signetOnly(),
		// Request objects (RFC 9101, docs/request-objects.md), token
		// exchange (RFC 8693, docs/token-exchange.md) and the device grant
		// (RFC 8628), each on unless switched off; read at start-up.
		boolean("oauth2.request_objects.enabled").def(true).signetOnly(),
		boolean("oauth2.token_exchange.enabled").def(true).signetOnly(),
		boolean("oauth2.device_authorization.enabled").def(true).signetOnly(),
		duration("oauth2.pushed_authorization_requests.ttl").positive().def("90s").signetOnly(),
	}
	t = append(t, hookKeys("oauth2.refresh_token_hook")...)
	return append(t, hookKeys("oauth2.token_hook")...)
}

// hookKeys is the contract's "URL string or webhook_config" union: the hook
// path itself takes a string, and its object form's fields are keys too.
func hookKeys(p string) []Key {
	return []Key{
		Key{Path: p, Kind: KindHook, Format: FormatURI},
		str(p + ".url").format(FormatURI),
		str(p + ".auth.type").enum("api_key"),
		str(p+".auth.config.in").enum("header", "cookie"),
		str(p + ".auth.config.name"),
		str(p + ".auth.config.value").sensitive(),
	}
}

func oidcKeys() []Key {
	return []Key{
		strs("oidc.subject_identifiers.supported_types").enum("public", "pairwise").def([]any{"public"}),
		str("oidc.subject_identifiers.pairwise.salt").sensitive(),
		boolean("oidc.dynamic_client_registration.enabled"),
		strs("oidc.dynamic_client_registration.default_scope"),
		strs("webfinger.jwks.broadcast_keys").def([]any{"hydra.openid.id-token"}),
		str("webfinger.oidc_discovery.jwks_url").format(FormatURIRef),
		str("webfinger.oidc_discovery.token_url").format(FormatURIRef),
		str("webfinger.oidc_discovery.auth_url").format(FormatURIRef),
		str("webfinger.oidc_discovery.device_authorization_url").format(FormatURIRef),
		str("webfinger.oidc_discovery.client_registration_url").format(FormatURIRef),
		strs("webfinger.oidc_discovery.supported_claims"),
		strs("webfinger.oidc_discovery.supported_scope"),
		str("webfinger.oidc_discovery.userinfo_url").format(FormatURIRef),
	}
}

// extraKeys are operational sections of Hydra's schema that Signet accepts
// but does not act on yet.
func extraKeys() []Key {
	t := []Key{
		boolean("hsm.enabled"),
		str("hsm.library"),
		str("hsm.pin").sensitive(),
		integer("hsm.slot"),
		str("hsm.token_label"),
		str("hsm.key_set_prefix"),
		str("profiling").enum("cpu", "mem"),
		str("tracing.provider").enum("jaeger", "otel", "zipkin"),
		str("tracing.service_name"),
		str("tracing.deployment_environment"),
		str("tracing.providers.jaeger.local_agent_address").format(FormatHostPort),
		str("tracing.providers.jaeger.sampling.server_url").format(FormatURI),
		number("tracing.providers.jaeger.sampling.trace_id_ratio"),
		str("tracing.providers.zipkin.server_url").format(FormatURI),
		number("tracing.providers.zipkin.sampling.sampling_ratio"),
		str("tracing.providers.otlp.server_url").format(FormatHostPort),
		boolean("tracing.providers.otlp.insecure"),
		number("tracing.providers.otlp.sampling.sampling_ratio"),
		str("tracing.providers.otlp.authorization_header").sensitive(),
		{Path: "sqa", Kind: KindOpen},
		boolean("sqa.opt_out"),
		boolean("cgroups.v1.auto_max_procs_enabled"),
		{Path: "feature_flags", Kind: KindOpen},
		boolean("feature_flags.legacy_allow_insecure_origins"),
	}
	return t
}

// Builders keep the table one line per key.

func str(p string) Key      { return Key{Path: p, Kind: KindString} }
func boolean(p string) Key  { return Key{Path: p, Kind: KindBool} }
func integer(p string) Key  { return Key{Path: p, Kind: KindInt} }
func number(p string) Key   { return Key{Path: p, Kind: KindNumber} }
func duration(p string) Key { return Key{Path: p, Kind: KindDuration} }
func strs(p string) Key     { return Key{Path: p, Kind: KindStringList} }

func (k Key) def(v any) Key            { k.Default = v; return k }
func (k Key) enum(v ...string) Key     { k.Enum = v; return k }
func (k Key) format(f Format) Key      { k.Format = f; return k }
func (k Key) minLen(n int) Key         { k.MinLen = n; return k }
func (k Key) sensitive() Key           { k.Sensitive = true; return k }
func (k Key) positive() Key            { k.Positive = true; return k }
func (k Key) never() Key               { k.Never = true; return k }
func (k Key) between(lo, hi int64) Key { k.Min, k.Max = &lo, &hi; return k }

// signetOnly marks one of Signet's own keys, which Hydra's schema lacks.
func (k Key) signetOnly() Key { k.Status = SignetOnly; return k }
