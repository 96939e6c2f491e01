package flow

import (
	"encoding/json"
	"fmt"
	"time"
)

// RememberedLogin is an authentication session found in the browser's
// session cookie that still satisfies the request (no prompt=login, max_age
// not exceeded). It makes the login request skippable.
type RememberedLogin struct {
	Subject  string
	AuthTime time.Time
}

// RequestLogin hands the flow to the login app. sessionID is the login
// session the flow belongs to (the existing one when remembered, else a new
// one). With a remembered login the request is marked skip: the app must
// accept it with the same subject.
func (f *Flow) RequestLogin(sessionID string, remembered *RememberedLogin) error {
	if f.State != StateInitialised {
		return f.move(StateInitialised, StateLoginRequested)
	}
	if sessionID == "" {
		return fmt.Errorf("%w: session id is required", ErrInvalidResult)
	}
	f.State = StateLoginRequested
	f.Login = LoginResult{SessionID: sessionID}
	if remembered != nil {
		f.Login.Skip = true
		f.Login.Subject = remembered.Subject
		f.Login.AuthTime = remembered.AuthTime.UTC().Truncate(time.Second)
	}
	return nil
}

// LoginAccept is the login app's decision (the contract's
// acceptOAuth2LoginRequest).
type LoginAccept struct {
	Subject                   string
	Remember                  bool
	RememberFor               int64
	ACR                       string
	AMR                       []string
	Context                   json.RawMessage
	ForceSubjectIdentifier    string
	ExtendSessionLifespan     bool
	IdentityProviderSessionID string
}

// AcceptLogin records who the user is. The session id, and the subject and
// authentication time of a skipped login, stay as the server set them: the
// app cannot swap the user of a remembered session.
func (f *Flow) AcceptLogin(a LoginAccept, now time.Time) error {
	if f.State != StateLoginRequested {
		return f.move(StateLoginRequested, StateLoginAccepted)
	}
	switch {
	case a.Subject == "":
		return fmt.Errorf("%w: subject is required", ErrInvalidResult)
	case f.Login.Skip && a.Subject != f.Login.Subject:
		return fmt.Errorf("%w: subject differs from the remembered session's subject; a skipped login must be accepted with the same subject", ErrInvalidResult)
	case a.RememberFor < 0:
		return fmt.Errorf("%w: remember_for must not be negative", ErrInvalidResult)
	}
	if err := checkJSON("context", a.Context); err != nil {
		return err
	}
	l := &f.Login
	l.Subject = a.Subject
	l.Remember, l.RememberFor = a.Remember, a.RememberFor
	l.ACR, l.AMR, l.Context = a.ACR, a.AMR, a.Context
	l.ForceSubjectIdentifier = a.ForceSubjectIdentifier
	l.ExtendSessionLifespan = a.ExtendSessionLifespan
	l.IdentityProviderSessionID = a.IdentityProviderSessionID
	if !l.Skip {
		l.AuthTime = now.UTC().Truncate(time.Second)
	}
	return f.move(StateLoginRequested, StateLoginAccepted)
}

// RejectLogin records that the login app denied the request.
func (f *Flow) RejectLogin(e RejectError) error {
	return f.reject(StateLoginRequested, StateLoginRejected, e)
}

// RequestConsent hands the flow to the consent app after a used login
// verifier. skip marks a request the server may answer itself (remembered
// consent covering the request, or a client with skip_consent).
func (f *Flow) RequestConsent(skip bool) error {
	if err := f.move(StateLoginAccepted, StateConsentRequested); err != nil {
		return err
	}
	f.Consent = ConsentResult{Skip: skip}
	return nil
}

// ConsentAccept is the consent app's decision (the contract's
// acceptOAuth2ConsentRequest).
type ConsentAccept struct {
	GrantScope        []string
	GrantAudience     []string
	Remember          bool
	RememberFor       int64
	AccessTokenClaims json.RawMessage
	IDTokenClaims     json.RawMessage
	Context           json.RawMessage
}

// AcceptConsent records what the user granted. Whether the client may hold
// the granted scope and audience is checked when the code is issued, as for
// every other grant; here only the shape is checked.
func (f *Flow) AcceptConsent(a ConsentAccept, now time.Time) error {
	if f.State != StateConsentRequested {
		return f.move(StateConsentRequested, StateConsentAccepted)
	}
	if a.RememberFor < 0 {
		return fmt.Errorf("%w: remember_for must not be negative", ErrInvalidResult)
	}
	for name, raw := range map[string]json.RawMessage{
		"session.access_token": a.AccessTokenClaims, "session.id_token": a.IDTokenClaims,
	} {
		if err := checkObject(name, raw); err != nil {
			return err
		}
	}
	if err := checkJSON("context", a.Context); err != nil {
		return err
	}
	c := &f.Consent
	c.GrantedScope, c.GrantedAudience = a.GrantScope, a.GrantAudience
	c.Remember, c.RememberFor = a.Remember, a.RememberFor
	c.AccessTokenClaims, c.IDTokenClaims, c.Context = a.AccessTokenClaims, a.IDTokenClaims, a.Context
	c.HandledAt = now.UTC().Truncate(time.Second)
	return f.move(StateConsentRequested, StateConsentAccepted)
}

// RejectConsent records that the consent app denied the request.
func (f *Flow) RejectConsent(e RejectError) error {
	return f.reject(StateConsentRequested, StateConsentRejected, e)
}

// IssueCode marks the flow finished; the caller stores the code.
func (f *Flow) IssueCode() error {
	return f.move(StateConsentAccepted, StateCodeIssued)
}

// Defaults for a rejection that leaves fields out, so the client always
// receives an error code it can act on.
const (
	defaultRejectError  = "request_denied"
	defaultRejectStatus = 400
)

func (f *Flow) reject(from, to State, e RejectError) error {
	if f.State != from {
		return f.move(from, to)
	}
	if e.StatusCode == 0 {
		e.StatusCode = defaultRejectStatus
	}
	if e.StatusCode < 400 || e.StatusCode > 599 {
		return fmt.Errorf("%w: status_code must be between 400 and 599", ErrInvalidResult)
	}
	if e.Error == "" {
		e.Error = defaultRejectError
	}
	f.Error = &e
	return f.move(from, to)
}

// checkJSON accepts an absent value or any valid JSON document.
func checkJSON(name string, raw json.RawMessage) error {
	if len(raw) > 0 && !json.Valid(raw) {
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalidResult, name)
	}
	return nil
}

// checkObject accepts an absent value, null, or a JSON object: claims merge
// into tokens, so an array or a string there would fail later, far from the
// app that sent it.
func checkObject(name string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%w: %s must be a JSON object", ErrInvalidResult, name)
	}
	return nil
}
