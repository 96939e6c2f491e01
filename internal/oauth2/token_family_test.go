package oauth2

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// fakeFlows is a token.FlowStore in memory with the interface's semantics;
// rotated access records go into the harness's oauth2test.DB, so introspection and
// family revocation see them.
type fakeFlows struct {
	mu      sync.Mutex
	db      *oauth2test.DB
	codes   map[string]*token.CodeRecord
	refresh map[string]*token.RefreshRecord
	n       map[string]int // calls per method
}

func newFakeFlows(db *oauth2test.DB) *fakeFlows {
	return &fakeFlows{db: db, codes: map[string]*token.CodeRecord{},
		refresh: map[string]*token.RefreshRecord{}, n: map[string]int{}}
}

func (f *fakeFlows) count(m string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.n[m] }
func (f *fakeFlows) resetCounts()       { f.mu.Lock(); defer f.mu.Unlock(); f.n = map[string]int{} }

func (f *fakeFlows) CreateCode(_ context.Context, c *token.CodeRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["CreateCode"]++
	cp := *c
	f.codes[string(c.Digest)] = &cp
	return nil
}

func (f *fakeFlows) ConsumeCode(_ context.Context, d []byte, now time.Time) (*token.CodeRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["ConsumeCode"]++
	c, ok := f.codes[string(d)]
	if !ok {
		return nil, storage.ErrNotFound
	}
	if c.UsedAt != nil {
		cp := *c
		return &cp, storage.ErrAlreadyUsed
	}
	c.UsedAt = &now
	cp := *c
	return &cp, nil
}

func (f *fakeFlows) CreateRefresh(_ context.Context, r *token.RefreshRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["CreateRefresh"]++
	cp := *r
	f.refresh[string(r.Digest)] = &cp
	return nil
}

func (f *fakeFlows) GetRefresh(_ context.Context, d []byte) (*token.RefreshRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["GetRefresh"]++
	r, ok := f.refresh[string(d)]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *r
	return &cp, nil
}

func (f *fakeFlows) RotateRefresh(_ context.Context, old []byte, now time.Time, g token.Grace, next *token.RefreshRecord, at *token.AccessRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["RotateRefresh"]++
	r, ok := f.refresh[string(old)]
	if !ok {
		return storage.ErrNotFound
	}
	if r.RevokedAt != nil {
		return storage.ErrAlreadyUsed
	}
	if r.UsedAt != nil {
		inGrace := g.Period > 0 && now.Sub(*r.UsedAt) <= g.Period && (g.ReuseCount == 0 || r.UseCount <= g.ReuseCount)
		if !inGrace {
			return storage.ErrAlreadyUsed
		}
	} else {
		r.UsedAt = &now
	}
	r.UseCount++
	cp := *next
	f.refresh[string(next.Digest)] = &cp
	if at != nil {
		f.db.WithTokens(func(tokens map[string]*token.AccessRecord) { tokens[string(at.Digest)] = at })
	}
	return nil
}

func (f *fakeFlows) RevokeRefresh(_ context.Context, d []byte, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["RevokeRefresh"]++
	r, ok := f.refresh[string(d)]
	if !ok || r.ClientID != clientID {
		return storage.ErrNotFound
	}
	r.RevokedAt = &at
	return nil
}

func (f *fakeFlows) RevokeFamily(_ context.Context, requestID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n["RevokeFamily"]++
	for _, r := range f.refresh {
		if r.RequestID == requestID && r.RevokedAt == nil {
			r.RevokedAt = &at
		}
	}
	for _, c := range f.codes {
		if c.RequestID == requestID && c.UsedAt == nil {
			c.UsedAt = &at
		}
	}
	f.db.WithTokens(func(tokens map[string]*token.AccessRecord) {
		for _, a := range tokens {
			if a.RequestID == requestID && a.RevokedAt == nil {
				a.RevokedAt = &at
			}
		}
	})
	return nil
}

