package app

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

// certCheckInterval is how often, at most, a handshake looks at the
// certificate files for a renewal. Renewals come weeks ahead of expiry, so
// a few seconds' delay costs nothing, and no handshake reads files more
// often than this.
const certCheckInterval = 5 * time.Second

// serverTLS is a port's TLS configuration: TLS 1.2 or newer with Go's
// default cipher suites (forward secrecy, AEAD only), and the certificate
// from c, so that a renewed certificate is served without a restart.
func serverTLS(c *certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
}

// certificate hands a port's certificate to TLS handshakes. A certificate
// or key given as a path is re-read when a handshake comes at least
// certCheckInterval after the last look; when the files changed and hold a
// valid pair, the new pair is served from then on. A bad new pair (half
// written, key and certificate not matching) is logged and the previous one
// kept. Handshakes never wait: one of them looks, the others use the
// current pair.
type certificate struct {
	port      string // "serve.public.tls", for messages
	cert, key config.TLSSource
	log       *slog.Logger
	now       func() time.Time
	every     time.Duration

	current atomic.Pointer[tls.Certificate]

	mu      sync.Mutex // guards the fields below; held by the one looking
	checked time.Time
	certPEM []byte // what the last look read, loaded or refused
	keyPEM  []byte
	lastErr string // the last reload error, logged once
}

// loadCertificate reads and checks a port's pair; an error here stops the
// start-up, naming the key.
func loadCertificate(port string, t config.PortTLS, log *slog.Logger, now func() time.Time) (*certificate, error) {
	c := &certificate{port: port, cert: t.Cert, key: t.Key, log: log, now: now, every: certCheckInterval}
	certPEM, keyPEM, err := c.read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", port, err)
	}
	pair, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", port, err)
	}
	c.current.Store(pair)
	c.certPEM, c.keyPEM, c.checked = certPEM, keyPEM, now()
	c.logLoaded("TLS certificate loaded", pair)
	return c, nil
}

// get is tls.Config.GetCertificate.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c.cert.Path != "" || c.key.Path != "" {
		c.maybeReload()
	}
	return c.current.Load(), nil
}

func (c *certificate) maybeReload() {
	if !c.mu.TryLock() {
		return // another handshake is looking
	}
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.checked) < c.every {
		return
	}
	c.checked = now
	certPEM, keyPEM, err := c.read()
	if err == nil && bytes.Equal(certPEM, c.certPEM) && bytes.Equal(keyPEM, c.keyPEM) {
		return // unchanged: the common case
	}
	var pair *tls.Certificate
	if err == nil {
		c.certPEM, c.keyPEM = certPEM, keyPEM
		pair, err = parsePair(certPEM, keyPEM)
	}
	if err != nil {
		if msg := err.Error(); msg != c.lastErr {
			c.lastErr = msg
			c.log.Error("TLS certificate not reloaded; the previous one is still served", "config", c.port, "error", msg)
		}
		return
	}
	c.lastErr = ""
	c.current.Store(pair)
	c.logLoaded("TLS certificate reloaded", pair)
}

func (c *certificate) read() (certPEM, keyPEM []byte, err error) {
	if certPEM, err = readSource(c.cert, "cert"); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = readSource(c.key, "key"); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

func readSource(s config.TLSSource, name string) ([]byte, error) {
	if s.Path != "" {
		b, err := os.ReadFile(s.Path)
		if err != nil {
			return nil, fmt.Errorf("reading %s.path: %w", name, err)
		}
		return b, nil
	}
	b, err := config.DecodeTLSBase64(s.Base64)
	if err != nil {
		return nil, fmt.Errorf("%s.base64 %w", name, err)
	}
	return b, nil
}

// parsePair checks that the PEM blocks hold a certificate chain and the
// matching private key. Its errors never quote the key.
func parsePair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the certificate and private key are not a valid PEM pair: %w", err)
	}
	return &pair, nil
}

// logLoaded names what is served, and warns about a certificate that is
// already expired: clients will refuse it.
func (c *certificate) logLoaded(msg string, pair *tls.Certificate) {
	leaf := pair.Leaf
	if leaf == nil {
		return
	}
	c.log.Info(msg, "config", c.port, "subject", leaf.Subject.String(), "dns_names", strings.Join(leaf.DNSNames, ","),
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	if c.now().After(leaf.NotAfter) {
		c.log.Warn("the TLS certificate has expired; clients will refuse it", "config", c.port,
			"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
}

// proxyTerminated is allow_termination_from: the port serves plain HTTP
// because a proxy in front of it terminates TLS, so it accepts a request
// only from one of the proxy networks and only when the proxy says the
// client used HTTPS (X-Forwarded-Proto: https). Anything else, such as a
// client that reached the port directly, is refused before any handler
// runs. Health probes and metrics scrapes come from the platform, not
// through the proxy, and pass.
func proxyTerminated(key string, cidrs []string, exempt map[string]bool, render httpx.Renderer) (func(http.Handler) http.Handler, error) {
	nets := make([]*net.IPNet, 0, len(cidrs))
	for _, s := range cidrs {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%s.allow_termination_from: %q is not a CIDR network", key, s)
		}
		nets = append(nets, n)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil || exempt[r.URL.Path] || (fromNetworks(r.RemoteAddr, nets) && forwardedHTTPS(r)) {
				next.ServeHTTP(w, r)
				return
			}
			render.WriteOAuthError(w, r, httpx.BadRequest(
				"This port accepts plain HTTP only from its TLS-terminating proxy, which must send X-Forwarded-Proto: https; connect through the proxy over HTTPS."))
		})
	}, nil
}

func fromNetworks(remote string, nets []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedHTTPS: the one X-Forwarded-Proto value says https. A repeated
// header is refused: only the proxy may set it, and it sets it once.
func forwardedHTTPS(r *http.Request) bool {
	vs := r.Header.Values("X-Forwarded-Proto")
	return len(vs) == 1 && strings.EqualFold(strings.TrimSpace(vs[0]), "https")
}
