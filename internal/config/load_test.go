package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testSecret = "0123456789abcdef-primary"
	testIssuer = "https://auth.example.com/"
)

// baseEnv is the least a production start needs.
func baseEnv(extra ...string) []string {
	return append([]string{"SECRETS_SYSTEM=" + testSecret, "URLS_SELF_ISSUER=" + testIssuer}, extra...)
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, files, env []string, dev bool) (*Config, []string) {
	t.Helper()
	cfg, warnings, err := Load(files, env, dev)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg, warnings
}

func TestHydraEnvironmentNames(t *testing.T) {
	cfg, _ := mustLoad(t, nil, []string{
		"DSN=postgres://u:p@db/signet",
		"URLS_SELF_ISSUER=https://id.example.org",
		"SECRETS_SYSTEM=" + testSecret + ", 0123456789abcdef-old,",
		"TTL_ACCESS_TOKEN=2h",
		"TTL_REFRESH_TOKEN=-1",
		"SERVE_PUBLIC_PORT=8080",
		"STRATEGIES_SCOPE=exact",
		"STRATEGIES_ACCESS_TOKEN=jwt",
		"OAUTH2_HASHERS_ALGORITHM=bcrypt",
		"OAUTH2_HASHERS_BCRYPT_COST=12",
		"OAUTH2_PKCE_ENFORCED=TRUE",
		"LOG_FORMAT=json",
		`SECRETS_COOKIE=["0123456789abcdef,with-comma"]`,
		"PATH=/usr/bin", // unrelated variables are ignored
		"LOG_LEVEL=",    // empty counts as unset
	}, false)

	checks := []struct {
		name      string
		got, want any
	}{
		{"dsn", cfg.DSN, "postgres://u:p@db/signet"},
		{"issuer", cfg.URLs.Self.Issuer, "https://id.example.org"},
		{"secrets.system", cfg.Secrets.System, []string{testSecret, "0123456789abcdef-old"}},
		{"secrets.cookie", cfg.Secrets.Cookie, []string{"0123456789abcdef,with-comma"}},
		{"ttl.access_token", cfg.TTL.AccessToken, 2 * time.Hour},
		{"ttl.refresh_token", cfg.TTL.RefreshToken, time.Duration(-1)},
		{"serve.public.port", cfg.Serve.Public.Port, 8080},
		{"strategies.scope", cfg.Strategies.Scope, "exact"},
		{"strategies.access_token", cfg.Strategies.AccessToken, "jwt"},
		{"hashers.algorithm", cfg.OAuth2.Hashers.Algorithm, "bcrypt"},
		{"bcrypt.cost", cfg.OAuth2.Hashers.BCrypt.Cost, 12},
		{"pkce.enforced", cfg.OAuth2.PKCE.Enforced, true},
		{"log.format", cfg.Log.Format, "json"},
		{"log.level", cfg.Log.Level, "info"},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	as, ok1 := a.([]string)
	bs, ok2 := b.([]string)
	if ok1 && ok2 {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestEnvironmentOverridesFile(t *testing.T) {
	f := writeFile(t, "signet.yaml", "serve:\n  public:\n    port: 1111\n  admin:\n    port: 2222\nttl:\n  access_token: 5m\n")
	cfg, _ := mustLoad(t, []string{f}, baseEnv("SERVE_PUBLIC_PORT=3333"), false)
	if cfg.Serve.Public.Port != 3333 {
		t.Errorf("public port = %d, want the env value 3333", cfg.Serve.Public.Port)
	}
	if cfg.Serve.Admin.Port != 2222 || cfg.TTL.AccessToken != 5*time.Minute {
		t.Errorf("file values lost: admin port %d, access ttl %v", cfg.Serve.Admin.Port, cfg.TTL.AccessToken)
	}
}

func TestRepeatedFilesMergeInOrder(t *testing.T) {
	first := writeFile(t, "a.yml", `
strategies:
  scope: exact
serve:
  public:
    port: 1000
    cors:
      allowed_origins: [https://a.example, https://b.example]
`)
	second := writeFile(t, "b.json", `{"serve": {"public": {"port": 2000, "cors": {"allowed_origins": ["https://c.example"]}}}}`)
	cfg, _ := mustLoad(t, []string{first, second}, baseEnv(), false)
	if cfg.Serve.Public.Port != 2000 {
		t.Errorf("port = %d, want 2000 from the later file", cfg.Serve.Public.Port)
	}
	if cfg.Strategies.Scope != "exact" {
		t.Errorf("scope = %q, want exact kept from the earlier file", cfg.Strategies.Scope)
	}
	// Lists are replaced, not appended, so a later file can narrow them.
	if got := cfg.Serve.Public.CORS.AllowedOrigins; !slices.Equal(got, []string{"https://c.example"}) {
		t.Errorf("allowed_origins = %v", got)
	}
}

func TestFileErrors(t *testing.T) {
	toml := writeFile(t, "signet.toml", "dsn = 'x'\n")
	broken := writeFile(t, "broken.json", `{"dsn": `)
	for name, file := range map[string]string{
		"unknown extension": toml,
		"missing file":      filepath.Join(t.TempDir(), "nope.yaml"),
		"syntax error":      broken,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Load([]string{file}, baseEnv(), false)
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Fatalf("want an error naming %s, got %v", file, err)
			}
		})
	}
}

