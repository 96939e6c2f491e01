package token

import "time"

// GrantSession is what an authorization code, and later its refresh
// tokens, carry to the token endpoint (CodeRecord.Session and
// RefreshRecord.Session hold it as JSON): enough to mint the tokens the
// login and consent decided, without the flow.
type GrantSession struct {
	Nonce       string    `json:"nonce,omitempty"`
	AuthTime    time.Time `json:"auth_time"`
	RequestedAt time.Time `json:"rat"`
	ACR         string    `json:"acr,omitempty"`
	AMR         []string  `json:"amr,omitempty"`
	SessionID   string    `json:"sid,omitempty"` // the login session, when remembered
	// IDToken and AccessToken are the consent's session.id_token and
	// session.access_token claims.
	IDToken     map[string]any `json:"id_token,omitempty"`
	AccessToken map[string]any `json:"access_token,omitempty"`
}
