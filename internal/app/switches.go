package app

import "github.com/signet-oidc/signet/internal/config"

// The optional specifications of issue 8 that an operator may switch off
// (docs/configuration.md). Each is read once at start-up: a switched-off
// part is not mounted (its routes answer like unknown paths), not in the
// grant table (unsupported_grant_type) and not in discovery. The
// authorization endpoint, which serves every request, is told through nil
// parts (authorize.Endpoint.Pushed and Objects) and refuses their
// parameters with the OAuth errors for unsupported features.

// switches are the start-up values of the *.enabled keys.
type switches struct {
	pushed              bool // oauth2.pushed_authorization_requests.enabled, RFC 9126
	requestObjects      bool // oauth2.request_objects.enabled, RFC 9101
	device              bool // oauth2.device_authorization.enabled, RFC 8628
	publicIntrospection bool // oauth2.introspection.public_enabled, RFC 7662 for clients
}

func switchesOf(cfg *config.Config) switches {
	o := cfg.OAuth2
	return switches{
		pushed:              o.PushedAuthorizationRequests.Enabled,
		requestObjects:      o.RequestObjects.Enabled,
		device:              o.DeviceAuthorization.Enabled,
		publicIntrospection: o.Introspection.PublicEnabled,
	}
}