func TestDefaultsWithNoConfigInDevMode(t *testing.T) {
	l := Loader{Rand: bytes.NewReader(bytes.Repeat([]byte{0xab}, 32))}
	t.Chdir(t.TempDir()) // dev mode keeps its secret beside ./signet.sqlite
	cfg, warnings, err := l.Load(nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{
		"dsn":                      {cfg.DSN, DefaultDSN},
		"public addr":              {cfg.PublicAddr(), ":4444"},
		"admin addr":               {cfg.AdminAddr(), ":4445"},
		"issuer":                   {cfg.IssuerURL(), "http://localhost:4444/"},
		"secret":                   {cfg.Secrets.System[0], strings.Repeat("ab", 32)},
		"ttl.access_token":         {cfg.TTL.AccessToken, time.Hour},
		"ttl.refresh_token":        {cfg.TTL.RefreshToken, 720 * time.Hour},
		"ttl.id_token":             {cfg.TTL.IDToken, time.Hour},
		"ttl.auth_code":            {cfg.TTL.AuthCode, 10 * time.Minute},
		"ttl.login_consent":        {cfg.TTL.LoginConsentRequest, 30 * time.Minute},
		"ttl.auth_session":         {cfg.TTL.AuthenticationSession, 720 * time.Hour},
		"ttl.device_user_code":     {cfg.TTL.DeviceUserCode, 10 * time.Minute},
		"log.level":                {cfg.Log.Level, "info"},
		"log.format":               {cfg.Log.Format, "text"},
		"strategies.scope":         {cfg.Strategies.Scope, "wildcard"},
		"strategies.access_token":  {cfg.Strategies.AccessToken, "opaque"},
		"strategies.jwt":           {cfg.Strategies.JWT.ScopeClaim, "list"},
		"hashers.algorithm":        {cfg.OAuth2.Hashers.Algorithm, "pbkdf2"},
		"pbkdf2.iterations":        {cfg.OAuth2.Hashers.PBKDF2.Iterations, 25000},
		"bcrypt.cost":              {cfg.OAuth2.Hashers.BCrypt.Cost, 10},
		"cookie session name":      {cfg.Serve.Cookies.Names.Session, "ory_hydra_session"},
		"cookie login csrf":        {cfg.Serve.Cookies.Names.LoginCSRF, "ory_hydra_login_csrf"},
		"cors allow credentials":   {cfg.Serve.Public.CORS.AllowCredentials, true},
		"mirror top level claims":  {cfg.OAuth2.MirrorTopLevelClaims, true},
		"jwt grant max ttl":        {cfg.OAuth2.Grant.JWT.MaxTTL, 720 * time.Hour},
		"broadcast keys":           {cfg.Webfinger.JWKS.BroadcastKeys, []string{"hydra.openid.id-token"}},
		"subject types":            {cfg.OIDC.SubjectIdentifiers.SupportedTypes, []string{"public"}},
		"dev":                      {cfg.Dev, true},
		"public url from issuer":   {cfg.PublicURL(), "http://localhost:4444/"},
		"admin url from listener":  {cfg.AdminURL(), "http://localhost:4445/"},
		"token endpoint from base": {cfg.PublicEndpoint("/oauth2/token"), "http://localhost:4444/oauth2/token"},
	}
	for name, gw := range want {
		if !equal(gw[0], gw[1]) {
			t.Errorf("%s = %#v, want %#v", name, gw[0], gw[1])
		}
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "signet.sqlite.dev-secret") || !strings.Contains(joined, "urls.self.issuer") {
		t.Errorf("dev warnings = %q", warnings)
	}
}

func TestDevKeyInFileTurnsOnDevMode(t *testing.T) {
	t.Chdir(t.TempDir()) // dev mode keeps its secret beside ./signet.sqlite
	f := writeFile(t, "dev.yaml", "dev: true\nurls:\n  self:\n    issuer: http://127.0.0.1:4444\n")
	cfg, _ := mustLoad(t, []string{f}, nil, false)
	if !cfg.Dev || cfg.IssuerURL() != "http://127.0.0.1:4444" || len(cfg.Secrets.System) != 1 {
		t.Errorf("dev=%v issuer=%q secrets=%d", cfg.Dev, cfg.IssuerURL(), len(cfg.Secrets.System))
	}
}

func TestNotBuiltKeysAreAcceptedWithAWarning(t *testing.T) {
	f := writeFile(t, "hydra.yaml", `
hsm:
  enabled: false
oauth2:
  token_hook:
    url: https://hooks.example/token
    auth:
      type: api_key
      config: {name: X-Key, value: s3cr3t-value}
  refresh_token_hook: https://hooks.example/refresh
  device_authorization:
    token_polling_interval: 10s
feature_flags:
  some_future_flag: true
strategies:
  scope: exact
`)
	_, warnings, err := Load([]string{f}, baseEnv(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feature_flags", "hsm.enabled"}
	var named []string
	for _, w := range warnings {
		named = append(named, strings.Fields(w)[0])
		if strings.Contains(w, "s3cr3t") {
			t.Errorf("warning leaks a secret: %q", w)
		}
	}
	slices.Sort(named)
	if !slices.Equal(named, want) {
		t.Errorf("warnings name %v, want exactly %v (one per key, none for implemented keys)", named, want)
	}
}

func TestRefreshTokenNeverExpires(t *testing.T) {
	for _, v := range []string{"-1", `"-1"`} {
		f := writeFile(t, "ttl.yaml", "ttl:\n  refresh_token: "+v+"\n")
		cfg, _ := mustLoad(t, []string{f}, baseEnv(), false)
		if cfg.TTL.RefreshToken >= 0 {
			t.Errorf("refresh_token %s: got %v, want negative (never)", v, cfg.TTL.RefreshToken)
		}
	}
}

func TestHookURLStringForm(t *testing.T) {
	cfg, _ := mustLoad(t, nil, baseEnv("OAUTH2_TOKEN_HOOK=https://hooks.example/t"), false)
	if cfg.OAuth2.TokenHook.URL != "https://hooks.example/t" {
		t.Errorf("token hook = %+v", cfg.OAuth2.TokenHook)
	}
}

func TestURLHelpers(t *testing.T) {
	f := writeFile(t, "urls.yaml", `
serve:
  admin: {host: 127.0.0.1, port: 9000}
urls:
  self:
    issuer: https://auth.example.com
    public: https://public.example.com/base
`)
	cfg, _ := mustLoad(t, []string{f}, []string{"SECRETS_SYSTEM=" + testSecret}, false)
	if got := cfg.IssuerURL(); got != "https://auth.example.com" {
		t.Errorf("IssuerURL = %q, want it verbatim", got)
	}
	if got := cfg.PublicEndpoint("oauth2/auth"); got != "https://public.example.com/base/oauth2/auth" {
		t.Errorf("PublicEndpoint = %q", got)
	}
	if got := cfg.AdminAddr(); got != "127.0.0.1:9000" {
		t.Errorf("AdminAddr = %q", got)
	}
	if got := cfg.AdminURL(); got != "http://127.0.0.1:9000/" {
		t.Errorf("AdminURL = %q", got)
	}
}

func TestLiveSwapsSnapshots(t *testing.T) {
	a, b := &Config{DSN: "a"}, &Config{DSN: "b"}
	l := NewLive(a)
	if l.Get() != a {
		t.Fatal("Get does not return the stored snapshot")
	}
	l.Store(b)
	if l.Get() != b {
		t.Fatal("Store did not replace the snapshot")
	}
}

func TestErrorListsEveryProblem(t *testing.T) {
	f := writeFile(t, "bad.yaml", "serve:\n  publc: {}\nstrategies:\n  scope: foo\n")
	_, _, err := Load([]string{f}, []string{"TTL_ACCESS_TOKEN=soon"}, false)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	var keys []string
	for _, p := range e.Problems {
		keys = append(keys, p.Key)
	}
	want := []string{"serve.publc", "strategies.scope", "ttl.access_token"}
	if !slices.Equal(keys, want) {
		t.Errorf("problems for %v, want %v; error:\n%v", keys, want, err)
	}
	if !strings.Contains(err.Error(), "(from env TTL_ACCESS_TOKEN)") || !strings.Contains(err.Error(), "(from file "+f+")") {
		t.Errorf("sources not named:\n%v", err)
	}
}

// TestDevSecretSurvivesRestart: the README's first command must work twice.
// Dev mode keeps the secret it generates beside the SQLite file, because the
// signing keys stored there are sealed with it; memory gets a fresh one.
func TestDevSecretSurvivesRestart(t *testing.T) {
	t.Chdir(t.TempDir())
	first, _ := mustLoad(t, nil, nil, true)
	second, _ := mustLoad(t, nil, nil, true)
	if first.Secrets.System[0] != second.Secrets.System[0] {
		t.Fatal("dev mode made a new secret on the second start; keys sealed on the first would not open")
	}
	info, err := os.Stat("signet.sqlite.dev-secret")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("dev secret file: %v, mode %v; want it private (0600)", err, info)
	}
	mem1, _ := mustLoad(t, nil, []string{"DSN=memory"}, true)
	mem2, _ := mustLoad(t, nil, []string{"DSN=memory"}, true)
	if mem1.Secrets.System[0] == mem2.Secrets.System[0] {
		t.Error("an in-memory database got a repeated dev secret; it needs none kept")
	}
	if err := os.WriteFile("short.sqlite.dev-secret", []byte("tiny"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(nil, []string{"DSN=sqlite://short.sqlite"}, true); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a too-short kept secret: err = %v, want advice to delete the file", err)
	}
}
