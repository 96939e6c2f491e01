package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

// State is a step of the diagram below. Transitions happen only through the
// Flow methods named on the arrows; each refuses any other starting state.
//
//	      New
//	       │
//	       ▼
//	  Initialised
//	       │ RequestLogin              seals login_challenge
//	       ▼
//	 LoginRequested ──RejectLogin──▶ LoginRejected    seals login_verifier
//	       │ AcceptLogin                  (ends: error redirected to client)
//	       ▼
//	 LoginAccepted                        seals login_verifier
//	       │ RequestConsent            seals consent_challenge
//	       ▼
//	ConsentRequested ──RejectConsent──▶ ConsentRejected  seals consent_verifier
//	       │ AcceptConsent                 (ends: error redirected to client)
//	       ▼
//	ConsentAccepted                       seals consent_verifier
//	       │ IssueCode
//	       ▼
//	   CodeIssued                         (nothing sealed; the code is stored)
//
// A device flow (RFC 8628, device.go) starts one step earlier: NewDevice
// makes a flow in DeviceRequested (sealed as device_challenge) that knows
// neither client nor scope; AcceptDevice, given the request behind the
// user code, moves it to Initialised (sealed as device_verifier), and from
// there it follows the diagram above. Its last step, IssueCode, stands for
// the approval recorded on the device request.
type State uint8

// The states, in diagram order. The zero value is not a state, so a Flow
// that never went through New is refused by every transition.
const (
	StateInitialised State = iota + 1
	StateLoginRequested
	StateLoginAccepted
	StateLoginRejected
	StateConsentRequested
	StateConsentAccepted
	StateConsentRejected
	StateCodeIssued
	// StateDeviceRequested comes after the others so the numbers of flows
	// sealed before it existed keep their meaning.
	StateDeviceRequested
)

func (s State) String() string {
	switch s {
	case StateInitialised:
		return "initialised"
	case StateLoginRequested:
		return "login requested"
	case StateLoginAccepted:
		return "login accepted"
	case StateLoginRejected:
		return "login rejected"
	case StateConsentRequested:
		return "consent requested"
	case StateConsentAccepted:
		return "consent accepted"
	case StateConsentRejected:
		return "consent rejected"
	case StateCodeIssued:
		return "code issued"
	case StateDeviceRequested:
		return "device requested"
	}
	return fmt.Sprintf("invalid state %d", uint8(s))
}

// ErrTransition is returned (wrapped, naming both states) when a method is
// called in a state the diagram does not allow, for example accepting a
// login request that was already rejected.
var ErrTransition = errors.New("flow: transition not allowed in this state")

// ErrInvalidResult is returned (wrapped, naming the field) when the login
// or consent app sends a decision that cannot be applied.
var ErrInvalidResult = errors.New("flow: invalid login or consent result")

// Flow is one authorization request on its way through login and consent.
// JSON tags are short because the whole value travels in URLs.
type Flow struct {
	ID          string    `json:"i"`
	State       State     `json:"s"`
	ClientID    string    `json:"c"`
	Request     Request   `json:"r"`
	RequestedAt time.Time `json:"t"`
	// CSRFDigest is SHA-256 of the value in the browser's CSRF cookie.
	CSRFDigest []byte        `json:"x"`
	Login      LoginResult   `json:"l,omitzero"`
	Consent    ConsentResult `json:"g,omitzero"`
	// Error is set by RejectLogin or RejectConsent.
	Error *RejectError `json:"e,omitempty"`

	// Expires is set by Sealer.Open: the moment the string this Flow came
	// from stops opening. Storage keeps a verifier's used mark until then.
	Expires time.Time `json:"-"`
}

