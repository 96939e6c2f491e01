// Package trust holds the trust relationships of the RFC 7523 section 2.1
// JWT bearer grant: which issuer's assertions, about which subjects,
// signed with which public key, may be exchanged for access tokens with
// which scopes, until when. The admin API under
// /admin/trust/grants/jwt-bearer/issuers manages them; the grant in
// internal/oauth2 reads them through Store.
package trust
