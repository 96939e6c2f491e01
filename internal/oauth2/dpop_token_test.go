package oauth2

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

// The token endpoint's DPoP step (dpop_token.go), through the endpoint.

type dpopHarness struct {
	env    *oauth2test.Env
	replay *replayFake
	h      http.Handler
}

func newDPoPHarness(t *testing.T, nonces bool) *dpopHarness {
	env := oauth2test.NewEnv(t)
	v, replay, _ := newVerifier(nonces)
	v.Now = env.Clock.Now
	if v.Nonces != nil {
		v.Nonces.Now = env.Clock.Now
	}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e := &TokenEndpoint{Auth: fakeAuth{clients: env.DB, hasher: env.Hasher}, Grants: map[string]Grant{
		GrantClientCredentials: &ClientCredentials{Issuer: env.Issuer, Config: env.Config, Now: env.Clock.Now, Rand: rand.Reader},
	}, DPoP: &DPoPBinding{Verifier: v, URL: tokenURL}}
	return &dpopHarness{env: env, replay: replay, h: rd.OAuth(e.Handle)}
}

func (d *dpopHarness) post(user, pass string, proofs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader("grant_type=client_credentials&scope=read"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(user, pass)
	for _, p := range proofs {
		r.Header.Add(HeaderDPoP, p)
	}
	w := httptest.NewRecorder()
	d.h.ServeHTTP(w, r)
	return w
}

func (d *dpopHarness) onlyToken(t *testing.T) *token.AccessRecord {
	t.Helper()
	var out *token.AccessRecord
	d.env.DB.WithTokens(func(m map[string]*token.AccessRecord) {
		if len(m) != 1 {
			t.Fatalf("%d tokens stored, want 1", len(m))
		}
		for _, r := range m {
			out = r
		}
	})
	return out
}

func TestTokenEndpointDPoP(t *testing.T) {
	t.Run("proof binds the token", func(t *testing.T) {
		d, p := newDPoPHarness(t, false), newProver(t)
		w := d.post("machine", oauth2test.SecretMachine, p.proof(t, "cc-1"))
		body := oauth2test.Decode(t, w)
		if w.Code != 200 || body["token_type"] != "DPoP" {
			t.Fatalf("%d %v", w.Code, body)
		}
		if rec := d.onlyToken(t); rec.JKT != p.jkt(t) {
			t.Errorf("stored jkt %q, want %q", rec.JKT, p.jkt(t))
		}
	})
	t.Run("JWT access token carries cnf.jkt", func(t *testing.T) {
		d, p := newDPoPHarness(t, false), newProver(t)
		w := d.post("jwtc", "jwt-secret", p.proof(t, "jwt-1"))
		body := oauth2test.Decode(t, w)
		if w.Code != 200 || body["token_type"] != "DPoP" {
			t.Fatalf("%d %v", w.Code, body)
		}
		parts := strings.Split(body["access_token"].(string), ".")
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			Cnf map[string]string `json:"cnf"`
		}
		if err := json.Unmarshal(raw, &claims); err != nil || claims.Cnf["jkt"] != p.jkt(t) {
			t.Errorf("JWT claims %s: cnf %v, want jkt %q", raw, claims.Cnf, p.jkt(t))
		}
	})
	t.Run("no proof: bearer", func(t *testing.T) {
		d := newDPoPHarness(t, false)
		w := d.post("machine", oauth2test.SecretMachine)
		if body := oauth2test.Decode(t, w); w.Code != 200 || body["token_type"] != TokenTypeBearer {
			t.Fatalf("%d %v", w.Code, body)
		}
		if rec := d.onlyToken(t); rec.JKT != "" {
			t.Errorf("bearer token stored with jkt %q", rec.JKT)
		}
	})
	t.Run("dpop_bound_access_tokens client without a proof", func(t *testing.T) {
		d := newDPoPHarness(t, false)
		d.env.DB.Clients["machine"].DPoPBoundAccessTokens = true
		w := d.post("machine", oauth2test.SecretMachine)
		if body := oauth2test.Decode(t, w); w.Code != 400 || body["error"] != "invalid_dpop_proof" {
			t.Fatalf("%d %v", w.Code, body)
		}
	})
	t.Run("bad proof issues nothing", func(t *testing.T) {
		d, p := newDPoPHarness(t, false), newProver(t)
		w := d.post("machine", oauth2test.SecretMachine, p.sign(t, with(proofClaims("x"), "htm", "GET"), nil))
		if body := oauth2test.Decode(t, w); w.Code != 400 || body["error"] != "invalid_dpop_proof" {
			t.Fatalf("%d %v", w.Code, body)
		}
		d.env.DB.WithTokens(func(m map[string]*token.AccessRecord) {
			if len(m) != 0 {
				t.Errorf("%d tokens issued on a refused proof", len(m))
			}
		})
	})
	t.Run("unauthenticated client spends no jti", func(t *testing.T) {
		d, p := newDPoPHarness(t, false), newProver(t)
		w := d.post("machine", "wrong", p.proof(t, "spend"))
		if w.Code != 401 || d.replay.n != 0 {
			t.Fatalf("%d, %d replay writes", w.Code, d.replay.n)
		}
	})
	t.Run("two DPoP headers", func(t *testing.T) {
		d, p := newDPoPHarness(t, false), newProver(t)
		w := d.post("machine", oauth2test.SecretMachine, p.proof(t, "a"), p.proof(t, "b"))
		if body := oauth2test.Decode(t, w); w.Code != 400 || body["error"] != "invalid_dpop_proof" {
			t.Fatalf("%d %v", w.Code, body)
		}
	})
	t.Run("nonce required", func(t *testing.T) {
		d, p := newDPoPHarness(t, true), newProver(t)
		w := d.post("machine", oauth2test.SecretMachine, p.proof(t, "n-1"))
		nonce := w.Header().Get(HeaderDPoPNonce)
		if body := oauth2test.Decode(t, w); w.Code != 400 || body["error"] != "use_dpop_nonce" || nonce == "" {
			t.Fatalf("%d %v nonce %q", w.Code, body, nonce)
		}
		w = d.post("machine", oauth2test.SecretMachine, p.sign(t, with(proofClaims("n-2"), "nonce", nonce), nil))
		if body := oauth2test.Decode(t, w); w.Code != 200 || body["token_type"] != "DPoP" || w.Header().Get(HeaderDPoPNonce) == "" {
			t.Fatalf("%d %v, next nonce %q", w.Code, body, w.Header().Get(HeaderDPoPNonce))
		}
	})
}

func TestTokenEndpointDPoPDisabled(t *testing.T) {
	env := oauth2test.NewEnv(t)
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := rd.OAuth((&TokenEndpoint{Auth: fakeAuth{clients: env.DB, hasher: env.Hasher}, Grants: map[string]Grant{
		GrantClientCredentials: &ClientCredentials{Issuer: env.Issuer, Config: env.Config, Now: env.Clock.Now, Rand: rand.Reader},
	}}).Handle)
	d := &dpopHarness{env: env, h: h}
	// The header is ignored: a bearer token.
	w := d.post("machine", oauth2test.SecretMachine, "garbage")
	if body := oauth2test.Decode(t, w); w.Code != 200 || body["token_type"] != TokenTypeBearer {
		t.Fatalf("%d %v", w.Code, body)
	}
	// A client that requires DPoP cannot be served.
	env.DB.Clients["machine"].DPoPBoundAccessTokens = true
	w = d.post("machine", oauth2test.SecretMachine)
	if body := oauth2test.Decode(t, w); w.Code != 400 || body["error"] != "invalid_dpop_proof" {
		t.Fatalf("%d %v", w.Code, body)
	}
}
