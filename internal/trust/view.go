package trust

import "time"

// GrantView is the contract's trustedOAuth2JwtGrantIssuer: the response
// body of create, get and (as an array) list.
type GrantView struct {
	ID              string    `json:"id"`
	Issuer          string    `json:"issuer"`
	Subject         string    `json:"subject"`
	AllowAnySubject bool      `json:"allow_any_subject"`
	Scope           []string  `json:"scope"`
	PublicKey       KeyRef    `json:"public_key"`
	ExpiresAt       time.Time `json:"expires_at"`
	CreatedAt       time.Time `json:"created_at"`
}

// KeyRef is the contract's trustedOAuth2JwtGrantJsonWebKey. Hydra files
// every trusted key in a JSON Web Key Set named after the issuer, and
// shows that set and the kid; Signet shows the same values, but keeps the
// key with the relationship (no /admin/keys set is created), so deleting
// one relationship can never take a key from another.
type KeyRef struct {
	Set   string `json:"set"`
	KeyID string `json:"kid"`
}

// View renders g as the API shows it: scope as [] rather than null
// (hydra-client-go expects an array), times in UTC.
func View(g *Grant) GrantView {
	scope := g.Scope
	if scope == nil {
		scope = []string{}
	}
	return GrantView{
		ID: g.ID, Issuer: g.Issuer, Subject: g.Subject, AllowAnySubject: g.AllowAnySubject,
		Scope:     scope,
		PublicKey: KeyRef{Set: g.Issuer, KeyID: g.KeyID},
		ExpiresAt: g.ExpiresAt.UTC(), CreatedAt: g.CreatedAt.UTC(),
	}
}