var _ token.FlowStore = (*fakeFlows)(nil)

// flowHarness adds the two grants, and refresh-aware introspection and
// revocation, to the package harness.
type flowHarness struct {
	*harness
	flows      *fakeFlows
	idKeys     *oauth2test.Keys
	codeFormat token.OpaqueFormat
	rtFormat   token.OpaqueFormat
	token      http.Handler
	intro      http.Handler
	revoke     http.Handler
}

const secretWeb = "web-secret"

func newFlowHarness(t *testing.T) *flowHarness {
	t.Helper()
	h := &flowHarness{harness: newHarness(t)}
	hash, err := h.hasher.Hash(secretWeb)
	if err != nil {
		t.Fatal(err)
	}
	acRT := []string{GrantAuthorizationCode, GrantRefreshToken}
	h.db.Clients["web"] = &client.Client{ID: "web", SecretHash: hash, GrantTypes: acRT, Scope: "openid offline read write"}
	h.db.Clients["web2"] = &client.Client{ID: "web2", SecretHash: hash, GrantTypes: acRT, Scope: "openid offline read"}
	h.db.Clients["noref"] = &client.Client{ID: "noref", SecretHash: hash, GrantTypes: []string{GrantAuthorizationCode}}
	h.db.Clients["spa"] = &client.Client{ID: "spa", GrantTypes: acRT, TokenEndpointAuthMethod: client.AuthNone}
	h.cfg.TTL.IDToken = 30 * time.Minute
	h.cfg.TTL.RefreshToken = 24 * time.Hour

	h.flows = newFakeFlows(h.db)
	h.idKeys = oauth2test.NewKeys(t, jwk.SetIDToken)
	mac := [][]byte{[]byte("flow-mac-key-0123456789abcdef012")}
	h.codeFormat = token.OpaqueFormat{Prefix: token.PrefixCode, MACKeys: mac, Rand: rand.Reader}
	h.rtFormat = token.OpaqueFormat{Prefix: token.PrefixRefreshToken, MACKeys: mac, Rand: rand.Reader}
	issuer := &token.Issuer{Store: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now}
	ids := &token.IDTokens{Signer: h.idKeys, Keys: h.idKeys, Now: h.clock.Now}
	getCfg := func() *config.Config { return h.cfg }
	// The hooks are wired but called only when a test sets their URLs.
	hooks := newHooks(getCfg)
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.token = rd.OAuth((&TokenEndpoint{Auth: h.auth, Grants: map[string]Grant{
		GrantAuthorizationCode: &AuthorizationCode{Codes: h.flows, Issuer: issuer, IDTokens: ids,
			CodeFormat: h.codeFormat, RefreshFormat: h.rtFormat, Config: getCfg, Now: h.clock.Now, Hooks: hooks},
		GrantRefreshToken: &RefreshToken{Codes: h.flows, Issuer: issuer, IDTokens: ids,
			RefreshFormat: h.rtFormat, Config: getCfg, Now: h.clock.Now, Hooks: hooks},
	}}).Handle)
	h.intro = rd.OAuth((&Introspection{Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Codes: h.flows,
		RefreshFormat: h.rtFormat, Config: getCfg, Now: h.clock.Now}).Handle)
	h.revoke = rd.OAuth((&Revocation{Auth: h.auth, Tokens: h.db, Opaque: h.opaque, JWT: h.jwt,
		Codes: h.flows, RefreshFormat: h.rtFormat, Now: h.clock.Now}).Handle)
	return h
}

const (
	redirectWeb = "https://app.example/cb"
	verifier    = "dBjftJeZ4CVP-mJ92K9qgdJZ0Qp1r8xGq8Zt9Ey2XXaQ"
)

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// codeOpts adjusts the code a test redeems.
type codeOpts func(*token.CodeRecord)

