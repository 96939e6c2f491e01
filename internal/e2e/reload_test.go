package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/cli"
	"github.com/signet-oidc/signet/internal/config"
)

// startServe runs `signet args...` in-process like startCLI, with environ
// as its whole environment.
func startServe(t *testing.T, environ []string, args ...string) *cliRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &cliRun{grew: make(chan struct{}, 1), cancel: cancel, exited: make(chan struct{})}
	getenv := func(name string) string {
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v
			}
		}
		return ""
	}
	go func() {
		defer close(r.exited)
		r.code = cli.Main(ctx, args, cli.Env{Getenv: getenv, Environ: func() []string { return environ },
			Stdin: strings.NewReader(""), Stdout: &r.stdout, Stderr: notifyWriter{&r.stderr, r.grew}})
	}()
	t.Cleanup(func() { cancel(); <-r.exited })
	return r
}

// reloadConfig is the test's configuration file, rewritten the way deploy
// tools do it (a new file renamed over the old), so each version is read
// whole.
type reloadConfig struct {
	path, base string
}

func (c reloadConfig) write(t *testing.T, extra string) {
	t.Helper()
	tmp := c.path + ".new"
	if err := os.WriteFile(tmp, []byte(c.base+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		t.Fatal(err)
	}
}

// seedKeys creates the SQLite database (app.New migrates SQLite) and its
// signing keys, with 2048-bit RSA, so that the server under test starts
// without generating 4096-bit ones.
func seedKeys(t *testing.T, dsn, systemSecret string) {
	t.Helper()
	cfg, _, err := config.Load(nil, []string{"DSN=" + dsn, "SECRETS_SYSTEM=" + systemSecret,
		"URLS_SELF_ISSUER=https://seed.example.com/"}, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), app.WithRSABits(2048))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestConfigReload: `signet serve all -c file` picks up a changed file
// while it serves: a new access token lifetime on the next token, a new log
// level on the next request, a declared client added; a changed dsn is
// refused with a warning and the server keeps its database; an invalid
// file changes nothing.
func TestConfigReload(t *testing.T) {
	t.Parallel()
	pub, adm := freePort(t), freePort(t)
	dir := t.TempDir()
	dsn := "dsn: sqlite://" + filepath.Join(dir, "signet.sqlite") + "\n"
	seedKeys(t, "sqlite://"+filepath.Join(dir, "signet.sqlite"), "reload-test-system-secret-0123456789")
	cfg := reloadConfig{path: filepath.Join(dir, "signet.yaml"), base: `
secrets:
  system: ["reload-test-system-secret-0123456789"]
urls:
  self:
    issuer: http://127.0.0.1:` + pub + `/
serve:
  public: {host: 127.0.0.1, port: ` + pub + `}
  admin: {host: 127.0.0.1, port: ` + adm + `}
oauth2:
  hashers:
    pbkdf2: {iterations: 1000}
`}
	const svc = `
clients:
  declared:
    - client_id: svc
      grant_types: [client_credentials]
      client_secret_env: SVC_SECRET
`
	cfg.write(t, dsn+"ttl: {access_token: 1h}\nlog: {level: info}\n"+svc)
	run := startServe(t, []string{"SVC_SECRET=svc-secret-0123456789"}, "serve", "all", "--dev", "-c", cfg.path)
	run.waitLine(t, "the admin listener", func(l string) bool { return strings.Contains(l, "listening") && strings.Contains(l, "api=admin") })
	run.waitLine(t, "the public listener", func(l string) bool { return strings.Contains(l, "listening") && strings.Contains(l, "api=public") })
	publicURL := "http://127.0.0.1:" + pub

	lifetime := func(id, secret string) int {
		t.Helper()
		r := postForm(t, publicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, &[2]string{id, secret})
		var tok struct {
			ExpiresIn int `json:"expires_in"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil {
			t.Fatalf("token for %s: %d %s", id, r.Status, r.Body)
		}
		return tok.ExpiresIn
	}
	// unknownClient sends a refused token request, which the server notes
	// at debug level, and waits for its access log line.
	unknownClient := func(requestID string) {
		t.Helper()
		h := http.Header{"X-Request-Id": {requestID}}
		req, _ := http.NewRequest(http.MethodPost, "", nil)
		req.SetBasicAuth("nobody", "wrong-secret")
		h.Set("Authorization", req.Header.Get("Authorization"))
		send(t, http.MethodPost, publicURL+"/oauth2/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=client_credentials"), h)
		run.waitLine(t, "the access log line of "+requestID, func(l string) bool {
			return strings.Contains(l, "msg=request") && strings.Contains(l, "request_id="+requestID)
		})
	}

	if got := lifetime("svc", "svc-secret-0123456789"); got != 3600 {
		t.Fatalf("expires_in %d at start, want 3600", got)
	}
	unknownClient("before-reload")
	if strings.Contains(run.stderr.String(), "request refused") {
		t.Fatal("a debug line was logged at log.level info")
	}

	cfg.write(t, dsn+`ttl: {access_token: 2m}
log: {level: debug}
clients:
  declared:
    - client_id: svc
      grant_types: [client_credentials]
      client_secret_env: SVC_SECRET
    - client_id: svc2
      grant_types: [client_credentials]
      client_secret_env: SVC_SECRET
`)
	run.waitLine(t, "the reload", func(l string) bool {
		return strings.Contains(l, "configuration reloaded") && strings.Contains(l, "changed=clients.declared,log.level,ttl.access_token")
	})
	if got := lifetime("svc", "svc-secret-0123456789"); got != 120 {
		t.Errorf("expires_in %d after the reload, want 120", got)
	}
	if got := lifetime("svc2", "svc-secret-0123456789"); got != 120 {
		t.Errorf("the client declared by the reload: expires_in %d, want 120", got)
	}
	unknownClient("after-reload")
	run.waitLine(t, "a debug line after log.level became debug", func(l string) bool {
		return strings.Contains(l, "request refused") && strings.Contains(l, "request_id=after-reload")
	})

	cfg.write(t, "ttl: {access_token: 2m}\nlog: {level: debug}\ndsn: sqlite://"+filepath.Join(t.TempDir(), "other.sqlite")+"\n"+svc)
	run.waitLine(t, "the restart warning for dsn", func(l string) bool {
		return strings.Contains(l, "needs a restart") && strings.Contains(l, "key=dsn")
	})
	if got := lifetime("svc", "svc-secret-0123456789"); got != 120 {
		t.Errorf("after the refused dsn change: expires_in %d, want 120 from the same database", got)
	}
	if strings.Contains(run.stderr.String(), "other.sqlite") {
		t.Error("the log shows the new dsn")
	}

	cfg.write(t, dsn+"ttl: {access_token: soon}\n"+svc)
	run.waitLine(t, "the failed reload", func(l string) bool { return strings.Contains(l, "configuration reload failed") })
	if got := lifetime("svc", "svc-secret-0123456789"); got != 120 {
		t.Errorf("after an invalid file: expires_in %d, want 120", got)
	}
}
