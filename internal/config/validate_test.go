package config

import (
	"errors"
	"strings"
	"testing"
)

// problemsFor loads a YAML body (and extra env) and returns the problems.
func problemsFor(t *testing.T, yaml string, env []string, dev bool) []Problem {
	t.Helper()
	var files []string
	if yaml != "" {
		files = []string{writeFile(t, "c.yaml", yaml)}
	}
	_, _, err := Load(files, env, dev)
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	return e.Problems
}

func TestRejectedValuesNameTheirKey(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        []string
		key, msg   string
	}{
		{"unknown nested key", "serve:\n  publc:\n    port: 80\n", nil, "serve.publc", "unknown configuration key"},
		{"unknown top-level key", "foo: 1\n", nil, "foo", "unknown configuration key"},
		{"unknown key under a listener", "serve:\n  public:\n    hots: x\n", nil, "serve.public.hots", "unknown"},
		{"scalar where an object belongs", "serve: 4444\n", nil, "serve", "must be an object"},
		{"bad scope strategy", "strategies:\n  scope: foo\n", nil, "strategies.scope", `must be one of exact, wildcard (got "foo")`},
		{"bad access token strategy", "strategies:\n  access_token: macaroon\n", nil, "strategies.access_token", "must be one of opaque, jwt"},
		{"bad log level", "log:\n  level: verbose\n", nil, "log.level", "must be one of"},
		{"bad log format", "log:\n  format: xml\n", nil, "log.format", "must be one of"},
		{"duration in days", "ttl:\n  access_token: 1d\n", nil, "ttl.access_token", "must be a duration"},
		{"negative duration", "ttl:\n  access_token: -5m\n", nil, "ttl.access_token", "must be a duration"},
		{"fractional duration", "ttl:\n  id_token: 1.5h\n", nil, "ttl.id_token", "must be a duration"},
		{"duration as a number", "ttl:\n  auth_code: 600\n", nil, "ttl.auth_code", "must be a duration"},
		{"zero lifetime", "ttl:\n  access_token: 0s\n", nil, "ttl.access_token", "longer than 0s"},
		{"overflowing duration", "ttl:\n  access_token: 99999999999999h\n", nil, "ttl.access_token", "too long"},
		{"-1 only for refresh", "ttl:\n  access_token: -1\n", nil, "ttl.access_token", "must be a duration"},
		{"port zero", "serve:\n  public:\n    port: 0\n", nil, "serve.public.port", "between 1 and 65535 (got 0)"},
		{"port too high", "serve:\n  admin:\n    port: 70000\n", nil, "serve.admin.port", "between 1 and 65535"},
		{"port as string in file", "serve:\n  public:\n    port: \"80\"\n", nil, "serve.public.port", "whole number"},
		{"fractional port", "serve:\n  public:\n    port: 80.5\n", nil, "serve.public.port", "whole number"},
		{"port from env", "", []string{"SERVE_PUBLIC_PORT=http"}, "serve.public.port", "whole number"},
		{"bool from env", "", []string{"OAUTH2_PKCE_ENFORCED=yes"}, "oauth2.pkce.enforced", "true or false"},
		{"bcrypt cost too low", "oauth2:\n  hashers:\n    bcrypt:\n      cost: 3\n", nil, "oauth2.hashers.bcrypt.cost", "between 4 and 31"},
		{"bcrypt cost too high", "", []string{"OAUTH2_HASHERS_BCRYPT_COST=32"}, "oauth2.hashers.bcrypt.cost", "between 4 and 31"},
		{"pbkdf2 iterations zero", "oauth2:\n  hashers:\n    pbkdf2:\n      iterations: 0\n", nil, "oauth2.hashers.pbkdf2.iterations", "between 1 and"},
		{"bad hasher", "oauth2:\n  hashers:\n    algorithm: md5\n", nil, "oauth2.hashers.algorithm", "must be one of pbkdf2, bcrypt"},
		{"short system secret", "secrets:\n  system: [0123456789abcdef, short]\n", nil, "secrets.system[1]", "at least 16"},
		{"list where a scalar list item belongs", "secrets:\n  system: [[a]]\n", nil, "secrets.system[0]", "must be a string"},
		{"scalar where a list belongs", "secrets:\n  system: 0123456789abcdef\n", nil, "secrets.system", "list of strings"},
		{"bad cors method", "serve:\n  public:\n    cors:\n      allowed_methods: [GET, FETCH]\n", nil, "serve.public.cors.allowed_methods[1]", "must be one of"},
		{"two wildcards in origin", "serve:\n  public:\n    cors:\n      allowed_origins: ['https://*.*.example.com']\n", nil, "serve.public.cors.allowed_origins[0]", "origin"},
		{"relative origin", "serve:\n  admin:\n    cors:\n      allowed_origins: [example.com]\n", nil, "serve.admin.cors.allowed_origins[0]", "origin"},
		{"bad termination network", "serve:\n  tls:\n    allow_termination_from: [10.0.0.1]\n", nil, "serve.tls.allow_termination_from[0]", "CIDR"},
		{"relative issuer", "urls:\n  self:\n    issuer: /oauth\n", nil, "urls.self.issuer", "absolute URL"},
		{"header map with a number", "urls:\n  identity_provider:\n    headers: {X-A: 1}\n", nil, "urls.identity_provider.headers.X-A", "must be a string"},
		{"bad hook url", "oauth2:\n  token_hook: not a url\n", nil, "oauth2.token_hook", "absolute URL"},
		{"unknown hook field", "oauth2:\n  token_hook:\n    uri: https://x.example\n", nil, "oauth2.token_hook.uri", "unknown"},
		{"hook env combined", "", []string{"OAUTH2_TOKEN_HOOK=https://a.example", "OAUTH2_TOKEN_HOOK_URL=https://b.example"}, "oauth2.token_hook.url", "cannot be combined with OAUTH2_TOKEN_HOOK"},
		{"bad version", "version: 2.0\n", nil, "version", "must be a string"},
		{"bad profiling", "profiling: gpu\n", nil, "profiling", "must be one of cpu, mem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsFor(t, c.yaml, append(baseEnv(), c.env...), false)
			for _, p := range ps {
				if p.Key == c.key && strings.Contains(p.Msg, c.msg) {
					return
				}
			}
			t.Errorf("want a problem %s: …%s…, got %v", c.key, c.msg, ps)
		})
	}
}

