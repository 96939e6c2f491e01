// Package token mints and checks access tokens.
//
// Where it sits: an oauth2 grant (after client authentication and policy
// checks) calls Issuer.Access, which asks an AccessStrategy (opaque.go or
// jwt.go) to mint a token and then records its digest with one
// Store.CreateAccess. The introspection and revocation endpoints call
// AccessStrategy.Check first, so a forged or malformed token is refused in
// memory, before any storage access.
//
// Raw tokens never reach storage or logs: records hold SHA-256 digests.
package token
