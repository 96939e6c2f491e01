// Package secret holds everything that touches key material derived from
// secrets.system: the Keyring (seal with the first secret, open with any, so
// secrets rotate by prepending), purpose-bound MAC keys, password hashers
// for client secrets (pbkdf2, bcrypt), random identifiers and constant-time
// comparison.
//
// Where it sits: built first in app.New; jwk seals private keys with it,
// token MACs opaque tokens with it, client hashes secrets with it.
package secret
