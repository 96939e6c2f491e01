package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/signettest/certtest"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func served(t *testing.T, c *certificate) string {
	t.Helper()
	got, err := c.get(&tls.ClientHelloInfo{})
	if err != nil || got == nil || got.Leaf == nil {
		t.Fatalf("get: %v, %v", got, err)
	}
	return got.Leaf.Subject.CommonName
}

// TestCertificateReload: a renewed certificate is served from the first
// handshake after the check interval, with no restart; a broken renewal is
// logged once and the previous certificate stays.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first, second, third := certtest.New(t, "first"), certtest.New(t, "second"), certtest.New(t, "third")
	first.Install(t, certPath, keyPath)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	clock := &fakeClock{t: time.Now()}
	c, err := loadCertificate("serve.public.tls", config.PortTLS{Enabled: true,
		Cert: config.TLSSource{Path: certPath}, Key: config.TLSSource{Path: keyPath}}, log, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	if got := served(t, c); got != "first" {
		t.Fatalf("served %q", got)
	}

	second.Install(t, certPath, keyPath)
	if got := served(t, c); got != "first" {
		t.Fatalf("files read again before the interval: served %q", got)
	}
	clock.advance(certCheckInterval)
	if got := served(t, c); got != "second" {
		t.Fatalf("after the interval: served %q, want the renewed certificate", got)
	}

	// A renewal that went wrong: the new certificate with the old key.
	if err := os.WriteFile(certPath, third.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		clock.advance(certCheckInterval)
		if got := served(t, c); got != "second" {
			t.Fatalf("a mismatched pair replaced the certificate: served %q", got)
		}
	}
	if n := strings.Count(logs.String(), "TLS certificate not reloaded"); n != 1 {
		t.Errorf("the broken renewal was logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Error("the log quotes the private key")
	}

	third.Install(t, certPath, keyPath) // the operator fixes it
	clock.advance(certCheckInterval)
	if got := served(t, c); got != "third" {
		t.Fatalf("after the fix: served %q", got)
	}
}

// Handshakes racing a renewal see either pair, whole (run with -race).
func TestCertificateReloadConcurrent(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	a, b := certtest.New(t, "a"), certtest.New(t, "b")
	a.Install(t, certPath, keyPath)
	c, err := loadCertificate("serve.tls", config.PortTLS{Enabled: true,
		Cert: config.TLSSource{Path: certPath}, Key: config.TLSSource{Path: keyPath}},
		slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	c.every = 0 // look on every handshake
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, _ := c.get(&tls.ClientHelloInfo{})
				if cn := got.Leaf.Subject.CommonName; cn != "a" && cn != "b" {
					t.Errorf("served %q", cn)
				}
			}
		})
	}
	b.Install(t, certPath, keyPath)
	wg.Wait()
}

func TestLoadCertificateRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	good, other := certtest.New(t, "good"), certtest.New(t, "other")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPath, keyPath := write("c.pem", good.CertPEM), write("k.pem", good.KeyPEM)
	otherKey := write("other.key", other.KeyPEM)
	garbage := write("garbage.pem", []byte("not a certificate"))
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	cases := []struct {
		name      string
		cert, key config.TLSSource
		want      string // "" = loads
	}{
		{"files", config.TLSSource{Path: certPath}, config.TLSSource{Path: keyPath}, ""},
		{"base64", config.TLSSource{Base64: b64(good.CertPEM)}, config.TLSSource{Base64: b64(good.KeyPEM)}, ""},
		{"mixed", config.TLSSource{Path: certPath}, config.TLSSource{Base64: b64(good.KeyPEM)}, ""},
		{"missing file", config.TLSSource{Path: filepath.Join(dir, "nope.pem")}, config.TLSSource{Path: keyPath}, "reading cert.path"},
		{"not PEM", config.TLSSource{Path: garbage}, config.TLSSource{Path: keyPath}, "not a valid PEM pair"},
		{"key of another certificate", config.TLSSource{Path: certPath}, config.TLSSource{Path: otherKey}, "not a valid PEM pair"},
		{"base64 of garbage", config.TLSSource{Base64: b64([]byte("junk"))}, config.TLSSource{Path: keyPath}, "not a valid PEM pair"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadCertificate("serve.admin.tls", config.PortTLS{Enabled: true, Cert: tc.cert, Key: tc.key},
				slog.New(slog.DiscardHandler), time.Now)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "serve.admin.tls: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming serve.admin.tls and saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatal("the error quotes the key")
			}
		})
	}
}

// TestServeHTTPS: a port with a certificate serves HTTPS (TLS 1.2 or newer
// only), the admin port beside it plain HTTP.
func TestServeHTTPS(t *testing.T) {
	pair := certtest.New(t, "signet")
	b64 := base64.StdEncoding.EncodeToString
	cfg := &config.Config{}
	cfg.Serve.Public.TLS = config.TLS{Cert: config.TLSSource{Base64: b64(pair.CertPEM)}, Key: config.TLSSource{Base64: b64(pair.KeyPEM)}}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
	a := &App{cfg: config.NewLive(cfg), log: slog.New(slog.DiscardHandler), public: hello, admin: hello}
	pub, adm := tcpListener(t), tcpListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, pub, adm) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AddCert(pair.Cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := client.Get("https://" + pub.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("body %q, TLS %+v", body, resp.TLS)
	}
	// Go's TLS server answers a plain request with a bare 400.
	if resp, err := http.Get("http://" + pub.Addr().String() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the HTTPS port: status %d", resp.StatusCode)
		}
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + pub.Addr().String() + "/"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	resp, err = http.Get("http://" + adm.Addr().String() + "/")
	if err != nil {
		t.Fatalf("admin port without TLS: %v", err)
	}
	resp.Body.Close()
}

func tcpListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestProxyTerminated: with allow_termination_from, plain HTTP is accepted
// only from the proxy's networks and only when it forwarded HTTPS.
func TestProxyTerminated(t *testing.T) {
	mw, err := proxyTerminated("serve.public.tls", []string{"10.0.0.0/8", "fd00::/8"},
		map[string]bool{"/health/ready": true}, httpx.Renderer{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	cases := []struct {
		name, remote, path string
		proto              []string
		ok                 bool
	}{
		{"proxy forwarding https", "10.1.2.3:5555", "/oauth2/token", []string{"https"}, true},
		{"IPv6 proxy", "[fd00::1]:5555", "/oauth2/token", []string{"HTTPS"}, true},
		{"proxy forwarding http", "10.1.2.3:5555", "/oauth2/token", []string{"http"}, false},
		{"proxy without the header", "10.1.2.3:5555", "/oauth2/token", nil, false},
		{"header repeated", "10.1.2.3:5555", "/oauth2/token", []string{"https", "https"}, false},
		{"direct client claiming https", "203.0.113.9:5555", "/oauth2/token", []string{"https"}, false},
		{"health probe from the platform", "192.168.0.7:5555", "/health/ready", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			r.RemoteAddr = tc.remote
			for _, p := range tc.proto {
				r.Header.Add("X-Forwarded-Proto", p)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tc.ok != (w.Code == http.StatusOK) {
				t.Fatalf("status %d body %s", w.Code, w.Body)
			}
			if !tc.ok && !strings.Contains(w.Body.String(), `"error":"invalid_request"`) {
				t.Errorf("refusal body %s", w.Body)
			}
		})
	}
	if _, err := proxyTerminated("serve.tls", []string{"10.0.0.0"}, nil, httpx.Renderer{}); err == nil {
		t.Error("a bad network was accepted")
	}
}
