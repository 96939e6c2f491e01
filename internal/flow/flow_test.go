package flow

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewFlow(t *testing.T) {
	a, csrfA := newFlow(t, typicalRequest())
	b, csrfB := newFlow(t, typicalRequest())
	if a.State != StateInitialised || a.ClientID == "" || !a.RequestedAt.Equal(t0) {
		t.Fatalf("new flow = %+v", a)
	}
	if a.ID == b.ID || csrfA == csrfB || len(a.ID) < 22 || len(csrfA) < 43 {
		t.Fatalf("ids or CSRF values are not unique random values: %q %q %q %q", a.ID, b.ID, csrfA, csrfB)
	}
	if strings.Contains(string(mustJSON(t, a)), csrfA) {
		t.Fatal("the flow carries the CSRF cookie value itself, not its digest")
	}
	if _, _, err := New(strings.NewReader("short"), t0, "c", Request{}); err == nil {
		t.Fatal("New succeeded without enough randomness")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckCSRF(t *testing.T) {
	f, csrf := newFlow(t, typicalRequest())
	if err := f.CheckCSRF(csrf); err != nil {
		t.Fatalf("the starting browser's cookie is refused: %v", err)
	}
	_, other := newFlow(t, typicalRequest())
	for name, cookie := range map[string]string{
		"missing cookie":        "",
		"other browser":         other,
		"cookie with extra":     csrf + "x",
		"cookie truncated":      csrf[:len(csrf)-1],
		"digest sent as cookie": string(f.CSRFDigest),
	} {
		if err := f.CheckCSRF(cookie); !errors.Is(err, ErrCSRF) {
			t.Errorf("%s: CheckCSRF = %v, want ErrCSRF", name, err)
		}
	}
	var unbound Flow
	if err := unbound.CheckCSRF("anything"); !errors.Is(err, ErrCSRF) {
		t.Errorf("a flow without a binding accepts any cookie: %v", err)
	}
}

func TestHappyPathTransitions(t *testing.T) {
	f := flowIn(t, StateCodeIssued)
	if f.Login.Subject != "user-4711" || !f.Login.AuthTime.Equal(t0.Add(time.Minute)) || f.Login.SessionID == "" {
		t.Errorf("login result = %+v", f.Login)
	}
	if len(f.Consent.GrantedScope) != 4 || !f.Consent.HandledAt.Equal(t0.Add(2*time.Minute)) || f.Error != nil {
		t.Errorf("consent result = %+v, error %+v", f.Consent, f.Error)
	}
}

// TestTransitionsRefuseOtherStates calls every transition from every state
// and checks that exactly the diagram's arrows succeed.
func TestTransitionsRefuseOtherStates(t *testing.T) {
	transitions := map[string]struct {
		from State
		to   State
		call func(f *Flow) error
	}{
		"RequestLogin":   {StateInitialised, StateLoginRequested, func(f *Flow) error { return f.RequestLogin("sid", nil) }},
		"AcceptLogin":    {StateLoginRequested, StateLoginAccepted, func(f *Flow) error { return f.AcceptLogin(LoginAccept{Subject: "user-4711"}, t0) }},
		"RejectLogin":    {StateLoginRequested, StateLoginRejected, func(f *Flow) error { return f.RejectLogin(RejectError{}) }},
		"RequestConsent": {StateLoginAccepted, StateConsentRequested, func(f *Flow) error { return f.RequestConsent(false) }},
		"AcceptConsent":  {StateConsentRequested, StateConsentAccepted, func(f *Flow) error { return f.AcceptConsent(ConsentAccept{}, t0) }},
		"RejectConsent":  {StateConsentRequested, StateConsentRejected, func(f *Flow) error { return f.RejectConsent(RejectError{}) }},
		"IssueCode":      {StateConsentAccepted, StateCodeIssued, func(f *Flow) error { return f.IssueCode() }},
	}
	for name, tr := range transitions {
		for st := StateInitialised; st <= StateCodeIssued; st++ {
			f := flowIn(t, st)
			err := tr.call(f)
			if st == tr.from {
				if err != nil || f.State != tr.to {
					t.Errorf("%s from %s: err %v, state %s; want %s", name, st, err, f.State, tr.to)
				}
				continue
			}
			if !errors.Is(err, ErrTransition) || f.State != st {
				t.Errorf("%s from %s: err %v, state %s; want ErrTransition and no change", name, st, err, f.State)
			}
		}
		var zero Flow // a Flow not made by New is in no state
		if err := tr.call(&zero); !errors.Is(err, ErrTransition) {
			t.Errorf("%s on a zero Flow: %v, want ErrTransition", name, err)
		}
	}
}

func TestAcceptLoginRefusesBadResults(t *testing.T) {
	cases := map[string]LoginAccept{
		"no subject":           {},
		"negative remember":    {Subject: "u", RememberFor: -1},
		"context not JSON":     {Subject: "u", Context: json.RawMessage(`{"a":`)},
		"context two values":   {Subject: "u", Context: json.RawMessage(`{} {}`)},
		"context bare garbage": {Subject: "u", Context: json.RawMessage(`undefined`)},
	}
	for name, a := range cases {
		f := flowIn(t, StateLoginRequested)
		if err := f.AcceptLogin(a, t0); !errors.Is(err, ErrInvalidResult) || f.State != StateLoginRequested {
			t.Errorf("%s: err %v, state %s; want ErrInvalidResult and no change", name, err, f.State)
		}
	}
}

func TestSkippedLoginKeepsTheRememberedUser(t *testing.T) {
	authTime := t0.Add(-3 * time.Hour)
	start := func() *Flow {
		f, _ := newFlow(t, typicalRequest())
		if err := f.RequestLogin("sid-remembered", &RememberedLogin{Subject: "alice", AuthTime: authTime}); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := start()
	if !f.Login.Skip || f.Login.Subject != "alice" || f.Login.SessionID != "sid-remembered" {
		t.Fatalf("login request = %+v, want skip with the remembered subject", f.Login)
	}
	// The login app must not switch users on a remembered session.
	if err := f.AcceptLogin(LoginAccept{Subject: "mallory"}, t0); !errors.Is(err, ErrInvalidResult) {
		t.Fatalf("skipped login accepted with another subject: %v", err)
	}
	if err := f.AcceptLogin(LoginAccept{Subject: "alice", ACR: "1"}, t0); err != nil {
		t.Fatal(err)
	}
	// auth_time is when the user authenticated, not when the skip was accepted.
	if !f.Login.AuthTime.Equal(authTime) || f.Login.ACR != "1" {
		t.Fatalf("after accept: %+v", f.Login)
	}
	if err := start().RequestLogin("sid", nil); !errors.Is(err, ErrTransition) {
		t.Fatalf("second RequestLogin: %v", err)
	}
	g, _ := newFlow(t, typicalRequest())
	if err := g.RequestLogin("", nil); !errors.Is(err, ErrInvalidResult) {
		t.Fatalf("RequestLogin without a session id: %v", err)
	}
}

func TestAcceptConsentRefusesBadResults(t *testing.T) {
	cases := map[string]ConsentAccept{
		"negative remember":       {RememberFor: -5},
		"id_token claims array":   {IDTokenClaims: json.RawMessage(`["a"]`)},
		"access_token claims str": {AccessTokenClaims: json.RawMessage(`"x"`)},
		"claims not JSON":         {IDTokenClaims: json.RawMessage(`{`)},
		"context not JSON":        {Context: json.RawMessage(`nope`)},
	}
	for name, a := range cases {
		f := flowIn(t, StateConsentRequested)
		if err := f.AcceptConsent(a, t0); !errors.Is(err, ErrInvalidResult) || f.State != StateConsentRequested {
			t.Errorf("%s: err %v, state %s; want ErrInvalidResult and no change", name, err, f.State)
		}
	}
	f := flowIn(t, StateConsentRequested)
	if err := f.AcceptConsent(ConsentAccept{IDTokenClaims: json.RawMessage(`null`)}, t0); err != nil {
		t.Errorf("null claims refused: %v", err)
	}
}

func TestRejectDefaultsAndBounds(t *testing.T) {
	f := flowIn(t, StateLoginRequested)
	if err := f.RejectLogin(RejectError{Description: "no"}); err != nil {
		t.Fatal(err)
	}
	if f.Error.Error != "request_denied" || f.Error.StatusCode != 400 || f.Error.Description != "no" {
		t.Errorf("defaults not applied: %+v", f.Error)
	}
	for _, code := range []int{-1, 200, 302, 399, 600, 1 << 20} {
		g := flowIn(t, StateConsentRequested)
		if err := g.RejectConsent(RejectError{StatusCode: code}); !errors.Is(err, ErrInvalidResult) || g.Error != nil {
			t.Errorf("status_code %d: err %v, error %+v", code, err, g.Error)
		}
	}
	g := flowIn(t, StateConsentRequested)
	want := RejectError{Error: "access_denied", Description: "d", Hint: "h", Debug: "g", StatusCode: 403}
	if err := g.RejectConsent(want); err != nil || *g.Error != want {
		t.Errorf("RejectConsent kept %+v (%v), want %+v", g.Error, err, want)
	}
}

func TestStateString(t *testing.T) {
	for st := StateInitialised; st <= StateCodeIssued; st++ {
		if s := st.String(); s == "" || strings.HasPrefix(s, "invalid") {
			t.Errorf("state %d has no name", st)
		}
	}
	if s := State(0).String(); !strings.HasPrefix(s, "invalid") {
		t.Errorf("zero state is named %q", s)
	}
}
