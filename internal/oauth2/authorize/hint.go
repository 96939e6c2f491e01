package authorize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/token"
)

// id_token_hint at the authorization endpoint (OpenID Connect Core 1.0
// section 3.1.2.1): verified, its claims shown to the login app, and a
// remembered session used only for the user it names.

// idTokenHint is a verified id_token_hint (OIDC Core 3.1.2.1): the subject
// it names, as the client saw it, and its claims for the login app.
type idTokenHint struct {
	Subject string
	Claims  json.RawMessage // a JSON object, numbers as issued
}

// readIDTokenHint verifies raw when present. A hint Signet did not issue
// (foreign key, alg none or HMAC, tampered, other issuer) is the client's
// error, answered at its redirect URI as invalid_request (3.1.2.6); an
// expired hint is accepted, as the client typically holds an old ID token.
// Failing to read Signet's own key set is a server error.
func (a *Endpoint) readIDTokenHint(ctx context.Context, raw, issuer string) (*idTokenHint, *httpx.Error, error) {
	if raw == "" {
		return nil, nil, nil
	}
	if a.IDTokens == nil {
		return nil, nil, errors.New("authorize: id_token_hint received but the authorization endpoint has no ID token reader")
	}
	claims, err := a.IDTokens.ParseHint(ctx, raw, issuer)
	if errors.Is(err, token.ErrInvalidHint) {
		// ParseHint's reasons are written to be shown; they hold no secret.
		why := strings.TrimPrefix(err.Error(), token.ErrInvalidHint.Error()+": ")
		return nil, oauth2.InvalidRequest("The id_token_hint was not accepted: %s.", why).Because(err), nil
	}
	if err != nil {
		return nil, nil, err
	}
	sub, _ := claims["sub"].(string) // ParseHint guarantees a non-empty string
	body, err := json.Marshal(claims)
	if err != nil {
		return nil, nil, fmt.Errorf("authorize: encoding id_token_hint claims: %w", err)
	}
	return &idTokenHint{Subject: sub, Claims: body}, nil, nil
}

// names reports whether the hint names subject (a local subject), compared
// as client c sees it: for a pairwise client the pairwise value. A subject
// that cannot be mapped for c never matches; the flow reports why when it
// reaches the consent step.
func (h *idTokenHint) names(c *client.Client, subject string, cfg *config.Config) bool {
	seen, e := SubjectFor(c, flow.LoginResult{Subject: subject}, cfg.OIDC.SubjectIdentifiers)
	return e == nil && seen == h.Subject
}

// hintSubject is the sub claim of the hint a flow carries, "" without one.
func hintSubject(f *flow.Flow) string {
	if len(f.Request.IDTokenHintClaims) == 0 {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(f.Request.IDTokenHintClaims, &c) != nil {
		return ""
	}
	return c.Sub
}
