package config

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Each changed key is either applied or kept at its old value and named as
// needing a restart; nothing else changes and the inputs are not modified.
func TestMergeAppliesOnlyReloadableKeys(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		key    string
		change func(*Config)
		reload bool
	}{
		{"log.level", func(c *Config) { c.Log.Level = "debug" }, true},
		{"ttl.access_token", func(c *Config) { c.TTL.AccessToken = 2 * time.Minute }, true},
		{"ttl.authentication_session", func(c *Config) { c.TTL.AuthenticationSession = time.Hour }, true},
		{"urls.login", func(c *Config) { c.URLs.Login = "https://login.example.com/v2" }, true},
		{"serve.public.cors.allowed_origins", func(c *Config) { c.Serve.Public.CORS.AllowedOrigins = []string{"https://spa.example.com"} }, true},
		{"serve.admin.cors.enabled", func(c *Config) { c.Serve.Admin.CORS.Enabled = true }, true},
		{"serve.public.request_log.disable_for_health", func(c *Config) { c.Serve.Public.RequestLog.DisableForHealth = true }, false},
		{"urls.error", func(c *Config) { c.URLs.Error = "https://login.example.com/error" }, true},
		{"strategies.access_token", func(c *Config) { c.Strategies.AccessToken = "jwt" }, true},
		{"oauth2.pkce.enforced", func(c *Config) { c.OAuth2.PKCE.Enforced = true }, true},
		{"oauth2.token_hook.url", func(c *Config) { c.OAuth2.TokenHook.URL = "https://hook.example.com" }, true},
		{"oauth2.grant.refresh_token.rotation_grace_period", func(c *Config) { c.OAuth2.Grant.RefreshToken.RotationGracePeriod = time.Second }, true},
		{"clients.declared", func(c *Config) { c.Clients.Declared = []DeclaredClient{{SecretEnv: "X"}} }, true},
		{"dsn", func(c *Config) { c.DSN = "postgres://u:hunter2@db/signet" }, false},
		{"log.format", func(c *Config) { c.Log.Format = "json" }, false},
		{"secrets.system", func(c *Config) { c.Secrets.System = []string{"another-secret-0123456789"} }, false},
		{"urls.self.issuer", func(c *Config) { c.URLs.Self.Issuer = "https://other.example.com/" }, false},
		{"serve.public.port", func(c *Config) { c.Serve.Public.Port = 8080 }, false},
		{"serve.admin.tls.enabled", func(c *Config) { c.Serve.Admin.TLS.Enabled = &yes }, false},
		{"serve.cookies.same_site_mode", func(c *Config) { c.Serve.Cookies.SameSiteMode = "Strict" }, false},
		{"ttl.login_consent_request", func(c *Config) { c.TTL.LoginConsentRequest = time.Hour }, false},
		{"oauth2.hashers.algorithm", func(c *Config) { c.OAuth2.Hashers.Algorithm = "bcrypt" }, false},
		{"oidc.subject_identifiers.pairwise.salt", func(c *Config) { c.OIDC.SubjectIdentifiers.Pairwise.Salt = "pepper" }, false},
		{"clients.http.disallow_private_ip_ranges", func(c *Config) { c.Clients.HTTP.DisallowPrivateIPRanges = true }, false},
		{"sqa", func(c *Config) { c.SQA.Other = map[string]any{"x": 1} }, false}, // a ",remain" field
		{"dev_identity.password", func(c *Config) { c.DevIdentity.Password = "pw" }, false},
	} {
		t.Run(tc.key, func(t *testing.T) {
			old, _ := mustLoad(t, nil, baseEnv(), false)
			next, _ := mustLoad(t, nil, baseEnv(), false)
			tc.change(next)
			before := *next
			merged, d := Merge(old, next)
			want := Diff{Restart: []string{tc.key}}
			if tc.reload {
				want = Diff{Applied: []string{tc.key}}
			}
			if !slices.Equal(d.Applied, want.Applied) || !slices.Equal(d.Restart, want.Restart) {
				t.Fatalf("diff = %+v, want %+v", d, want)
			}
			expect := old
			if tc.reload {
				expect = next
			}
			if a, b := *merged, *expect; !equalConfig(&a, &b) {
				t.Errorf("merged snapshot differs from the %s one", map[bool]string{true: "new", false: "old"}[tc.reload])
			}
			if !equalConfig(next, &before) {
				t.Error("Merge modified its input")
			}
		})
	}
}

