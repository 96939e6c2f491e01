// Package oauth2 is the OAuth 2.0 protocol engine: the token endpoint with
// its grants, client authentication, scope strategies, and the
// introspection and revocation endpoints. One file per specification or
// endpoint; each names the sections it covers.
//
// Where it sits: app/routes.go mounts these handlers behind
// httpx.Renderer.OAuth (which renders returned errors as the contract's
// errorOAuth2). Handlers parse, call a plain function, and render; grants
// call token.Issuer to mint and record tokens; storage is reached only
// through client.Store and token.Store.
package oauth2
