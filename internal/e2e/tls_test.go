package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/certtest"
)

// TLS termination by Signet (docs/tls-cors.md): per-port certificates from
// files or base64, renewed certificates served without a restart, bad ones
// refused at start-up; plain HTTP behind a TLS-terminating proxy; and Unix
// socket listeners.

// servedName dials addr with a new TLS connection (no session reuse) and
// returns the common name of the certificate the server presented.
func servedName(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // we only read the name
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func hostOf(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Host
}

func TestTLSServingAndCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first, renewed := certtest.New(t, "first"), certtest.New(t, "renewed")
	first.Install(t, certPath, keyPath)
	clk := newClock()
	srv := signettest.Start(t, signettest.WithEnv(
		"SERVE_PUBLIC_TLS_CERT_PATH="+certPath, "SERVE_PUBLIC_TLS_KEY_PATH="+keyPath),
		signettest.WithAppOptions(app.WithClock(clk.Now)))
	public := "https://" + hostOf(srv.PublicURL)

	resp, err := httpsClient(first.Pool()).Get(public + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("HTTPS discovery: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("status %d, TLS version %#x", resp.StatusCode, resp.TLS.Version)
	}
	// Only the public port has a certificate: the admin API stays plain.
	newMachineClient(t, srv, nil)

	renewed.Install(t, certPath, keyPath)
	clk.Advance(time.Minute) // past the check interval
	// The first handshake after the interval reads the files; bounded,
	// in case a handshake is already looking when ours arrives.
	got := ""
	for range 50 {
		if got = servedName(t, hostOf(srv.PublicURL)); got == "renewed" {
			break
		}
	}
	if got != "renewed" {
		t.Fatalf("after renewal the server presents %q", got)
	}
	resp, err = httpsClient(renewed.Pool()).Get(public + "/health/ready")
	if err != nil {
		t.Fatalf("a client trusting only the renewed certificate: %v", err)
	}
	resp.Body.Close()
}

// Base64 certificates under serve.tls serve both ports; the admin API works
// over HTTPS with the Hydra SDK.
func TestTLSBase64SharedCertificate(t *testing.T) {
	pair := certtest.New(t, "shared")
	b64 := base64.StdEncoding.EncodeToString
	srv := signettest.Start(t, signettest.WithEnv(
		"SERVE_TLS_CERT_BASE64="+b64(pair.CertPEM), "SERVE_TLS_KEY_BASE64="+b64(pair.KeyPEM)))
	for _, u := range []string{srv.PublicURL, srv.AdminURL} {
		if got := servedName(t, hostOf(u)); got != "shared" {
			t.Errorf("%s presents %q", u, got)
		}
	}
	cfg := hydra.NewConfiguration()
	cfg.Servers = hydra.ServerConfigurations{{URL: "https://" + hostOf(srv.AdminURL)}}
	cfg.HTTPClient = httpsClient(pair.Pool())
	admin := hydra.NewAPIClient(cfg)
	c := hydra.NewOAuth2Client()
	c.SetGrantTypes([]string{"client_credentials"})
	if _, _, err := admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute(); err != nil {
		t.Fatalf("admin API over HTTPS: %v", sdkErr(err))
	}
}

// loadApp builds Signet from environment variables as `signet serve` does.
func loadApp(t *testing.T, env ...string) *app.App {
	t.Helper()
	env = append([]string{"DSN=memory", "SECRETS_SYSTEM=e2e-edge-system-secret-0123456789",
		"URLS_SELF_ISSUER=http://127.0.0.1:4444/", "OAUTH2_HASHERS_PBKDF2_ITERATIONS=1000"}, env...)
	cfg, _, err := config.Load(nil, env, true)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), app.WithRSABits(2048),
		app.WithKeyPollInterval(time.Hour))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// A certificate that cannot be served stops the start-up with a message