// mintCode stores a code the way the authorization endpoint would.
func (h *flowHarness) mintCode(t *testing.T, clientID string, opts ...codeOpts) string {
	t.Helper()
	raw, err := h.codeFormat.New()
	if err != nil {
		t.Fatal(err)
	}
	session, _ := json.Marshal(token.GrantSession{
		Nonce: "n-0S6_WzA2Mj", AuthTime: oauth2test.T0.Add(-time.Minute), RequestedAt: oauth2test.T0.Add(-2 * time.Minute),
		ACR: "urn:acr:pwd", AMR: []string{"pwd"}, SessionID: "sid-1",
		IDToken: map[string]any{"email": "alice@example.com", "sub": "forged"}, AccessToken: map[string]any{"tenant": "acme"},
	})
	rec := &token.CodeRecord{
		Digest: token.Digest(raw), ClientID: clientID, RequestID: "req-" + clientID, RedirectURI: redirectWeb,
		CodeChallenge: s256(verifier), CodeChallengeMethod: PKCEMethodS256, Subject: "alice",
		Scopes: []string{"openid", "offline", "read"}, Audience: []string{"https://api.example"},
		Session: session, IssuedAt: oauth2test.T0, ExpiresAt: oauth2test.T0.Add(10 * time.Minute),
	}
	for _, o := range opts {
		o(rec)
	}
	if err := h.flows.CreateCode(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	h.flows.resetCounts()
	return raw
}

// exchangeForm is the token request for code with the right redirect and verifier.
func exchangeForm(code string) url.Values {
	return url.Values{"grant_type": {GrantAuthorizationCode}, "code": {code},
		"redirect_uri": {redirectWeb}, "code_verifier": {verifier}}
}

func (h *flowHarness) post(clientID string, form url.Values) (int, map[string]any) {
	q := oauth2test.Req{Form: form.Encode()}
	if clientID == "spa" {
		form.Set("client_id", "spa")
		q.Form = form.Encode()
	} else {
		q.User, q.Pass = clientID, secretWeb
	}
	w := oauth2test.Do(h.token, "POST", "/oauth2/token", q)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

// tokens runs a successful exchange.
func (h *flowHarness) tokens(t *testing.T, clientID string, form url.Values) map[string]any {
	t.Helper()
	code, m := h.post(clientID, form)
	if code != 200 {
		t.Fatalf("token request: %d %v", code, m)
	}
	return m
}

// verifyIDToken checks the signature against the fake key source and
// returns the claims.
func (h *flowHarness) verifyIDToken(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := h.idKeys.PublicKeys(context.Background(), jwk.SetIDToken)
	payload, err := tok.Verify(set.Keys[0])
	if err != nil {
		t.Fatalf("id token signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func atHash(access string) string {
	sum := sha256.Sum256([]byte(access))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func (h *flowHarness) accessRecord(t *testing.T, raw string) *token.AccessRecord {
	t.Helper()
	rec, ok := h.db.Tokens[string(token.Digest(raw))]
	if !ok {
		t.Fatalf("access token not stored")
	}
	return rec
}

func TestLifespanAndRefreshExpiry(t *testing.T) {
	if got := Lifespan(oauth2test.Dur(time.Minute), time.Hour, 2*time.Hour); got != time.Minute {
		t.Errorf("client override: %v", got)
	}
	if got := Lifespan(nil, time.Hour, 2*time.Hour); got != time.Hour {
		t.Errorf("ttl: %v", got)
	}
	if got := Lifespan(nil, 0, 2*time.Hour); got != 2*time.Hour {
		t.Errorf("fallback: %v", got)
	}
	cases := []struct {
		name     string
		override *client.Duration
		ttl      time.Duration
		want     time.Time
	}{
		{"never (-1)", nil, -1, neverExpires},
		{"unset", nil, 0, oauth2test.T0.Add(defaultRefreshTTL)},
		{"ttl", nil, time.Hour, oauth2test.T0.Add(time.Hour)},
		{"client wins over never", oauth2test.Dur(time.Minute), -1, oauth2test.T0.Add(time.Minute)},
	}
	for _, tc := range cases {
		if got := refreshExpiry(oauth2test.T0, tc.override, tc.ttl); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNarrowScopes(t *testing.T) {
	granted := []string{"openid", "offline", "read"}
	if got, err := narrowScopes(nil, granted); err != nil || !slices.Equal(got, granted) {
		t.Errorf("omitted scope must mean the original: %v %v", got, err)
	}
	if got, err := narrowScopes([]string{"read", "read"}, granted); err != nil || !slices.Equal(got, []string{"read"}) {
		t.Errorf("narrower: %v %v", got, err)
	}
	for _, wider := range [][]string{{"write"}, {"read", "admin"}, {"read.*"}} {
		if _, err := narrowScopes(wider, granted); err == nil {
			t.Errorf("%v: wider scope accepted", wider)
		}
	}
}

// Each grant reads its own client lifespans: the authorization_code_grant_*
// ones for the exchange, the refresh_token_grant_* ones for a refresh.
func TestClientLifespansPerGrant(t *testing.T) {
	h := newFlowHarness(t)
	c := h.db.Clients["web"]
	c.Lifespans = client.Lifespans{
		AuthorizationCodeGrantAccessTokenLifespan:  oauth2test.Dur(5 * time.Minute),
		AuthorizationCodeGrantIDTokenLifespan:      oauth2test.Dur(7 * time.Minute),
		AuthorizationCodeGrantRefreshTokenLifespan: oauth2test.Dur(2 * time.Hour),
		RefreshTokenGrantAccessTokenLifespan:       oauth2test.Dur(11 * time.Minute),
		RefreshTokenGrantIDTokenLifespan:           oauth2test.Dur(13 * time.Minute),
		RefreshTokenGrantRefreshTokenLifespan:      oauth2test.Dur(3 * time.Hour),
		// Lifespans of other grants must not leak into these two.
		ClientCredentialsGrantAccessTokenLifespan: oauth2test.Dur(time.Minute),
		JwtBearerGrantAccessTokenLifespan:         oauth2test.Dur(time.Minute),
		ImplicitGrantIDTokenLifespan:              oauth2test.Dur(time.Minute),
	}
	first := h.tokens(t, "web", exchangeForm(h.mintCode(t, "web")))
	h.clock.Add(time.Minute)
	second := h.tokens(t, "web", refreshForm(first["refresh_token"].(string)))
	t1 := oauth2test.T0.Add(time.Minute)

	cases := []struct {
		name                         string
		m                            map[string]any
		issued                       time.Time
		access, idToken, refreshLife time.Duration
	}{
		{"authorization_code", first, oauth2test.T0, 5 * time.Minute, 7 * time.Minute, 2 * time.Hour},
		{"refresh_token", second, t1, 11 * time.Minute, 13 * time.Minute, 3 * time.Hour},
	}
	for _, tc := range cases {
		if tc.m["expires_in"] != float64(tc.access/time.Second) {
			t.Errorf("%s: expires_in = %v", tc.name, tc.m["expires_in"])
		}
		if rec := h.accessRecord(t, tc.m["access_token"].(string)); !rec.ExpiresAt.Equal(tc.issued.Add(tc.access)) {
			t.Errorf("%s: access token expires %v", tc.name, rec.ExpiresAt)
		}
		if exp := h.verifyIDToken(t, tc.m["id_token"].(string))["exp"]; exp != float64(tc.issued.Add(tc.idToken).Unix()) {
			t.Errorf("%s: id token exp = %v", tc.name, exp)
		}
		r := h.flows.refresh[string(token.Digest(tc.m["refresh_token"].(string)))]
		if !r.ExpiresAt.Equal(tc.issued.Add(tc.refreshLife)) {
			t.Errorf("%s: refresh token expires %v", tc.name, r.ExpiresAt)
		}
	}
}
