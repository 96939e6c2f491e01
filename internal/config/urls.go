package config

import (
	"net"
	"strconv"
	"strings"
)

// PublicAddr is the public listener's host:port; an empty host listens on
// every interface.
func (c *Config) PublicAddr() string { return listenAddr(c.Serve.Public) }

// AdminAddr is the admin listener's host:port.
func (c *Config) AdminAddr() string { return listenAddr(c.Serve.Admin) }

func listenAddr(l Listener) string {
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// IssuerURL is urls.self.issuer exactly as configured, trailing slash or
// not. Tokens carry it verbatim in "iss" and discovery advertises the same
// string, because OIDC Discovery §4.3 and RFC 8414 §3.3 require the two to be
// identical and relying parties compare them byte for byte. Hydra likewise
// keeps the configured value, so tokens minted after a switch still verify.
func (c *Config) IssuerURL() string { return c.URLs.Self.Issuer }

// PublicURL is the base URL of the public port: urls.self.public if set,
// otherwise the issuer (Hydra's fallback), always ending in "/".
func (c *Config) PublicURL() string {
	if c.URLs.Self.Public != "" {
		return withSlash(c.URLs.Self.Public)
	}
	return withSlash(c.URLs.Self.Issuer)
}

// PublicEndpoint joins path to PublicURL: PublicEndpoint("/oauth2/token").
func (c *Config) PublicEndpoint(path string) string {
	return c.PublicURL() + strings.TrimPrefix(path, "/")
}

// AdminURL is urls.self.admin if set, otherwise derived from the admin
// listener (localhost when it listens on every interface).
func (c *Config) AdminURL() string {
	if c.URLs.Self.Admin != "" {
		return withSlash(c.URLs.Self.Admin)
	}
	host := c.Serve.Admin.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	scheme := "http"
	if c.AdminTLS().Enabled {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(c.Serve.Admin.Port)) + "/"
}

func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}
