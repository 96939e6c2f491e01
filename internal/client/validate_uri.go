package client

import (
	"net/url"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// blockedSchemes can run code or read local files when a browser follows
// them; no redirect may use them, whatever RFC 8252 allows for native apps.
var blockedSchemes = map[string]bool{"javascript": true, "data": true, "vbscript": true, "file": true, "about": true, "blob": true}

// validateRedirects applies RFC 6749 section 3.1.2 ("The redirection endpoint
// URI MUST be an absolute URI ... MUST NOT include a fragment component") to
// redirect_uris and post_logout_redirect_uris. Besides http(s), private-use
// schemes are allowed for native apps (RFC 8252 section 7.1).
func validateRedirects(c *Client) *httpx.Error {
	lists := []struct {
		name string
		uris []string
	}{{"redirect_uris", c.RedirectURIs}, {"post_logout_redirect_uris", c.PostLogoutRedirectURIs}}
	for _, l := range lists {
		if len(l.uris) > maxArrayLen {
			return invalidRedirect("The field %s must have at most %d entries.", l.name, maxArrayLen)
		}
		for _, raw := range l.uris {
			if problem := redirectProblem(raw); problem != "" {
				return invalidRedirect("The field %s holds %q, which %s.", l.name, httpx.Clip(raw, 64), problem)
			}
		}
	}
	return nil
}

func redirectProblem(raw string) string {
	if len(raw) > maxStringLen || !printable(raw) {
		return "is too long or holds control characters"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a valid URI"
	case !u.IsAbs():
		return "is not an absolute URI"
	case strings.Contains(raw, "#"):
		return "has a fragment"
	case blockedSchemes[strings.ToLower(u.Scheme)]:
		return "uses a scheme that is never allowed"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return "has no host"
	}
	return ""
}

// validateURIs requires the informational and logout URIs to be absolute
// http(s) URLs; sector_identifier_uri must be https (OIDC Core section 8.1).
func validateURIs(c *Client) *httpx.Error {
	single := []struct{ name, value string }{
		{"client_uri", c.ClientURI}, {"logo_uri", c.LogoURI}, {"policy_uri", c.PolicyURI},
		{"tos_uri", c.TOSURI}, {"jwks_uri", c.JWKSURI}, {"sector_identifier_uri", c.SectorIdentifierURI},
		{"frontchannel_logout_uri", c.FrontchannelLogoutURI}, {"backchannel_logout_uri", c.BackchannelLogoutURI},
		{"registration_client_uri", c.RegistrationClientURI},
	}
	for _, f := range single {
		if f.value == "" {
			continue
		}
		if problem := webURLProblem(f.value); problem != "" {
			return invalidMetadata("The field %s %s.", f.name, problem)
		}
	}
	if c.SectorIdentifierURI != "" && !strings.HasPrefix(c.SectorIdentifierURI, "https://") {
		return invalidMetadata("The field sector_identifier_uri must use https.")
	}
	if len(c.RequestURIs) > maxArrayLen {
		return invalidMetadata("The field request_uris must have at most %d entries.", maxArrayLen)
	}
	for _, raw := range c.RequestURIs {
		if problem := webURLProblem(raw); problem != "" {
			return invalidMetadata("The field request_uris holds %q, which %s.", httpx.Clip(raw, 64), problem)
		}
	}
	return nil
}

func webURLProblem(raw string) string {
	if len(raw) > maxStringLen || !printable(raw) {
		return "must be at most 2048 bytes without control characters"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}

// validateOrigins requires allowed_cors_origins to be origins (RFC 6454
// section 4: scheme, host, optional port; nothing else). A single "*" inside
// the host is allowed for subdomain wildcards, as Hydra's CORS layer does.
func validateOrigins(c *Client) *httpx.Error {
	if len(c.AllowedCORSOrigins) > maxArrayLen {
		return invalidMetadata("The field allowed_cors_origins must have at most %d entries.", maxArrayLen)
	}
	for _, raw := range c.AllowedCORSOrigins {
		if len(raw) > maxStringLen || !printable(raw) || strings.Count(raw, "*") > 1 {
			return invalidMetadata("The field allowed_cors_origins holds %q, which is not an origin.", httpx.Clip(raw, 64))
		}
		u, err := url.Parse(strings.Replace(raw, "*", "wildcard", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
			return invalidMetadata("The field allowed_cors_origins holds %q, which is not an origin such as https://app.example.com.", httpx.Clip(raw, 64))
		}
	}
	return nil
}

// validateLists bounds the free-text lists: audience and contacts entries
// must be non-empty, printable and short.
func validateLists(c *Client) *httpx.Error {
	lists := []struct {
		name  string
		items []string
	}{{"audience", c.Audience}, {"contacts", c.Contacts}}
	for _, l := range lists {
		if len(l.items) > maxArrayLen {
			return invalidMetadata("The field %s must have at most %d entries.", l.name, maxArrayLen)
		}
		for _, item := range l.items {
			if item == "" || len(item) > maxStringLen || !printable(item) {
				return invalidMetadata("Each entry of %s must be 1 to %d printable bytes.", l.name, maxStringLen)
			}
		}
	}
	return nil
}
