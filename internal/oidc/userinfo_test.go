package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Fakes: only the methods userinfo calls; the embedded nil interfaces make
// any other call panic, which would show a hidden dependency.

type fakeTokens struct {
	token.Store
	recs  map[string]*token.AccessRecord // by string(digest)
	reads int
}

func (f *fakeTokens) GetAccess(_ context.Context, d []byte) (*token.AccessRecord, error) {
	f.reads++
	if r, ok := f.recs[string(d)]; ok {
		return r, nil
	}
	return nil, storage.ErrNotFound
}

type fakeConsents map[string]*flow.ConsentSession

func (f fakeConsents) GetConsent(_ context.Context, id string) (*flow.ConsentSession, error) {
	if c, ok := f[id]; ok {
		return c, nil
	}
	return nil, storage.ErrNotFound
}

type fakeClients struct {
	client.Store
	m map[string]*client.Client
}

func (f fakeClients) GetClient(_ context.Context, id string) (*client.Client, error) {
	if c, ok := f.m[id]; ok {
		return c, nil
	}
	return nil, storage.ErrNotFound
}

type fixedSigner struct {
	signer jose.Signer
	pub    jose.JSONWebKey
}

func (s fixedSigner) Signer(context.Context, string) (jose.Signer, jose.JSONWebKey, error) {
	return s.signer, s.pub, nil
}

var userinfoNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type userinfoFixture struct {
	u      *Userinfo
	tokens *fakeTokens
	pub    jose.JSONWebKey
	opaque *token.Opaque
}

// mint stores a token of client for alice with the given scopes and
// returns the raw token.
func (fx *userinfoFixture) mint(t *testing.T, clientID, requestID string, scopes ...string) (string, *token.AccessRecord) {
	t.Helper()
	raw, rec, err := fx.opaque.Mint(context.Background(), token.Claims{
		ClientID: clientID, Subject: "alice", Scopes: scopes, RequestID: requestID,
		IssuedAt: userinfoNow.Add(-time.Minute), ExpiresAt: userinfoNow.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.tokens.recs[string(rec.Digest)] = rec
	return raw, rec
}

func newUserinfoFixture(t *testing.T) *userinfoFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	opaque := &token.Opaque{MACKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}, Rand: rand.Reader}
	tokens := &fakeTokens{recs: map[string]*token.AccessRecord{}}
	cfg := &config.Config{}
	cfg.URLs.Self.Issuer = "https://issuer.example/"
	consents := fakeConsents{
		"flow-1": {ID: "flow-1", Session: json.RawMessage(`{"access_token":{"secret_at":"x"},` +
			`"id_token":{"name":"Zoë","email":"z@example.com","sub":"mallory","iss":"https://evil","aud":"evil","exp":1}}`)},
		"flow-bare": {ID: "flow-bare"},
	}
	clients := fakeClients{m: map[string]*client.Client{
		"app":    {ID: "app"},
		"signed": {ID: "signed", UserinfoSignedResponseAlg: "ES256"},
		"none":   {ID: "none", UserinfoSignedResponseAlg: "none"},
	}}
	u := &Userinfo{
		Tokens: tokens, Consents: consents, Clients: clients, Opaque: opaque,
		IDTokens: &token.IDTokens{Signer: fixedSigner{signer, pub}, Now: func() time.Time { return userinfoNow }},
		Config:   func() *config.Config { return cfg },
		Now:      func() time.Time { return userinfoNow },
	}
	return &userinfoFixture{u: u, tokens: tokens, pub: pub, opaque: opaque}
}

func (fx *userinfoFixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.OAuth(fx.u.Handle).ServeHTTP(w, r)
	return w
}

func bearerGet(raw string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/userinfo", nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	return r
}

func formPost(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/userinfo", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func decodeBody(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return m
}

