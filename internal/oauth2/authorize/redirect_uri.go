package authorize

import (
	"slices"
	"strconv"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// Redirection URI matching: RFC 6749 section 3.1.2 (3.1.2.2 registration,
// 3.1.2.3 dynamic configuration), RFC 8252 sections 7.3 and 8.3 (loopback
// redirects of native apps) and RFC 9700 section 2.1 (exact matching).
//
//   - A requested redirect_uri must equal a registered one, byte for byte.
//     No normalisation: case, trailing slashes, dot segments, added query
//     parameters and percent-encoding all make a different URI. Comparing
//     strings, not parsed URLs, leaves no room for parser disagreements
//     (userinfo, "\" or ";" tricks).
//   - RFC 8252 section 7.3: for "http" redirects to the loopback IP
//     literals 127.0.0.1 and [::1], the port is ignored, because a native
//     app picks a free port at run time. Everything else (scheme, host as
//     written, path, query) must still be equal.
//   - "localhost" gets no port exemption. RFC 8252 section 8.3 calls it
//     NOT RECOMMENDED (the name may resolve elsewhere, or be firewalled);
//     a client that registers http://localhost:PORT/cb gets exact matching
//     on that port only.
//   - Section 3.1.2.3: when the request omits redirect_uri, the client must
//     have exactly one registered URI, which is used.
//   - Section 3.1.2: "The endpoint URI MUST NOT include a fragment
//     component." A requested URI with "#" is refused.
//
// Errors are invalid_request, and the caller must not redirect them
// (RFC 6749 section 4.1.2.1).

// maxRedirectURILen matches the registration bound of client metadata; a
// longer request can never match.
const maxRedirectURILen = 2048

// loopbackPrefixes are the RFC 8252 section 7.3 loopback origins, without
// port, as they must be written.
var loopbackPrefixes = [...]string{"http://127.0.0.1", "http://[::1]"}

// MatchRedirectURI returns the redirect URI to use for a request that
// asked for requested (possibly empty) from a client registering
// registered.
func MatchRedirectURI(requested string, registered []string) (string, error) {
	if requested == "" {
		if len(registered) != 1 {
			return "", oauth2.InvalidRequest("The redirect_uri parameter is required because the client has %d registered redirect URIs.", len(registered))
		}
		return registered[0], nil
	}
	if len(requested) > maxRedirectURILen {
		return "", oauth2.InvalidRequest("The redirect_uri is longer than %d bytes.", maxRedirectURILen)
	}
	if strings.Contains(requested, "#") {
		return "", oauth2.InvalidRequest("The redirect_uri must not contain a fragment.")
	}
	if slices.Contains(registered, requested) {
		return requested, nil
	}
	if key, ok := loopbackKey(requested); ok {
		if slices.ContainsFunc(registered, func(r string) bool {
			rk, ok := loopbackKey(r)
			return ok && rk == key
		}) {
			return requested, nil
		}
	}
	return "", oauth2.InvalidRequest("The redirect_uri %q does not match any redirect URI registered for the client.", httpx.Clip(requested, 128))
}

// loopbackKey returns uri without its port when uri is an http URI whose
// authority is exactly a loopback IP literal with an optional valid port.
// Working on the string keeps "http://127.0.0.1@evil.com" (userinfo) and
// "http://127.0.0.1.evil.com" out: the character after the literal must
// be ":" and a port, or the start of the path or query.
func loopbackKey(uri string) (string, bool) {
	for _, prefix := range loopbackPrefixes {
		rest, ok := strings.CutPrefix(uri, prefix)
		if !ok {
			continue
		}
		if after, ok := strings.CutPrefix(rest, ":"); ok {
			end := strings.IndexAny(after, "/?")
			if end < 0 {
				end = len(after)
			}
			if !validPort(after[:end]) {
				return "", false
			}
			rest = after[end:]
		}
		if rest != "" && rest[0] != '/' && rest[0] != '?' {
			return "", false
		}
		return prefix + rest, true
	}
	return "", false
}

// validPort accepts 1 to 5 ASCII digits in 1..65535.
func validPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}
