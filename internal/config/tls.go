package config

import (
	"encoding/base64"
	"errors"
	"strings"
)

// PortTLS is how one port treats TLS once its own serve.<port>.tls settings
// have fallen back to the shared serve.tls, source by source: a port that
// names only a key and certificate still takes enabled from serve.tls, and
// a port that sets only enabled: false keeps the shared certificate unused.
type PortTLS struct {
	// Enabled: the port serves HTTPS with Cert and Key.
	Enabled   bool
	Cert, Key TLSSource
	// TerminationFrom, when not empty, means a proxy terminates TLS: the
	// port serves plain HTTP and accepts it only from these networks and
	// only with X-Forwarded-Proto: https (Hydra's allow_termination_from).
	TerminationFrom []string
}

// PublicTLS is the TLS setting of the public port.
func (c *Config) PublicTLS() PortTLS { return resolveTLS(c.Serve.Public.TLS, c.Serve.TLS) }

// AdminTLS is the TLS setting of the admin port.
func (c *Config) AdminTLS() PortTLS { return resolveTLS(c.Serve.Admin.TLS, c.Serve.TLS) }

// resolveTLS decides, in order: an explicit enabled: false wins (plain
// HTTP, as Hydra does for an admin port behind its own network); then
// allow_termination_from (plain HTTP from a terminating proxy); then an
// explicit enabled: true or a configured certificate turns HTTPS on. Hydra
// serves plain HTTP when a certificate is set without enabled; Signet reads
// a certificate as the wish for TLS, so a forgotten flag cannot expose
// tokens on the wire.
func resolveTLS(own, shared TLS) PortTLS {
	p := PortTLS{Cert: own.Cert, Key: own.Key, TerminationFrom: own.AllowTerminationFrom}
	if p.Cert == (TLSSource{}) {
		p.Cert = shared.Cert
	}
	if p.Key == (TLSSource{}) {
		p.Key = shared.Key
	}
	if len(p.TerminationFrom) == 0 {
		p.TerminationFrom = shared.AllowTerminationFrom
	}
	enabled := own.Enabled
	if enabled == nil {
		enabled = shared.Enabled
	}
	switch {
	case enabled != nil && !*enabled:
		p.TerminationFrom = nil
	case len(p.TerminationFrom) > 0:
	case enabled != nil:
		p.Enabled = true
	default:
		p.Enabled = p.Cert != (TLSSource{}) || p.Key != (TLSSource{})
	}
	return p
}

// DecodeTLSBase64 decodes a cert.base64 or key.base64 value: the PEM text,
// base64-encoded (padded or not; line breaks, as from `base64` without -w0,
// are ignored).
func DecodeTLSBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, errors.New("is empty")
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("is not valid base64 (encode the PEM file, e.g. base64 -w0 cert.pem)")
	}
	return b, nil
}

// tlsProblems checks the three tls blocks on their own (a source is a path
// or base64, not both; base64 decodes) and each port's resolved setting
// (HTTPS needs both a certificate and a key). Whether the files exist and
// hold a matching pair is checked when the listener starts.
func tlsProblems(c *Config) []Problem {
	var ps []Problem
	for _, b := range []struct {
		key string
		t   TLS
	}{{"serve.tls", c.Serve.TLS}, {"serve.public.tls", c.Serve.Public.TLS}, {"serve.admin.tls", c.Serve.Admin.TLS}} {
		for _, s := range []struct {
			name string
			src  TLSSource
		}{{"cert", b.t.Cert}, {"key", b.t.Key}} {
			key := b.key + "." + s.name
			if s.src.Path != "" && s.src.Base64 != "" {
				ps = append(ps, Problem{Key: key, Msg: "set path or base64, not both"})
			}
			if s.src.Base64 != "" {
				if _, err := DecodeTLSBase64(s.src.Base64); err != nil {
					ps = append(ps, Problem{Key: key + ".base64", Msg: err.Error()})
				}
			}
		}
	}
	for _, port := range []struct {
		name string
		l    Listener
		t    PortTLS
	}{{"public", c.Serve.Public, c.PublicTLS()}, {"admin", c.Serve.Admin, c.AdminTLS()}} {
		if !port.t.Enabled || IsUnixHost(port.l.Host) {
			continue
		}
		if port.t.Cert == (TLSSource{}) || port.t.Key == (TLSSource{}) {
			ps = append(ps, Problem{Key: "serve." + port.name + ".tls", Msg: "TLS is enabled but the certificate or the private key is missing: " +
				"set cert and key (path or base64) under serve." + port.name + ".tls or serve.tls; " +
				"Signet does not generate a self-signed certificate"})
		}
	}
	return ps
}
