package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// What `perform authorization-code` prints on stdout: the tokens, then the
// verified ID token's claims. Progress goes to stderr, so the JSON formats
// stay machine-readable.

// authorizationCodeResult is the JSON output. Its token fields are named as
// in the token response and in `perform client-credentials`.
type authorizationCodeResult struct {
	ClientID string `json:"client_id"`
	// ClientSecret is set only for a client --create-client made: the
	// server keeps a hash, so this output is the only place it appears.
	ClientSecret  string          `json:"client_secret,omitempty"`
	AccessToken   string          `json:"access_token"`
	TokenType     string          `json:"token_type"`
	ExpiresIn     int64           `json:"expires_in,omitempty"`
	Expiry        time.Time       `json:"expiry,omitzero"`
	Scope         string          `json:"scope,omitempty"`
	RefreshToken  string          `json:"refresh_token,omitempty"`
	IDToken       string          `json:"id_token,omitempty"`
	IDTokenClaims json.RawMessage `json:"id_token_claims,omitempty"`
}

func (r *authorizationCodeResult) setToken(t *tokenResponse, now time.Time) {
	r.AccessToken, r.TokenType, r.Scope = t.AccessToken, t.TokenType, t.Scope
	r.RefreshToken, r.IDToken, r.ExpiresIn = t.RefreshToken, t.IDToken, t.ExpiresIn
	if t.ExpiresIn > 0 {
		r.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	}
}

func (r *authorizationCodeResult) write(w io.Writer, f format) error {
	if f != formatTable {
		return writeJSON(w, f, r)
	}
	if err := writeTable(w, r.tokenTable()); err != nil {
		return err
	}
	if len(r.IDTokenClaims) == 0 {
		return nil
	}
	claims, err := claimsTable(r.IDTokenClaims)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeTable(w, claims)
}

// tokenTable lists one field per row: tokens are too long for columns.
func (r *authorizationCodeResult) tokenTable() table {
	expires := ""
	if r.ExpiresIn > 0 {
		expires = (time.Duration(r.ExpiresIn) * time.Second).String()
	}
	t := table{header: []string{"CLIENT ID", r.ClientID}}
	if r.ClientSecret != "" {
		t.rows = append(t.rows, []string{"CLIENT SECRET", r.ClientSecret})
	}
	t.rows = append(t.rows,
		[]string{"ACCESS TOKEN", r.AccessToken},
		[]string{"REFRESH TOKEN", r.RefreshToken},
		[]string{"ID TOKEN", r.IDToken},
		[]string{"TOKEN TYPE", r.TokenType},
		[]string{"EXPIRES IN", expires},
		[]string{"SCOPE", r.Scope},
	)
	return t
}

// timeClaims are NumericDate claims, shown with their UTC time as well.
var timeClaims = []string{"exp", "iat", "nbf", "auth_time", "rat", "updated_at"}

// claimsTable lists the claims by name. Strings print as they are, dates
// as seconds and UTC time, everything else as compact JSON.
func claimsTable(raw json.RawMessage) (table, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return table{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	t := table{header: []string{"CLAIM", "VALUE"}}
	for _, n := range names {
		t.rows = append(t.rows, []string{n, claimValue(n, m[n])})
	}
	return t, nil
}

func claimValue(name string, v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var n json.Number
	if slices.Contains(timeClaims, name) && json.Unmarshal(v, &n) == nil {
		if sec, err := n.Int64(); err == nil {
			return fmt.Sprintf("%d (%s)", sec, time.Unix(sec, 0).UTC().Format(time.RFC3339))
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, v); err != nil {
		return string(v)
	}
	return compact.String()
}
