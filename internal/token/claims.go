package token

import "time"

// Claims is what a grant decided to put into an access token. Strategies
// turn it into a raw token and an AccessRecord; nothing in it is secret.
type Claims struct {
	ClientID  string
	Subject   string // the client_id for client_credentials (as Hydra does)
	Scopes    []string
	Audience  []string
	GrantType string
	Issuer    string // urls.self.issuer
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Ext holds the session's extra access-token claims: the "ext" object of
	// introspection and of JWT access tokens.
	Ext map[string]any
	// RequestID groups every token issued by one grant.
	RequestID string
	// Act is RFC 8693 section 4.1's actor claim of a delegated token
	// (token exchange); nil otherwise. JWT access tokens carry it as the
	// top-level "act" claim; the record keeps it in Ext under "act",
	// where introspection finds it.
	Act map[string]any
	// JKT binds the token to a DPoP key (RFC 9449); Issuer.MintAccess fills
	// it from the context (confirmation.go) when the grant left it empty.
	JKT string
}
