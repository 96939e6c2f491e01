// Package oauth2 is the OAuth 2.0 protocol engine on the token side, and
// the pieces every flow step shares. One file per specification or
// endpoint; each names the sections it covers.
//
// Where a request goes:
//   - GET and POST /oauth2/auth: package oauth2/authorize, the
//     authorization endpoint with its login and consent round trips;
//   - POST /oauth2/token: token.go (the phases every grant shares), then
//     the grant_*.go file of the grant_type (grant.go is the Grant
//     interface); the client is authenticated by package oauth2/clientauth,
//     reached through the ClientAuthenticator interface;
//   - POST /oauth2/revoke: revocation.go, authenticating the client the
//     same way;
//   - POST /admin/oauth2/introspect: introspection.go;
//   - DELETE /admin/oauth2/tokens: admin_tokens.go.
//
// Shared by the subpackages: the error constructors (errors.go), scope
// strategies (scope.go), audience checks (audience.go), PKCE (pkce.go) and
// token lifetimes (token_family.go). The subpackages import oauth2, never
// the other way round; oauth2test, the fakes of their tests, imports
// neither.
//
// app/routes.go mounts the handlers behind httpx.Renderer.OAuth (which
// renders returned errors as the contract's errorOAuth2). Handlers parse,
// call a plain function, and render; grants call token.Issuer to mint and
// record tokens; storage is reached only through client.Store and
// token.Store.
package oauth2
