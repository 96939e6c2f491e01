// Package oidc holds the OpenID Connect layer on top of the OAuth 2.0
// engine in package oauth2. So far: the discovery document (OpenID Connect
// Discovery 1.0 and RFC 8414). Userinfo, logout and dynamic registration
// join it as their issues land.
//
// Where it sits: app/routes.go mounts its handlers on the public port.
package oidc
