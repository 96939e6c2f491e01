// Package oidc holds the OpenID Connect layer on top of the OAuth 2.0
// engine in package oauth2: the discovery document (OpenID Connect
// Discovery 1.0 and RFC 8414), userinfo, RP-initiated logout with the
// front-channel page, and back-channel logout. Dynamic registration joins
// it with its issue.
//
// Where it sits: app/routes.go mounts its handlers on the public port.
package oidc