func TestUserinfoAnswersSubjectAndConsentClaims(t *testing.T) {
	fx := newUserinfoFixture(t)
	raw, _ := fx.mint(t, "app", "flow-1", "openid", "email")
	lower := bearerGet(raw)
	lower.Header.Set("Authorization", "bEaReR "+raw) // the scheme is case insensitive
	for name, r := range map[string]*http.Request{
		"header":          bearerGet(raw),
		"header any case": lower,
		"form body":       formPost("access_token=" + raw),
	} {
		t.Run(name, func(t *testing.T) {
			w := fx.serve(r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			got := decodeBody(t, w)
			// Reserved claims set by the consent app are dropped: the subject
			// is the token's, and iss/aud/exp never appear unsigned.
			want := map[string]any{"sub": "alice", "name": "Zoë", "email": "z@example.com"}
			if len(got) != len(want) {
				t.Errorf("claims = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestUserinfoWithoutConsentClaims(t *testing.T) {
	fx := newUserinfoFixture(t)
	for _, requestID := range []string{"", "flow-bare", "flow-gone"} {
		raw, _ := fx.mint(t, "none", requestID, "openid")
		w := fx.serve(bearerGet(raw))
		if w.Code != http.StatusOK {
			t.Fatalf("%q: status %d: %s", requestID, w.Code, w.Body)
		}
		// "none" means unsigned, like no algorithm at all.
		if got := decodeBody(t, w); len(got) != 1 || got["sub"] != "alice" {
			t.Errorf("%q: claims = %v, want only sub", requestID, got)
		}
	}
}

func TestUserinfoSignedResponse(t *testing.T) {
	fx := newUserinfoFixture(t)
	raw, _ := fx.mint(t, "signed", "flow-1", "openid")
	w := fx.serve(bearerGet(raw))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/jwt" {
		t.Errorf("Content-Type = %q", ct)
	}
	jws, err := jose.ParseSigned(w.Body.String(), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(fx.pub)
	if err != nil {
		t.Fatalf("signature does not verify with the ID token key: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	aud, _ := got["aud"].([]any)
	if got["iss"] != "https://issuer.example/" || len(aud) != 1 || aud[0] != "signed" ||
		got["sub"] != "alice" || got["name"] != "Zoë" {
		t.Errorf("claims = %v", got)
	}
	if _, ok := got["exp"]; ok {
		t.Errorf("consent's exp leaked into the signed answer: %v", got)
	}
}

// TestUserinfoRefusals covers RFC 6750 section 3: status, error code and
// the WWW-Authenticate challenge for each way a request can be refused.
func TestUserinfoRefusals(t *testing.T) {
	fx := newUserinfoFixture(t)
	live, _ := fx.mint(t, "app", "flow-1", "openid")
	noOpenID, _ := fx.mint(t, "app", "flow-1", "email")
	revoked, rrec := fx.mint(t, "app", "flow-1", "openid")
	at := userinfoNow.Add(-time.Second)
	rrec.RevokedAt = &at
	expired, erec := fx.mint(t, "app", "flow-1", "openid")
	erec.ExpiresAt = userinfoNow
	orphan, _ := fx.mint(t, "deleted-client", "flow-1", "openid")
	unknown, _, _ := fx.opaque.Mint(context.Background(), token.Claims{}) // valid MAC, never stored
	forged := live[:len(live)-2] + "xx"
	if strings.HasSuffix(live, "xx") {
		forged = live[:len(live)-2] + "yy"
	}

	both := formPost("access_token=" + live)
	both.Header.Set("Authorization", "Bearer "+live)
	inQuery := httptest.NewRequest(http.MethodGet, "/userinfo?access_token="+live, nil)
	postQuery := formPost("")
	postQuery.URL.RawQuery = "access_%74oken=" + live
	twoHeaders := bearerGet(live)
	twoHeaders.Header.Add("Authorization", "Bearer "+live)
	basic := httptest.NewRequest(http.MethodGet, "/userinfo", nil)
	basic.SetBasicAuth("app", "secret")
	jsonBody := httptest.NewRequest(http.MethodPost, "/userinfo", strings.NewReader(`{"access_token":"`+live+`"}`))
	jsonBody.Header.Set("Content-Type", "application/json")

	cases := []struct {
		name   string
		r      *http.Request
		status int
		code   string // "" means a bare "Bearer" challenge
	}{
		{"no token", httptest.NewRequest(http.MethodGet, "/userinfo", nil), 401, ""},
		{"other scheme", basic, 401, ""},
		{"token in JSON body", jsonBody, 401, ""},
		{"empty bearer", bearerGet(""), 400, "invalid_request"},
		{"header and body", both, 400, "invalid_request"},
		{"query", inQuery, 400, "invalid_request"},
		{"query on POST, encoded name", postQuery, 400, "invalid_request"},
		{"repeated header", twoHeaders, 400, "invalid_request"},
		{"repeated form parameter", formPost("access_token=" + live + "&access_token=" + live), 400, "invalid_request"},
		{"empty form token", formPost("access_token="), 400, "invalid_request"},
		{"forged", bearerGet(forged), 401, "invalid_token"},
		{"garbage", bearerGet("not-a-token"), 401, "invalid_token"},
		{"huge", bearerGet(strings.Repeat("a", maxBearerLen+1)), 401, "invalid_token"},
		{"unknown", bearerGet(unknown), 401, "invalid_token"},
		{"revoked", bearerGet(revoked), 401, "invalid_token"},
		{"expired", bearerGet(expired), 401, "invalid_token"},
		{"client deleted", bearerGet(orphan), 401, "invalid_token"},
		{"no openid scope", bearerGet(noOpenID), 403, "insufficient_scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := fx.serve(c.r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			ch := w.Header().Get("WWW-Authenticate")
			if c.code == "" {
				if ch != "Bearer" {
					t.Errorf("WWW-Authenticate = %q, want a bare Bearer challenge", ch)
				}
				return
			}
			if !strings.HasPrefix(ch, `Bearer error="`+c.code+`", error_description="`) {
				t.Errorf("WWW-Authenticate = %q, want error %s", ch, c.code)
			}
			if body := decodeBody(t, w); body["error"] != c.code {
				t.Errorf("body error = %v, want %s", body["error"], c.code)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
		})
	}
}

func TestUserinfoForgedTokenCostsNoRead(t *testing.T) {
	fx := newUserinfoFixture(t)
	live, _ := fx.mint(t, "app", "", "openid")
	flip := "A"
	if strings.HasSuffix(live, "A") {
		flip = "B"
	}
	fx.serve(bearerGet(live[:len(live)-1] + flip))
	fx.serve(bearerGet("signet_at_x.y"))
	if fx.tokens.reads != 0 {
		t.Errorf("forged tokens cost %d storage reads, want 0", fx.tokens.reads)
	}
}

func TestChallengeCannotBeBrokenOut(t *testing.T) {
	got := challenge("invalid_request", "bad \"quote\" \\ and\r\nnewline é")
	if want := `Bearer error="invalid_request", error_description="bad quote  andnewline "`; got != want {
		t.Errorf("challenge = %q, want %q", got, want)
	}
}