// naming the key, before anything listens.
func TestTLSBadCertificateRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	good, other := certtest.New(t, "good"), certtest.New(t, "other")
	certPath, otherKey := filepath.Join(dir, "c.pem"), filepath.Join(dir, "other.key")
	for p, data := range map[string][]byte{certPath: good.CertPEM, otherKey: other.KeyPEM} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"missing file", []string{"SERVE_PUBLIC_TLS_CERT_PATH=" + filepath.Join(dir, "nope.pem"), "SERVE_PUBLIC_TLS_KEY_PATH=" + otherKey},
			"serve.public.tls: reading cert.path"},
		{"key of another certificate", []string{"SERVE_PUBLIC_TLS_CERT_PATH=" + certPath, "SERVE_PUBLIC_TLS_KEY_PATH=" + otherKey},
			"serve.public.tls: the certificate and private key are not a valid PEM pair"},
		{"base64 that is no certificate", []string{"SERVE_TLS_CERT_BASE64=" + base64.StdEncoding.EncodeToString([]byte("junk")),
			"SERVE_TLS_KEY_BASE64=" + base64.StdEncoding.EncodeToString(other.KeyPEM)}, "not a valid PEM pair"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := loadApp(t, tc.env...)
			// Certificates are loaded before anything listens.
			err := a.ListenAndServe(context.Background(), app.Serving{Public: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestTLSTerminatedByProxy: with allow_termination_from the port serves
// plain HTTP, but only to the proxy's networks and only for requests the
// proxy received over HTTPS.
func TestTLSTerminatedByProxy(t *testing.T) {
	cases := []struct {
		name, networks, proto string
		want                  int
	}{
		{"proxy forwarding https", "127.0.0.0/8", "https", http.StatusOK},
		{"proxy forwarding http", "127.0.0.0/8", "http", http.StatusBadRequest},
		{"no X-Forwarded-Proto", "127.0.0.0/8", "", http.StatusBadRequest},
		{"client outside the proxy networks", "10.0.0.0/8", "https", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := signettest.Start(t, signettest.WithEnv("SERVE_PUBLIC_TLS_ALLOW_TERMINATION_FROM="+tc.networks))
			h := http.Header{}
			if tc.proto != "" {
				h.Set("X-Forwarded-Proto", tc.proto)
			}
			r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/openid-configuration", "", nil, h)
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			if tc.want != http.StatusOK && decodeOAuthError(t, r).Error != "invalid_request" {
				t.Errorf("body %s", r.Body)
			}
			// Probes come from the platform, not through the proxy.
			if p := send(t, http.MethodGet, srv.PublicURL+"/health/alive", "", nil, nil); p.Status != http.StatusOK {
				t.Errorf("health probe: status %d", p.Status)
			}
		})
	}
}

// unixHTTP is an HTTP client for a Unix socket, whatever the URL's host.
func unixHTTP(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

// TestUnixSockets: unix: hosts serve both APIs on sockets with the
// configured mode, replace a stale socket, and leave nothing behind.
func TestUnixSockets(t *testing.T) {
	dir, err := os.MkdirTemp("", "sig") // socket paths must stay short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	pubPath, admPath := filepath.Join(dir, "public.sock"), filepath.Join(dir, "admin.sock")
	stale, err := net.Listen("unix", pubPath)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close() // a crashed run's leftover

	a := loadApp(t, "SERVE_PUBLIC_HOST=unix:"+pubPath, "SERVE_ADMIN_HOST=unix:"+admPath,
		"SERVE_PUBLIC_SOCKET_MODE=438", "SERVE_ADMIN_SOCKET_MODE=384") // 0666, 0600
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ListenAndServe(ctx, app.Serving{Public: true, Admin: true}) }()

	public, admin := unixHTTP(pubPath), unixHTTP(admPath)
	waitServing(t, admin, done)

	for path, want := range map[string]fs.FileMode{pubPath: 0o666, admPath: 0o600} {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != want {
			t.Errorf("%s: %v mode %v, want a socket with %v", path, err, fi.Mode(), want)
		}
	}
	cfg := hydra.NewConfiguration()
	cfg.Servers = hydra.ServerConfigurations{{URL: "http://signet-admin"}}
	cfg.HTTPClient = admin
	in := hydra.NewOAuth2Client()
	in.SetGrantTypes([]string{"client_credentials"})
	out, _, err := hydra.NewAPIClient(cfg).OAuth2API.CreateOAuth2Client(ctx).OAuth2Client(*in).Execute()
	if err != nil {
		t.Fatalf("admin API over the socket: %v", sdkErr(err))
	}
	req, _ := http.NewRequest(http.MethodPost, "http://signet/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(out.GetClientId()), url.QueryEscape(out.GetClientSecret()))
	resp, err := public.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "access_token") {
		t.Fatalf("token over the socket: %d %s", resp.StatusCode, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, p := range []string{pubPath, admPath} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind after shutdown: %v", p, err)
		}
	}
}

// waitServing polls the socket in a bounded loop until the server answers
// (ListenAndServe gives no signal of its own), failing early if it exits.
func waitServing(t *testing.T, c *http.Client, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("ListenAndServe returned: %v", err)
		default:
		}
		if resp, err := c.Get("http://signet/health/alive"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the socket never answered")
}
