package flow

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

// t0 is a whole second so expiry boundaries are exact.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testTTL = 30 * time.Minute

// clock is a settable test clock; tests move it instead of sleeping.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newKeyring(t testing.TB, secrets ...string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSealer(t testing.TB, secrets ...string) (*Sealer, *clock) {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{"first-system-secret-0123456789"}
	}
	c := &clock{t: t0}
	return NewSealer(newKeyring(t, secrets...), c.now, testTTL), c
}

// typicalRequest is what a usual web app sends: OIDC with PKCE, state and
// nonce of 43 characters, a few scopes, one audience.
func typicalRequest() Request {
	return Request{
		ResponseType:        "code",
		RedirectURI:         "https://app.example.com/oauth2/callback",
		Scope:               []string{"openid", "offline_access", "profile", "email"},
		Audience:            []string{"https://api.example.com"},
		State:               "Vj3kQ9mZt2Xb7RpL0sNf4Hc8Wy1Ad6Ue5Gi2Ko9Mq3T",
		Nonce:               "nM4b8Xc2Zq7Lw1Rt5Yp9Hs3Jd6Fg0Kv2Ab7Ce1Df4Gh",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		UILocales:           []string{"en-GB", "de"},
	}
}

func newFlow(t testing.TB, req Request) (*Flow, string) {
	t.Helper()
	return newFlowFrom(t, rand.Reader, req)
}

func newFlowFrom(t testing.TB, r io.Reader, req Request) (*Flow, string) {
	t.Helper()
	f, csrf, err := New(r, t0, "5a1e3c4b-8d2f-4e6a-9b7c-0d1e2f3a4b5c", req)
	if err != nil {
		t.Fatal(err)
	}
	return f, csrf
}

// flowIn returns a typical flow driven to state st through the public
// transitions, so tests never build impossible flows by hand.
func flowIn(t testing.TB, st State) *Flow {
	t.Helper()
	return flowInFrom(t, rand.Reader, st)
}

func flowInFrom(t testing.TB, r io.Reader, st State) *Flow {
	t.Helper()
	f, _ := newFlowFrom(t, r, typicalRequest())
	steps := []func() error{
		func() error { return f.RequestLogin("9c2d7e1a-3b4f-4a5e-8c6d-7e8f9a0b1c2d", nil) },
		func() error {
			if st == StateLoginRejected {
				return f.RejectLogin(RejectError{Error: "access_denied"})
			}
			return f.AcceptLogin(LoginAccept{Subject: "user-4711", Remember: true, RememberFor: 3600,
				ACR: "1", AMR: []string{"pwd"}}, t0.Add(time.Minute))
		},
		func() error { return f.RequestConsent(false) },
		func() error {
			if st == StateConsentRejected {
				return f.RejectConsent(RejectError{Error: "access_denied"})
			}
			return f.AcceptConsent(ConsentAccept{
				GrantScope: []string{"openid", "offline_access", "profile", "email"}, GrantAudience: []string{"https://api.example.com"},
				Remember: true, RememberFor: 86400,
				IDTokenClaims: json.RawMessage(`{"email":"jane.doe@example.com","name":"Jane Doe"}`),
			}, t0.Add(2*time.Minute))
		},
		f.IssueCode,
	}
	for _, step := range steps {
		if f.State == st {
			return f
		}
		if err := step(); err != nil {
			t.Fatalf("driving flow to %s: at %s: %v", st, f.State, err)
		}
	}
	if f.State != st {
		t.Fatalf("flow ended in %s, wanted %s", f.State, st)
	}
	return f
}
