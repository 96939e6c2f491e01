// Package clientauth authenticates the client of a token or revocation
// request (RFC 6749 section 2.3): client_secret_basic, client_secret_post
// and public clients by client_id (authenticator.go), and JWT assertions,
// private_key_jwt and client_secret_jwt (RFC 7523 section 2.2,
// assertion.go). hash_gate.go bounds the slow secret hashes running at
// once; secret_cache.go spares a client the hash on its next request.
//
// Where it sits: oauth2.TokenEndpoint and oauth2.Revocation call
// Authenticator.Authenticate, through the oauth2.ClientAuthenticator
// interface, once the form is parsed and before anything else; app.New
// builds one Authenticator for both. It imports oauth2 for the error
// constructors and the client_id bound; oauth2 does not import it.
package clientauth
