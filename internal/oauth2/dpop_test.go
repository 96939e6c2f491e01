package oauth2

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The proof checks of RFC 9449 section 4.3, one row per attack.

const tokenURL = "https://issuer.example/oauth2/token"

var dpopT0 = oauth2test.T0

// prover makes DPoP proofs with one key.
type prover struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	jwk jose.JSONWebKey // public half
}

func newProver(t testing.TB) *prover {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &prover{key: k, alg: jose.ES256, jwk: jose.JSONWebKey{Key: k.Public()}}
}

// claims are a valid proof's claims for the token endpoint at dpopT0.
func proofClaims(jti string) map[string]any {
	return map[string]any{"jti": jti, "htm": "POST", "htu": tokenURL, "iat": dpopT0.Unix()}
}

// sign signs claims with p's key, embedding header (typ and jwk default to
// a valid proof's; a nil value deletes the header).
func (p *prover) sign(t testing.TB, claims map[string]any, header map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	h := map[string]any{"typ": "dpop+jwt", "jwk": p.jwk}
	for k, v := range header {
		h[k] = v
	}
	for k, v := range h {
		if v != nil {
			opts.WithHeader(jose.HeaderKey(k), v)
		}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: p.alg, Key: p.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (p *prover) proof(t testing.TB, jti string) string { return p.sign(t, proofClaims(jti), nil) }

func (p *prover) jkt(t testing.TB) string {
	t.Helper()
	jkt, err := thumbprint(&p.jwk)
	if err != nil {
		t.Fatal(err)
	}
	return jkt
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// handMade builds a compact JWS by hand, for headers no honest signer makes.
func handMade(header, claims any, sig []byte) string {
	return b64(header) + "." + b64(claims) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := oauth2test.ErrCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

func TestParseDPoPProof(t *testing.T) {
	p, other := newProver(t), newProver(t)
	priv := jose.JSONWebKey{Key: p.key}
	pubJSON, _ := json.Marshal(p.jwk)
	hmacSig := hmac.New(sha256.New, pubJSON)
	hsHeader := map[string]any{"alg": "HS256", "typ": "dpop+jwt", "jwk": p.jwk}
	hmacSig.Write([]byte(b64(hsHeader) + "." + b64(proofClaims("hs"))))
	good := p.proof(t, "tampered")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64(with(proofClaims("tampered"), "htm", "GET")) + "." + parts[2]
	long := strings.Repeat("j", maxDPoPJTILen+1)
	token := "an-access-token"

	cases := []struct {
		name   string
		raw    string
		target DPoPTarget
		ok     bool
	}{
		{"valid", p.proof(t, "j1"), DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"not a JWS", "not.a.jws", DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"JWS JSON serialization", `{"payload":"e30","signatures":[]}`, DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"typ JWT", p.sign(t, proofClaims("j"), map[string]any{"typ": "JWT"}), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"typ missing", p.sign(t, proofClaims("j"), map[string]any{"typ": nil}), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"alg none", handMade(map[string]any{"alg": "none", "typ": "dpop+jwt", "jwk": p.jwk}, proofClaims("n"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"HS256 keyed with the public jwk", handMade(hsHeader, proofClaims("hs"), hmacSig.Sum(nil)),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"private key in jwk", p.sign(t, proofClaims("j"), map[string]any{"jwk": priv}), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"no jwk", p.sign(t, proofClaims("j"), map[string]any{"jwk": nil}), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"jwk of another key", p.sign(t, proofClaims("j"), map[string]any{"jwk": other.jwk}), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"tampered claims", tampered, DPoPTarget{Method: "GET", URL: tokenURL}, false},
		{"no jti", p.sign(t, with(proofClaims(""), "jti", nil), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"no htm", p.sign(t, with(proofClaims("j"), "htm", nil), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"no htu", p.sign(t, with(proofClaims("j"), "htu", nil), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"no iat", p.sign(t, with(proofClaims("j"), "iat", nil), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"iat a string", p.sign(t, with(proofClaims("j"), "iat", "1700000000"), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"jti too long", p.proof(t, long), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"htm of another method", p.proof(t, "j"), DPoPTarget{Method: "GET", URL: tokenURL}, false},
		{"htm lower case", p.sign(t, with(proofClaims("j"), "htm", "post"), nil), DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"htu of another path", p.sign(t, with(proofClaims("j"), "htu", "https://issuer.example/userinfo"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"htu of another host", p.sign(t, with(proofClaims("j"), "htu", "https://evil.example/oauth2/token"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"htu over http", p.sign(t, with(proofClaims("j"), "htu", "http://issuer.example/oauth2/token"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"htu with query and fragment", p.sign(t, with(proofClaims("j"), "htu", tokenURL+"?a=b#frag"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"htu normalised", p.sign(t, with(proofClaims("j"), "htu", "HTTPS://Issuer.Example:443/oauth2/%74oken"), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"iat too old", p.sign(t, with(proofClaims("j"), "iat", dpopT0.Add(-61*time.Second).Unix()), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"iat in the future", p.sign(t, with(proofClaims("j"), "iat", dpopT0.Add(61*time.Second).Unix()), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, false},
		{"iat at the window's edge", p.sign(t, with(proofClaims("j"), "iat", dpopT0.Add(-60*time.Second).Unix()), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"iat fractional", p.sign(t, with(proofClaims("j"), "iat", float64(dpopT0.Unix())+0.5), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"ath missing with a token", p.proof(t, "j"), DPoPTarget{Method: "POST", URL: tokenURL, AccessToken: token}, false},
		{"ath of another token", p.sign(t, with(proofClaims("j"), "ath", accessTokenHash("other")), nil),
			DPoPTarget{Method: "POST", URL: tokenURL, AccessToken: token}, false},
		{"ath right", p.sign(t, with(proofClaims("j"), "ath", accessTokenHash(token)), nil),
			DPoPTarget{Method: "POST", URL: tokenURL, AccessToken: token}, true},
		{"ath without a token", p.sign(t, with(proofClaims("j"), "ath", accessTokenHash(token)), nil),
			DPoPTarget{Method: "POST", URL: tokenURL}, true},
		{"oversized", strings.Repeat("a", maxDPoPProofLen+1), DPoPTarget{Method: "POST", URL: tokenURL}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			proof, _, err := ParseDPoPProof(c.raw, c.target, dpopT0, time.Minute)
			if !c.ok {
				wantCode(t, err, "invalid_dpop_proof")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if proof.JKT != p.jkt(t) {
				t.Errorf("jkt = %q, want %q", proof.JKT, p.jkt(t))
			}
		})
	}
}

// TestDPoPAlgorithms: every advertised algorithm verifies.
func TestDPoPAlgorithms(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, alg := range DPoPSigningAlgs() {
		var k crypto.Signer
		switch alg[:2] {
		case "RS", "PS":
			k = rsaKey
		case "ES":
			k = map[string]crypto.Signer{"ES256": newProver(t).key, "ES384": p384, "ES512": p521}[alg]
		default:
			k = ed
		}
		p := &prover{key: k, alg: jose.SignatureAlgorithm(alg), jwk: jose.JSONWebKey{Key: k.Public()}}
		if _, _, err := ParseDPoPProof(p.proof(t, alg), DPoPTarget{Method: "POST", URL: tokenURL}, dpopT0, time.Minute); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestSameHTU(t *testing.T) {
	cases := []struct {
		htu, endpoint string
		same          bool
	}{
		{"https://a.example/oauth2/token", "https://a.example/oauth2/token", true},
		{"https://A.EXAMPLE/oauth2/token", "https://a.example/oauth2/token", true},
		{"https://a.example:443/oauth2/token", "https://a.example/oauth2/token", true},
		{"http://a.example:80/x", "http://a.example/x", true},
		{"https://a.example/%6Fauth2/token", "https://a.example/oauth2/token", true},
		{"https://a.example", "https://a.example/", true},
		{"https://a.example/oauth2/token?x=1#y", "https://a.example/oauth2/token", true},
		{"http://[::1]:4444/oauth2/token", "http://[::1]:4444/oauth2/token", true},
		{"https://a.example:8443/oauth2/token", "https://a.example/oauth2/token", false},
		{"https://a.example/oauth2/token/", "https://a.example/oauth2/token", false},
		{"https://a.example/OAUTH2/token", "https://a.example/oauth2/token", false},
		{"https://user@a.example/oauth2/token", "https://a.example/oauth2/token", false},
		{"/oauth2/token", "https://a.example/oauth2/token", false},
		{"ftp://a.example/oauth2/token", "ftp://a.example/oauth2/token", false},
		{"https://a.example.evil/oauth2/token", "https://a.example/oauth2/token", false},
	}
	for _, c := range cases {
		if got := sameHTU(c.htu, c.endpoint); got != c.same {
			t.Errorf("sameHTU(%q, %q) = %v, want %v", c.htu, c.endpoint, got, c.same)
		}
	}
}

// replayFake is a ReplayStore: single use per key.
type replayFake struct {
	mu   sync.Mutex
	used map[string]time.Time
	n    int
}

func (f *replayFake) UseJTI(_ context.Context, key string, expires time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.used == nil {
		f.used = map[string]time.Time{}
	}
	if _, ok := f.used[key]; ok {
		return storage.ErrAlreadyUsed
	}
	f.used[key] = expires
	return nil
}

func newVerifier(nonces bool) (*DPoPVerifier, *replayFake, *oauth2test.Clock) {
	clock := oauth2test.NewClock(dpopT0)
	replay := &replayFake{}
	v := &DPoPVerifier{Replay: replay, MaxAge: time.Minute, Now: clock.Now}
	if nonces {
		v.Nonces = &DPoPNonces{Keys: [][]byte{[]byte("nonce-key-0123456789abcdef012345")}, Lifespan: 5 * time.Minute, Now: clock.Now}
	}
	return v, replay, clock
}

func header(proofs ...string) http.Header {
	h := http.Header{}
	for _, p := range proofs {
		h.Add(HeaderDPoP, p)
	}
	return h
}

func TestDPoPVerifyHeaderAndReplay(t *testing.T) {
	p, other := newProver(t), newProver(t)
	v, replay, _ := newVerifier(false)
	target := DPoPTarget{Method: "POST", URL: tokenURL}
	ctx := context.Background()

	if proof, err := v.Verify(ctx, header(), target); proof != nil || err != nil {
		t.Fatalf("no header: %+v, %v; want nothing", proof, err)
	}
	_, err := v.Verify(ctx, header(p.proof(t, "a"), p.proof(t, "b")), target)
	wantCode(t, err, "invalid_dpop_proof")
	_, err = v.Verify(ctx, header(""), target)
	wantCode(t, err, "invalid_dpop_proof")
	_, err = v.Verify(ctx, header(strings.Repeat("x", maxDPoPProofLen+1)), target)
	wantCode(t, err, "invalid_dpop_proof")
	if replay.n != 0 {
		t.Errorf("malformed headers cost %d replay writes, want 0", replay.n)
	}

	first := p.proof(t, "once")
	proof, err := v.Verify(ctx, header(first), target)
	if err != nil || proof.JKT != p.jkt(t) || proof.JTI != "once" {
		t.Fatalf("first use: %+v, %v", proof, err)
	}
	if replay.n != 1 {
		t.Errorf("a proof cost %d replay writes, want exactly 1", replay.n)
	}
	_, err = v.Verify(ctx, header(first), target)
	wantCode(t, err, "invalid_dpop_proof")
	// The jti is scoped to the key: another key's proof with the same jti
	// is a different proof.
	if _, err := v.Verify(ctx, header(other.proof(t, "once")), target); err != nil {
		t.Errorf("same jti, other key: %v", err)
	}
	for k, exp := range replay.used {
		if !exp.Equal(dpopT0.Add(time.Minute)) {
			t.Errorf("replay key %s kept until %v, want iat + max age", k, exp)
		}
	}
}

func TestDPoPNonces(t *testing.T) {
	p := newProver(t)
	v, _, clock := newVerifier(true)
	target := DPoPTarget{Method: "POST", URL: tokenURL}
	ctx := context.Background()

	_, err := v.Verify(ctx, header(p.proof(t, "n1")), target)
	wantCode(t, err, "use_dpop_nonce")
	he := asHTTPX(t, err)
	issued := he.Header.Get(HeaderDPoPNonce)
	if issued == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	if _, err := v.Verify(ctx, header(p.sign(t, with(proofClaims("n2"), "nonce", issued), nil)), target); err != nil {
		t.Fatalf("fresh nonce: %v", err)
	}
	forged := issued[:len(issued)-2] + "AA"
	_, err = v.Verify(ctx, header(p.sign(t, with(proofClaims("n3"), "nonce", forged), nil)), target)
	wantCode(t, err, "use_dpop_nonce")
	_, err = v.Verify(ctx, header(p.sign(t, with(proofClaims("n4"), "nonce", "short"), nil)), target)
	wantCode(t, err, "use_dpop_nonce")

	// Stale: past its lifespan (the proof itself is fresh).
	clock.Add(6 * time.Minute)
	stale := p.sign(t, with(with(proofClaims("n5"), "nonce", issued), "iat", clock.Now().Unix()), nil)
	_, err = v.Verify(ctx, header(stale), target)
	wantCode(t, err, "use_dpop_nonce")

	// Another instance with the same keys accepts the nonce; one with other
	// keys does not.
	n := &DPoPNonces{Keys: v.Nonces.Keys, Lifespan: time.Minute, Now: clock.Now}
	fresh := n.Issue()
	twin := &DPoPNonces{Keys: [][]byte{[]byte("other")}, Lifespan: time.Minute, Now: clock.Now}
	rotated := &DPoPNonces{Keys: [][]byte{[]byte("new"), v.Nonces.Keys[0]}, Lifespan: time.Minute, Now: clock.Now}
	if !v.Nonces.Valid(fresh) || twin.Valid(fresh) || !rotated.Valid(fresh) {
		t.Errorf("nonce sharing: same keys %v, other keys %v, rotated %v", v.Nonces.Valid(fresh), twin.Valid(fresh), rotated.Valid(fresh))
	}
}

func TestDPoPResourceCheck(t *testing.T) {
	p, other := newProver(t), newProver(t)
	v, _, _ := newVerifier(false)
	const userinfo = "https://issuer.example/userinfo"
	d := &DPoPResource{Verifier: v, URL: userinfo}
	tok := "access-token"
	ath := accessTokenHash(tok)
	get := func(claims map[string]any, by *prover) *http.Request {
		r, _ := http.NewRequest("GET", userinfo, nil)
		if claims != nil {
			r.Header.Set(HeaderDPoP, by.sign(t, claims, nil))
		}
		return r
	}
	ok := func(jti string) map[string]any {
		return with(with(with(proofClaims(jti), "htm", "GET"), "htu", userinfo), "ath", ath)
	}
	cases := []struct {
		name, scheme, jkt string
		r                 *http.Request
		code              string
	}{
		{"bound token, right proof", SchemeDPoP, p.jkt(t), get(ok("r1"), p), ""},
		{"bound token as bearer", SchemeBearer, p.jkt(t), get(nil, p), "invalid_token"},
		{"bound token as bearer with a proof", SchemeBearer, p.jkt(t), get(ok("r2"), p), "invalid_token"},
		{"bearer token with the DPoP scheme", SchemeDPoP, "", get(ok("r3"), p), "invalid_token"},
		{"bearer token as bearer", SchemeBearer, "", get(nil, p), ""},
		{"no proof", SchemeDPoP, p.jkt(t), get(nil, p), "invalid_dpop_proof"},
		{"proof by another key", SchemeDPoP, p.jkt(t), get(ok("r4"), other), "invalid_token"},
		{"proof for the token endpoint", SchemeDPoP, p.jkt(t), get(with(ok("r5"), "htu", tokenURL), p), "invalid_dpop_proof"},
		{"proof for POST", SchemeDPoP, p.jkt(t), get(with(ok("r6"), "htm", "POST"), p), "invalid_dpop_proof"},
		{"proof for another token", SchemeDPoP, p.jkt(t), get(with(ok("r7"), "ath", accessTokenHash("x")), p), "invalid_dpop_proof"},
		{"replayed proof", SchemeDPoP, p.jkt(t), get(ok("r1"), p), "invalid_dpop_proof"},
	}
	for _, c := range cases {
		err := d.Check(context.Background(), c.r, c.scheme, tok, c.jkt)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if got := oauth2test.ErrCode(err); got != c.code {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
			continue
		}
		he := asHTTPX(t, err)
		ch := he.Header.Get("WWW-Authenticate")
		if he.Status != http.StatusUnauthorized || !strings.HasPrefix(ch, "DPoP error=\""+c.code+"\"") || !strings.Contains(ch, `algs="RS256`) {
			t.Errorf("%s: status %d, WWW-Authenticate %q", c.name, he.Status, ch)
		}
	}
}

func TestCheckRefreshBinding(t *testing.T) {
	// Exercised end to end in e2e/dpop_test.go; here the decision alone.
	ctx := context.Background()
	bound := refreshRecord("jkt-a")
	if err := CheckRefreshBinding(ctx, refreshRecord("")); err != nil {
		t.Errorf("unbound, no proof: %v", err)
	}
	wantCode(t, CheckRefreshBinding(ctx, bound), "invalid_dpop_proof")
	wantCode(t, CheckRefreshBinding(withJKT(ctx, "jkt-b"), bound), "invalid_dpop_proof")
	if err := CheckRefreshBinding(withJKT(ctx, "jkt-a"), bound); err != nil {
		t.Errorf("same key: %v", err)
	}
}

func TestCheckCodeBinding(t *testing.T) {
	ctx := context.Background()
	bound := &token.CodeRecord{DPoPJKT: "jkt-a"}
	if err := CheckCodeBinding(ctx, &token.CodeRecord{}); err != nil {
		t.Errorf("unbound code, no proof: %v", err)
	}
	wantCode(t, CheckCodeBinding(ctx, bound), "invalid_dpop_proof")
	wantCode(t, CheckCodeBinding(withJKT(ctx, "jkt-b"), bound), "invalid_dpop_proof")
	if err := CheckCodeBinding(withJKT(ctx, "jkt-a"), bound); err != nil {
		t.Errorf("same key: %v", err)
	}
}

func BenchmarkVerifyProof(b *testing.B) {
	p := newProver(b)
	v, _, _ := newVerifier(false)
	target := DPoPTarget{Method: "POST", URL: tokenURL}
	proofs := make([]http.Header, b.N)
	for i := range proofs {
		proofs[i] = header(p.proof(b, "bench-"+strconv.Itoa(i)))
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Verify(context.Background(), proofs[i], target); err != nil {
			b.Fatal(err)
		}
	}
}

func asHTTPX(t *testing.T, err error) *httpx.Error {
	t.Helper()
	he, ok := err.(*httpx.Error)
	if !ok {
		t.Fatalf("error %v is not an *httpx.Error", err)
	}
	return he
}

func refreshRecord(jkt string) *token.RefreshRecord { return &token.RefreshRecord{JKT: jkt} }

func withJKT(ctx context.Context, jkt string) context.Context {
	return token.WithConfirmation(ctx, jkt)
}

// FuzzParseDPoPProof: whatever a stranger puts in the DPoP header, the
// parser answers with a proof or an invalid_dpop_proof, never a panic or
// another error; an accepted proof always names its key.
func FuzzParseDPoPProof(f *testing.F) {
	p := newProver(f)
	f.Add(p.proof(f, "seed"))
	f.Add(p.sign(f, proofClaims("seed"), map[string]any{"typ": "JWT"}))
	f.Add(handMade(map[string]any{"alg": "none", "typ": "dpop+jwt", "jwk": p.jwk}, proofClaims("n"), nil))
	f.Add("e30.e30.")
	f.Add("")
	target := DPoPTarget{Method: "POST", URL: tokenURL}
	f.Fuzz(func(t *testing.T, raw string) {
		proof, _, err := ParseDPoPProof(raw, target, dpopT0, time.Minute)
		if err != nil {
			if oauth2test.ErrCode(err) != "invalid_dpop_proof" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if proof.JKT == "" || proof.JTI == "" {
			t.Fatalf("accepted proof without key or jti: %+v", proof)
		}
	})
}
