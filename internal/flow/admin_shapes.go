package flow

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The wire shapes of the admin login and consent endpoints, named after the
// contract's schemas. Fields hydra-client-go v2.2.1 requires when decoding
// (challenge, client, request_url, skip, subject; redirect_to) never carry
// omitempty, so a Hydra login app always finds them.

// RedirectTo is the contract's oAuth2RedirectTo.
type RedirectTo struct {
	RedirectTo string `json:"redirect_to"`
}

// OIDCContext is the contract's oAuth2ConsentRequestOpenIDConnectContext.
type OIDCContext struct {
	ACRValues         []string        `json:"acr_values,omitempty"`
	Display           string          `json:"display,omitempty"`
	IDTokenHintClaims json.RawMessage `json:"id_token_hint_claims,omitempty"`
	LoginHint         string          `json:"login_hint,omitempty"`
	UILocales         []string        `json:"ui_locales,omitempty"`
}

// LoginRequestView is the contract's oAuth2LoginRequest.
type LoginRequestView struct {
	Challenge         string         `json:"challenge"`
	Client            *client.Client `json:"client"`
	RequestURL        string         `json:"request_url"`
	RequestedScope    []string       `json:"requested_scope"`
	RequestedAudience []string       `json:"requested_access_token_audience"`
	Skip              bool           `json:"skip"`
	Subject           string         `json:"subject"`
	SessionID         string         `json:"session_id,omitempty"`
	OIDCContext       OIDCContext    `json:"oidc_context"`
}

// ConsentRequestView is the contract's oAuth2ConsentRequest.
type ConsentRequestView struct {
	Challenge string `json:"challenge"`
	// ConsentRequestID and LoginChallenge are the flow ID: one flow is one
	// login request and one consent request. The login challenge string
	// itself is not kept once login is accepted.
	ConsentRequestID  string          `json:"consent_request_id"`
	Client            *client.Client  `json:"client"`
	RequestURL        string          `json:"request_url"`
	RequestedScope    []string        `json:"requested_scope"`
	RequestedAudience []string        `json:"requested_access_token_audience"`
	Skip              bool            `json:"skip"`
	Subject           string          `json:"subject"`
	LoginChallenge    string          `json:"login_challenge"`
	LoginSessionID    string          `json:"login_session_id,omitempty"`
	ACR               string          `json:"acr"`
	AMR               []string        `json:"amr"`
	Context           json.RawMessage `json:"context,omitempty"`
	OIDCContext       OIDCContext     `json:"oidc_context"`
}

// AcceptLoginBody is the contract's acceptOAuth2LoginRequest.
type AcceptLoginBody struct {
	Subject                   string          `json:"subject"`
	Remember                  bool            `json:"remember"`
	RememberFor               int64           `json:"remember_for"`
	ACR                       string          `json:"acr"`
	AMR                       []string        `json:"amr"`
	Context                   json.RawMessage `json:"context"`
	ForceSubjectIdentifier    string          `json:"force_subject_identifier"`
	ExtendSessionLifespan     bool            `json:"extend_session_lifespan"`
	IdentityProviderSessionID string          `json:"identity_provider_session_id"`
}

// AcceptConsentBody is the contract's acceptOAuth2ConsentRequest.
type AcceptConsentBody struct {
	GrantScope    []string              `json:"grant_scope"`
	GrantAudience []string              `json:"grant_access_token_audience"`
	Remember      bool                  `json:"remember"`
	RememberFor   int64                 `json:"remember_for"`
	Session       *ConsentSessionClaims `json:"session"`
	Context       json.RawMessage       `json:"context"`
	// HandledAt is sent by hydra-client-go; it is accepted and ignored, the
	// server's clock decides when the consent was handled.
	HandledAt *time.Time `json:"handled_at"`
}

// ConsentSessionClaims is the contract's acceptOAuth2ConsentRequestSession.
type ConsentSessionClaims struct {
	AccessToken json.RawMessage `json:"access_token"`
	IDToken     json.RawMessage `json:"id_token"`
}

// RejectBody is the contract's rejectOAuth2Request.
type RejectBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Hint        string `json:"error_hint"`
	Debug       string `json:"error_debug"`
	StatusCode  int64  `json:"status_code"`
}

func (b AcceptLoginBody) accept() LoginAccept {
	return LoginAccept{
		Subject: b.Subject, Remember: b.Remember, RememberFor: b.RememberFor,
		ACR: b.ACR, AMR: b.AMR, Context: present(b.Context),
		ForceSubjectIdentifier:    b.ForceSubjectIdentifier,
		ExtendSessionLifespan:     b.ExtendSessionLifespan,
		IdentityProviderSessionID: b.IdentityProviderSessionID,
	}
}

func (b AcceptConsentBody) accept() ConsentAccept {
	a := ConsentAccept{
		GrantScope: b.GrantScope, GrantAudience: b.GrantAudience,
		Remember: b.Remember, RememberFor: b.RememberFor, Context: present(b.Context),
	}
	if b.Session != nil {
		a.AccessTokenClaims = present(b.Session.AccessToken)
		a.IDTokenClaims = present(b.Session.IDToken)
	}
	return a
}

// rejectError converts a reject body. The status is range-checked here,
// before the conversion to int, so no value can wrap into the valid range.
func (b RejectBody) rejectError() (RejectError, error) {
	if b.StatusCode != 0 && (b.StatusCode < 400 || b.StatusCode > 599) {
		return RejectError{}, httpx.BadRequest("The decision cannot be applied: status_code must be between 400 and 599.")
	}
	return RejectError{
		Error: b.Error, Description: b.Description, Hint: b.Hint,
		Debug: b.Debug, StatusCode: int(b.StatusCode),
	}, nil
}

// present drops an explicit null, which SDKs send for unset values, so it
// is stored as absent rather than as the JSON literal.
func present(raw json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil
	}
	return raw
}

// publicClient is the client as the admin API shows it: no secret, no hash,
// and empty lists as [] rather than null.
func publicClient(c *client.Client) *client.Client {
	v := client.View(c)
	v.Secret = ""
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func oidcContext(r Request) OIDCContext {
	return OIDCContext{
		ACRValues: r.ACRValues, Display: r.Display, LoginHint: r.LoginHint, UILocales: r.UILocales,
		IDTokenHintClaims: objectOrNil(r.IDTokenHintClaims),
	}
}

// objectOrNil keeps id_token_hint_claims only when it is a JSON object:
// the SDK decodes it into a map and would fail on anything else.
func objectOrNil(raw json.RawMessage) json.RawMessage {
	if checkObject("", raw) != nil || len(present(raw)) == 0 {
		return nil
	}
	return raw
}
