// Package client is OAuth 2.0 client management: the Client record (the
// contract's oAuth2Client), its defaults and validation (RFC 7591 section 2
// metadata rules), secret minting, hashing, sealing (client_secret_jwt) and
// rotation, the admin API under /admin/clients, and dynamic client
// registration (OIDC Dynamic Client Registration 1.0, RFC 7591, RFC 7592)
// under /oauth2/register.
//
// Where it sits: app/routes.go mounts Admin.Routes on the admin port (4445)
// and Registration.Routes on the public port (4444). The protocol engine
// (oauth2, oidc) reads clients through Store and never writes them.
// Registration is built on Admin, so both doors apply one rule set.
//
// Request path for a write: handler parses strict JSON → Admin.Create /
// Update / Patch / SetLifespans / RotateSecret, or Registration.Register /
// Update (plain methods tests call) → Defaults → Validate → settleSecret
// (hash, seal for client_secret_jwt; never store plaintext) → Store → the
// response view, which carries client_secret only when it was just set.
//
// What is stored but never shown: SecretHash and Credentials (the sealed
// secret, rotated secrets, the registration access token's digest, the
// ManagedBy mark).
//
// Declared clients (declarative.go): app syncs the configuration's
// clients.declared through Admin.Sync at start-up and on reload, with the
// same defaults and validation; the admin API then refuses to change them.
package client