// Request holds the authorization request parameters, already validated by
// the authorization endpoint.
type Request struct {
	ResponseType        string          `json:"rt,omitempty"`
	ResponseMode        string          `json:"rm,omitempty"`
	RedirectURI         string          `json:"ru,omitempty"`
	Scope               []string        `json:"sc,omitempty"`
	Audience            []string        `json:"au,omitempty"`
	State               string          `json:"st,omitempty"`
	Nonce               string          `json:"n,omitempty"`
	CodeChallenge       string          `json:"cc,omitempty"`
	CodeChallengeMethod string          `json:"cm,omitempty"`
	Prompt              []string        `json:"p,omitempty"`
	MaxAge              *int64          `json:"ma,omitempty"` // nil: absent; 0 is meaningful
	ACRValues           []string        `json:"ac,omitempty"`
	UILocales           []string        `json:"ul,omitempty"`
	Display             string          `json:"d,omitempty"`
	LoginHint           string          `json:"lh,omitempty"`
	IDTokenHintClaims   json.RawMessage `json:"ih,omitempty"`
	// Device marks a device authorization flow (RFC 8628): the browser
	// returns to /oauth2/device/verify, and the outcome is recorded on
	// the device request whose RequestID is the flow's ID.
	Device bool `json:"dv,omitempty"`
	// DPoPJKT is dpop_jkt (RFC 9449 section 10): the code is bound to it.
	DPoPJKT string `json:"dj,omitempty"`
}

// LoginResult is the login half of the flow. Subject, SessionID, AuthTime
// and Skip are set by the server before the login app sees the request (a
// remembered session); the app's accept fills in the rest.
type LoginResult struct {
	Subject                   string          `json:"su,omitempty"`
	SessionID                 string          `json:"si,omitempty"`
	AuthTime                  time.Time       `json:"at,omitzero"`
	Skip                      bool            `json:"sk,omitempty"`
	Remember                  bool            `json:"re,omitempty"`
	RememberFor               int64           `json:"rf,omitempty"`
	ACR                       string          `json:"ac,omitempty"`
	AMR                       []string        `json:"am,omitempty"`
	Context                   json.RawMessage `json:"cx,omitempty"`
	ForceSubjectIdentifier    string          `json:"fs,omitempty"`
	ExtendSessionLifespan     bool            `json:"ex,omitempty"`
	IdentityProviderSessionID string          `json:"ip,omitempty"`
}

// ConsentResult is the consent half of the flow. Skip is set by the server
// (remembered consent, or a client with skip_consent); the rest comes from
// the consent app's accept.
type ConsentResult struct {
	Skip              bool            `json:"sk,omitempty"`
	GrantedScope      []string        `json:"gs,omitempty"`
	GrantedAudience   []string        `json:"ga,omitempty"`
	Remember          bool            `json:"re,omitempty"`
	RememberFor       int64           `json:"rf,omitempty"`
	AccessTokenClaims json.RawMessage `json:"ac,omitempty"`
	IDTokenClaims     json.RawMessage `json:"ic,omitempty"`
	Context           json.RawMessage `json:"cx,omitempty"`
	HandledAt         time.Time       `json:"ha,omitzero"`
}

// RejectError is what the login or consent app sends to deny a request
// (the contract's rejectOAuth2Request).
type RejectError struct {
	Error       string `json:"er,omitempty"`
	Description string `json:"de,omitempty"`
	Hint        string `json:"hi,omitempty"`
	Debug       string `json:"db,omitempty"`
	StatusCode  int    `json:"sc,omitempty"`
}

// flowIDBytes gives flow ids 128 bits: enough that single-use records keyed
// by them never collide.
const flowIDBytes = 16

// New starts a flow for a validated request. It returns the value the
// authorization endpoint must put in the browser's CSRF cookie; the flow
// keeps only its digest.
func New(r io.Reader, now time.Time, clientID string, req Request) (f *Flow, csrfCookie string, err error) {
	id, err := secret.RandomString(r, flowIDBytes)
	if err != nil {
		return nil, "", err
	}
	csrfCookie, digest, err := newCSRF(r)
	if err != nil {
		return nil, "", err
	}
	return &Flow{
		ID:          id,
		State:       StateInitialised,
		ClientID:    clientID,
		Request:     req,
		RequestedAt: now.UTC().Truncate(time.Second),
		CSRFDigest:  digest,
	}, csrfCookie, nil
}

func (f *Flow) move(from, to State) error {
	if f.State != from {
		return fmt.Errorf("%w: cannot move to %s from %s (expected %s)", ErrTransition, to, f.State, from)
	}
	f.State = to
	return nil
}
