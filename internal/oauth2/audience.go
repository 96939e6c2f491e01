package oauth2

import (
	"net/url"
	"slices"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Audience matching (RFC 8707-style resource indicators, as Hydra's
// "audience" parameter). A requested audience is allowed when it equals a
// registered one, or when it lies at or below a registered one:
//
//   - scheme and host (with port) are equal, as written;
//   - the requested path equals the registered path, ignoring one trailing
//     slash, or starts with the registered path followed by "/" (so
//     "https://api.x/v1" covers "https://api.x/v1/orders", not
//     "https://api.x/v1x"); strings without a scheme are paths and follow
//     the same rule ("api" covers "api/orders", not "apix");
//   - query and fragment are equal. Hydra ignores them; we do not, because
//     resource servers often select a tenant or resource by query, and the
//     "below this path" rule says nothing about queries: a client
//     registered for "https://api.x/?tenant=a" must not obtain "?tenant=b".
//
// Refused unless equal to a registered value: requested audiences with user
// information ("https://api.x@evil.com" names host evil.com and only
// confuses readers), opaque URIs ("urn:a:b"; they have no path to be below
// of), values that do not parse, and paths with dot segments. A resource
// server normalises "/v1/../admin" to "/admin", outside the registered
// prefix; refusing dot segments (also percent-encoded, and with "\" or ";"
// tricks some servers honour) is simpler and safer than normalising here
// in exactly the way every resource server would.
//
// Paths are compared percent-encoded, so "/v1%2Fx" is one segment "v1/x"
// beside "/v1", not below it.

// CheckAudience requires every requested audience to be covered by a
// registered one (audienceAllowed); the error is invalid_request naming the
// first audience that is not.
func CheckAudience(requested, allowed []string) error {
	for _, a := range requested {
		if !audienceAllowed(a, allowed) {
			return InvalidRequest("Requested audience %q has not been allowed for this client.", httpx.Clip(a, 128))
		}
	}
	return nil
}

// audienceAllowed reports whether requested is covered by one of registered.
func audienceAllowed(requested string, registered []string) bool {
	if slices.Contains(registered, requested) {
		return true
	}
	req, ok := parseRequestedAudience(requested)
	if !ok {
		return false
	}
	return slices.ContainsFunc(registered, func(r string) bool {
		reg, ok := parseAudience(r)
		return ok && reg.covers(req)
	})
}

// audienceURL is the part of a parsed audience that matching compares.
type audienceURL struct {
	scheme, host, path, query, fragment string
}

// parseAudience parses a hierarchical URI or plain path. Opaque URIs and
// URIs with user information do not take part in prefix matching.
func parseAudience(s string) (audienceURL, bool) {
	if s == "" {
		return audienceURL{}, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil {
		return audienceURL{}, false
	}
	return audienceURL{scheme: u.Scheme, host: u.Host, path: u.EscapedPath(),
		query: u.RawQuery, fragment: u.EscapedFragment()}, true
}

// parseRequestedAudience is parseAudience that also refuses dot segments.
func parseRequestedAudience(s string) (audienceURL, bool) {
	a, ok := parseAudience(s)
	if !ok {
		return audienceURL{}, false
	}
	// Decode so "%2e%2e" counts as "..".
	decoded, err := url.PathUnescape(a.path)
	if err != nil || hasDotSegment(decoded) {
		return audienceURL{}, false
	}
	return a, true
}

// hasDotSegment reports a "." or ".." segment, splitting on "/" and "\"
// and ignoring ";" parameters ("..;" is ".." to some servers).
func hasDotSegment(path string) bool {
	segments := strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '\\' })
	return slices.ContainsFunc(segments, func(seg string) bool {
		seg, _, _ = strings.Cut(seg, ";")
		return seg == "." || seg == ".."
	})
}

// covers reports whether req is reg or lies below it.
func (reg audienceURL) covers(req audienceURL) bool {
	return reg.scheme == req.scheme && reg.host == req.host &&
		reg.query == req.query && reg.fragment == req.fragment &&
		pathCovers(reg.path, req.path)
}

// pathCovers: req equals reg up to one trailing slash, or is below it.
func pathCovers(reg, req string) bool {
	base := strings.TrimSuffix(reg, "/")
	return strings.TrimSuffix(req, "/") == base || strings.HasPrefix(req, base+"/")
}