func TestStartUpRules(t *testing.T) {
	t.Chdir(t.TempDir()) // dev mode keeps its secret beside ./signet.sqlite
	cases := []struct {
		name, yaml string
		env        []string
		dev        bool
		key, msg   string
	}{
		{"missing secret outside dev", "", []string{"URLS_SELF_ISSUER=" + testIssuer}, false, "secrets.system", "SECRETS_SYSTEM"},
		{"missing issuer outside dev", "", []string{"SECRETS_SYSTEM=" + testSecret}, false, "urls.self.issuer", "URLS_SELF_ISSUER"},
		{"http issuer outside dev", "", []string{"SECRETS_SYSTEM=" + testSecret, "URLS_SELF_ISSUER=http://localhost:4444/"}, false, "urls.self.issuer", "https"},
		{"http public issuer outside dev", "", []string{"SECRETS_SYSTEM=" + testSecret, "URLS_SELF_ISSUER=http://auth.example.com"}, false, "urls.self.issuer", "https"},
		{"issuer with fragment", "", []string{"SECRETS_SYSTEM=" + testSecret, "URLS_SELF_ISSUER=https://a.example/#x"}, true, "urls.self.issuer", "fragment"},
		{"issuer with query", "", []string{"SECRETS_SYSTEM=" + testSecret, "URLS_SELF_ISSUER=https://a.example/?tenant=1"}, false, "urls.self.issuer", "query"},
		{"non-http issuer in dev", "", []string{"URLS_SELF_ISSUER=ftp://a.example/"}, true, "urls.self.issuer", "https"},
		{"same port twice", "serve:\n  admin:\n    port: 4444\n", baseEnv(), false, "serve.admin.port", "must differ"},
		{"pairwise without salt", "oidc:\n  subject_identifiers:\n    supported_types: [public, pairwise]\n", baseEnv(), false, "oidc.subject_identifiers.pairwise.salt", "required"},
		// TLS: HTTPS needs a certificate and a key; a source is a path or
		// base64, not both; Signet never invents a self-signed certificate.
		{"tls enabled without certificate", "serve:\n  tls:\n    enabled: true\n", baseEnv(), false, "serve.public.tls", "missing"},
		{"tls key without certificate", "serve:\n  admin:\n    tls:\n      key: {path: k.pem}\n", baseEnv(), false, "serve.admin.tls", "missing"},
		{"tls path and base64", "serve:\n  public:\n    tls:\n      cert: {path: c.pem, base64: QUJD}\n      key: {path: k.pem}\n", baseEnv(), false, "serve.public.tls.cert", "not both"},
		{"tls base64 malformed", "serve:\n  tls:\n    cert: {base64: '%%%'}\n    key: {base64: QUJD}\n", baseEnv(), false, "serve.tls.cert.base64", "not valid base64"},
		{"unix host without path", "serve:\n  public:\n    host: 'unix:'\n", baseEnv(), false, "serve.public.host", "socket path"},
		{"unix socket path too long", "serve:\n  admin:\n    host: unix:/" + strings.Repeat("s", 120) + "\n", baseEnv(), false, "serve.admin.host", "104 bytes"},
		{"cors origin with a path", "serve:\n  public:\n    cors:\n      allowed_origins: [https://app.example.com/callback]\n", baseEnv(), false, "serve.public.cors.allowed_origins[0]", "without a path"},
		{"one socket for both ports", "serve:\n  public:\n    host: unix:/run/s.sock\n  admin:\n    host: unix:/run/s.sock\n", baseEnv(), false, "serve.admin.host", "must differ"},
		{"hook auth without url", "oauth2:\n  token_hook:\n    auth: {type: api_key, config: {name: a, value: b}}\n", baseEnv(), false, "oauth2.token_hook.url", "required"},
		{"user code preset and length", "oauth2:\n  device_authorization:\n    user_code: {entropy_preset: high, length: 8}\n", baseEnv(), false, "oauth2.device_authorization.user_code", "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := problemsFor(t, c.yaml, c.env, c.dev)
			for _, p := range ps {
				if p.Key == c.key && strings.Contains(p.Msg, c.msg) {
					return
				}
			}
			t.Errorf("want a problem %s: …%s…, got %v", c.key, c.msg, ps)
		})
	}
}