func equalConfig(a, b *Config) bool {
	_, d := Merge(a, b)
	return len(d.Applied) == 0 && len(d.Restart) == 0
}

// A typo in the reloadable list would silently make a key restart-only.
func TestReloadableKeysExist(t *testing.T) {
	s := NewSchema(DefaultKeys())
	for _, k := range reloadableKeys() {
		if _, ok := s.Lookup(k); !ok && !s.interior[k] {
			t.Errorf("reloadable key %q is neither a key nor a section", k)
		}
	}
}

// reloadHarness is a Reloader over a real file with the real loader and a
// fake Apply that merges into a held snapshot, as the app does.
type reloadHarness struct {
	r       *Reloader
	live    *Live
	file    string
	logs    *bytes.Buffer
	results chan error
}

func newReloadHarness(t *testing.T, body string) *reloadHarness {
	t.Helper()
	dir := t.TempDir()
	h := &reloadHarness{file: filepath.Join(dir, "signet.yaml"), logs: &bytes.Buffer{}, results: make(chan error, 10)}
	h.write(t, body)
	cfg, warnings := mustLoad(t, []string{h.file}, baseEnv(), false)
	h.live = NewLive(cfg)
	level := new(slog.LevelVar)
	level.Set(cfg.Log.SlogLevel())
	h.r = &Reloader{
		Files: []string{h.file},
		Load:  func() (*Config, []string, error) { return Load([]string{h.file}, baseEnv(), false) },
		Apply: func(next *Config) (Diff, error) {
			merged, d := Merge(h.live.Get(), next)
			h.live.Store(merged)
			return d, nil
		},
		Level:    level,
		Log:      slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: level})),
		Debounce: 5 * time.Millisecond,
		Reloaded: func(_ Diff, err error) { h.results <- err },
	}
	h.r.Loaded(warnings)
	return h
}

// write replaces the file the way editors and deploy tools do: a new file
// renamed over the old one.
func (h *reloadHarness) write(t *testing.T, body string) {
	t.Helper()
	tmp := h.file + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, h.file); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next reload; the bound only turns a hang into a
// failure.
func (h *reloadHarness) next(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.results:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("no reload within 10s of changing the file; log:\n%s", h.logs)
		return nil
	}
}

func (h *reloadHarness) watch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.r.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
}

// The watcher picks up a changed file: new TTL and log level in effect, a
// changed dsn kept and named (never shown), an invalid file ignored.
func TestWatchReloadsChangedFile(t *testing.T) {
	h := newReloadHarness(t, "ttl:\n  access_token: 1h\nlog:\n  level: info\n")
	h.watch(t)

	h.write(t, "ttl:\n  access_token: 2m\nlog:\n  level: debug\n")
	if err := h.next(t); err != nil {
		t.Fatalf("reload: %v", err)
	}
	cfg := h.live.Get()
	if cfg.TTL.AccessToken != 2*time.Minute || cfg.Log.Level != "debug" || h.r.Level.Level() != slog.LevelDebug {
		t.Fatalf("after reload: ttl %s, log.level %q, slog level %s", cfg.TTL.AccessToken, cfg.Log.Level, h.r.Level.Level())
	}
	if !strings.Contains(h.logs.String(), "changed=log.level,ttl.access_token") {
		t.Errorf("the reload did not log what it changed:\n%s", h.logs)
	}

	h.write(t, "ttl:\n  access_token: 2m\nlog:\n  level: debug\ndsn: postgres://u:hunter2@db/signet\n")
	if err := h.next(t); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := h.live.Get().DSN; got != DefaultDSN {
		t.Errorf("dsn changed at runtime to %q", got)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "needs a restart") || !strings.Contains(logs, "key=dsn") || strings.Contains(logs, "hunter2") {
		t.Errorf("want a restart warning naming dsn without its value:\n%s", logs)
	}

	h.write(t, "ttl:\n  access_token: -5m\n")
	var e *Error
	if err := h.next(t); !errors.As(err, &e) {
		t.Fatalf("reload of an invalid file: %v, want a configuration error", err)
	}
	if got := h.live.Get().TTL.AccessToken; got != 2*time.Minute {
		t.Errorf("an invalid file changed ttl.access_token to %s", got)
	}
	if !strings.Contains(h.logs.String(), "configuration reload failed") {
		t.Errorf("the failed reload was not logged:\n%s", h.logs)
	}
}

