// Package assertion verifies JWT assertions: compact JWS JSON Web Tokens a
// party signs to prove who it is (RFC 7523). Where it sits: below oauth2,
// which uses it for client authentication with private_key_jwt and
// client_secret_jwt (RFC 7523 section 2.2, OIDC Core section 9) and for the
// jwt-bearer authorization grant (RFC 7523 section 2.1); request objects
// (RFC 9101) will use it too.
//
// The package owns the parts every caller must get right and nobody should
// write twice:
//
//   - jws.go: parsing with a required algorithm allow-list, a size bound,
//     compact serialization and exactly one signature;
//   - keys.go: choosing verification keys by kid, algorithm and key type,
//     so that no key is ever used with an algorithm of another family;
//   - claims.go: the claim rules of RFC 7523 section 3 (iss, sub, aud,
//     exp, nbf, iat, jti), driven by a Rules value the caller must fill;
//   - replay.go: single use of jti through a narrow ReplayStore;
//   - jwks_fetch.go: fetching and caching a remote jwks_uri.
//
// Errors are *Error values whose Message is safe to show to the sender;
// the caller decides the OAuth error code (invalid_client at client
// authentication, invalid_grant for the jwt-bearer grant).
package assertion
