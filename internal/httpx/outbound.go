package httpx

// Outbound HTTP: calls Signet makes to URLs that clients registered
// (back-channel logout now; jwks_uri and request_uri later). Those URLs are
// chosen by whoever can register a client, so with
// clients.http.disallow_private_ip_ranges the dialer refuses internal
// addresses. The check runs in net.Dialer.Control, on the address actually
// being connected to after DNS resolution, so a name that resolves (or
// rebinds) to 127.0.0.1 is refused just like a literal 127.0.0.1.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned (wrapped) when the outbound client refuses
// to connect to an internal address.
var ErrPrivateAddress = errors.New("httpx: refusing to connect to a private, loopback or otherwise internal address")

// DefaultOutboundTimeout bounds a whole outbound request when
// OutboundOptions.Timeout is zero.
const DefaultOutboundTimeout = 10 * time.Second

// OutboundOptions configures NewOutboundClient.
type OutboundOptions struct {
	// Timeout bounds each request end to end (dial, TLS, headers, body).
	Timeout time.Duration
	// DisallowPrivateIPRanges is clients.http.disallow_private_ip_ranges.
	DisallowPrivateIPRanges bool
	// ExceptionURLs is clients.http.private_ip_exception_urls: URLs that
	// may reach internal addresses anyway. A request matches when scheme,
	// host, port (default ports filled in) and path are equal; the query
	// is ignored.
	ExceptionURLs []string
}

// NewOutboundClient returns a client that never follows redirects (a
// registered URL must not bounce Signet to somewhere else, internal or
// not) and, when opts.DisallowPrivateIPRanges, refuses internal addresses
// except for opts.ExceptionURLs. Callers bound the response bodies they read.
func NewOutboundClient(opts OutboundOptions) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultOutboundTimeout
	}
	var rt http.RoundTripper = newOutboundTransport(false)
	if opts.DisallowPrivateIPRanges {
		rt = &guardedTransport{
			guarded:    newOutboundTransport(true),
			open:       newOutboundTransport(false),
			exceptions: exceptionSet(opts.ExceptionURLs),
		}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// newOutboundTransport builds a transport; a guarded one checks every
// dialled address and ignores proxy environment variables, because through
// a proxy the dialled address would be the proxy's and the check would be
// meaningless.
func newOutboundTransport(guard bool) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConns:          50,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	if guard {
		d.Control = refuseInternal
		t.Proxy = nil
	}
	t.DialContext = d.DialContext
	return t
}

// refuseInternal is the net.Dialer Control hook: address is the resolved
// "ip:port" about to be connected.
func refuseInternal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrPrivateAddress, address)
	}
	if InternalAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// internalPrefixes returns the ranges netip's predicates do not cover.
func internalPrefixes() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),           // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),       // CGNAT (RFC 6598)
		netip.MustParsePrefix("192.0.0.0/24"),        // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),       // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),         // reserved, incl. broadcast
		netip.MustParsePrefix("64:ff9b:1::/48"),      // local-use NAT64
		netip.MustParsePrefix("2001:db8::/32"),       // documentation
		netip.MustParsePrefix("fec0::/10"),           // deprecated site-local
		netip.MustParsePrefix("::ffff:0:0:0/96"),     // SIIT translated
		netip.MustParsePrefix("100::/64"),            // discard-only
		netip.MustParsePrefix("2001:10::/28"),        // ORCHID
		netip.MustParsePrefix("2002:0a00::/24"),      // 6to4 of 10/8
		netip.MustParsePrefix("2002:7f00::/24"),      // 6to4 of 127/8
		netip.MustParsePrefix("2002:a9fe::/32"),      // 6to4 of 169.254/16
		netip.MustParsePrefix("2002:ac10::/28"),      // 6to4 of 172.16/12
		netip.MustParsePrefix("2002:c0a8::/32"),      // 6to4 of 192.168/16
		netip.MustParsePrefix("64:ff9b::7f00:0/104"), // NAT64 of 127/8
		netip.MustParsePrefix("64:ff9b::a00:0/104"),  // NAT64 of 10/8
	}
}

// InternalAddr reports whether a is loopback, private (RFC 1918,
// fc00::/7), link-local, unspecified, multicast, CGNAT or another range
// that must not be reachable through a client-registered URL.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func InternalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range internalPrefixes() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// guardedTransport sends exception URLs through an unguarded transport
// and everything else through the guarded one.
type guardedTransport struct {
	guarded, open http.RoundTripper
	exceptions    map[string]bool
}

func (g *guardedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if g.exceptions[exceptionKey(r.URL)] {
		return g.open.RoundTrip(r)
	}
	return g.guarded.RoundTrip(r)
}

func exceptionSet(raw []string) map[string]bool {
	set := make(map[string]bool, len(raw))
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			continue // config validation reports these; a bad entry grants nothing
		}
		set[exceptionKey(u)] = true
	}
	return set
}

// exceptionKey normalises scheme, host and port (case, default port) and
// keeps the path as is.
func exceptionKey(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port) + path
}
