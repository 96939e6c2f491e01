// Package client is OAuth 2.0 client management: the Client record (the
// contract's oAuth2Client), its defaults and validation (RFC 7591 section 2
// metadata rules), secret minting and hashing, and the admin API under
// /admin/clients.
//
// Where it sits: app/routes.go mounts Admin.Routes on the admin port
// (4445). The protocol engine (oauth2, oidc) reads clients through Store and
// never writes them; dynamic registration (oidc/registration.go) reuses
// Defaults, Validate and the Admin methods so both doors apply one rule set.
//
// Request path for a write: handler parses strict JSON → Admin.Create /
// Update / Patch / SetLifespans (plain methods tests call) → Defaults →
// Validate → settleSecret (hash, never store plaintext) → Store → the
// response view, which carries client_secret only when it was just set.
package client