func TestDevAllowsLocalHTTPIssuer(t *testing.T) {
	t.Chdir(t.TempDir()) // dev mode keeps its secret beside ./signet.sqlite
	for _, issuer := range []string{"http://localhost:4444/", "http://127.0.0.1:4444", "http://[::1]:4444/"} {
		if _, _, err := Load(nil, []string{"URLS_SELF_ISSUER=" + issuer}, true); err != nil {
			t.Errorf("%s in dev: %v", issuer, err)
		}
	}
}

// Secrets in a rejected value must not reach the error text, which is logged.
func TestRejectedSecretsAreNotEchoed(t *testing.T) {
	f := writeFile(t, "s.yaml", "oauth2:\n  token_hook:\n    url: https://h.example\n    auth:\n      type: api_key\n      config: {name: k, value: [hunter2-secret]}\n")
	_, _, err := Load([]string{f}, []string{"SECRETS_SYSTEM=hunter2-secret"}, false)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error echoes a secret:\n%v", err)
	}
	if !strings.Contains(err.Error(), "secrets.system[0]") || !strings.Contains(err.Error(), "oauth2.token_hook.auth.config.value") {
		t.Errorf("error does not name both keys:\n%v", err)
	}
}

func TestValidateIsCallableOnASnapshot(t *testing.T) {
	cfg, _ := mustLoad(t, nil, baseEnv(), false)
	if err := Validate(cfg); err != nil {
		t.Fatalf("a loaded config must validate again: %v", err)
	}
	changed := *cfg
	changed.URLs.Self.Issuer = "http://auth.example.com/"
	if err := Validate(&changed); err == nil || !strings.Contains(err.Error(), "urls.self.issuer") {
		t.Errorf("want an issuer problem, got %v", err)
	}
}