// Kubernetes mounts a ConfigMap key as a symlink into a directory that is
// swapped atomically; the file itself never sees a write event.
func TestWatchFollowsSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"v1", "v2"} {
		if err := os.Mkdir(filepath.Join(dir, v), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	body := map[string]string{"v1": "ttl:\n  id_token: 1h\n", "v2": "ttl:\n  id_token: 5m\n"}
	for v, b := range body {
		if err := os.WriteFile(filepath.Join(dir, v, "signet.yaml"), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("v1", filepath.Join(dir, "..data")))
	must(os.Symlink(filepath.Join("..data", "signet.yaml"), filepath.Join(dir, "signet.yaml")))

	h := &reloadHarness{file: filepath.Join(dir, "signet.yaml"), logs: &bytes.Buffer{}, results: make(chan error, 10)}
	cfg, _ := mustLoad(t, []string{h.file}, baseEnv(), false)
	h.live = NewLive(cfg)
	h.r = &Reloader{Files: []string{h.file},
		Load: func() (*Config, []string, error) { return Load([]string{h.file}, baseEnv(), false) },
		Apply: func(next *Config) (Diff, error) {
			merged, d := Merge(h.live.Get(), next)
			h.live.Store(merged)
			return d, nil
		},
		Log: slog.New(slog.NewTextHandler(h.logs, nil)), Debounce: 5 * time.Millisecond,
		Reloaded: func(_ Diff, err error) { h.results <- err }}
	h.r.Loaded(nil)
	h.watch(t)

	must(os.Symlink("v2", filepath.Join(dir, "..data_tmp")))
	must(os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	if err := h.next(t); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := h.live.Get().TTL.IDToken; got != 5*time.Minute {
		t.Errorf("ttl.id_token = %s after the swap, want 5m", got)
	}
}

// A load failure leaves Apply uncalled; an Apply failure is logged too.
func TestReloadFailuresChangeNothing(t *testing.T) {
	var logs bytes.Buffer
	applied := 0
	r := &Reloader{
		Load: func() (*Config, []string, error) {
			return nil, nil, &Error{Problems: []Problem{{Key: "ttl.access_token", Msg: "bad"}}}
		},
		Apply: func(*Config) (Diff, error) { applied++; return Diff{}, nil },
		Log:   slog.New(slog.NewTextHandler(&logs, nil)),
	}
	if _, err := r.Reload(); err == nil || applied != 0 {
		t.Fatalf("Reload = %v with Apply called %d times; want the load error and no Apply", err, applied)
	}
	r.Load = func() (*Config, []string, error) { return &Config{}, nil, nil }
	r.Apply = func(*Config) (Diff, error) { return Diff{}, errors.New("declared client invalid") }
	if _, err := r.Reload(); err == nil {
		t.Fatal("an Apply failure was not returned")
	}
	if n := strings.Count(logs.String(), "configuration reload failed"); n != 2 {
		t.Errorf("logged %d failures, want 2:\n%s", n, logs.String())
	}
}
