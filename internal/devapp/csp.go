package devapp

import (
	"net/url"
	"slices"
	"strings"
)

// formActionSources returns the CSP sources (CSP Level 3 section 2.3.1)
// that let a submission end at each of uris: a host-source
// (scheme://host[:port]) for http and https, a scheme-source ("com.example:")
// for a native app's custom scheme. Chrome and Safari apply form-action to
// every redirect after a submission, and the dev pages' submissions end,
// after a few redirects through Signet, at the client (w3c/webappsec-csp#8).
//
// ok is false when a destination cannot be written safely: an IPv6
// literal (the host-source grammar has none) or a host with characters
// that could end the directive. The caller then leaves form-action out
// rather than break the sign-in. Empty entries are skipped, and so are the
// schemes a browser would never be sent to from a form (javascript, data,
// blob, file): the policy then blocks them, which is what should happen.
func formActionSources(uris ...string) (sources []string, ok bool) {
	sources = []string{}
	for _, raw := range uris {
		if raw == "" {
			continue
		}
		src, usable, ok := formActionSource(raw)
		if !ok {
			return nil, false
		}
		if usable && !slices.Contains(sources, src) {
			sources = append(sources, src)
		}
	}
	return sources, true
}

// formActionSource is one URI's source; usable is false for a skipped scheme.
func formActionSource(raw string) (src string, usable, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", false, false
	}
	scheme := strings.ToLower(u.Scheme) // url.Parse admits only [a-z0-9+.-] after a letter
	switch scheme {
	case "javascript", "data", "blob", "file":
		return "", false, true
	case "http", "https":
	default:
		return scheme + ":", true, true
	}
	host := u.Hostname()
	if host == "" || strings.IndexFunc(host, notHostChar) >= 0 {
		return "", false, false
	}
	if p := u.Port(); p != "" {
		host += ":" + p // url.Parse admits only digits here
	}
	return scheme + "://" + host, true, true
}

// notHostChar is true outside a DNS name or IPv4 address.
func notHostChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-')
}
