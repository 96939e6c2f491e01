// Package jwk manages Signet's JSON Web Keys: the signing keys of the ID
// token and JWT access token sets, keys generated or imported through the
// admin API, and the public JWKS document.
//
// Where it sits: app.New builds one Manager over the SQL store and the
// system-secret keyring, calls EnsureKeys at start and runs Manager.Run in
// the background. The token and oidc packages see only SignerSource and
// KeySource, both answered from an in-memory snapshot, so signing a token or
// serving /.well-known/jwks.json costs no database round trip. admin.go
// serves /admin/keys/*, jwks.go serves /.well-known/jwks.json. rotation.go
// is automatic rotation of the two token sets (keys.rotation.*), reseal.go
// re-encrypts stored private keys after a secrets.system rotation.
//
// Private halves are sealed with the keyring (AES-GCM, first secret seals,
// every secret opens) and bound to their set and kid, so a sealed key copied
// to another row does not open.
package jwk
