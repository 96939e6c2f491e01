package oauth2

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
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

// typedKey is an IntrospectionSigner with one ES256 key; it records the
// set and typ it was asked for.
type typedKey struct {
	priv     *ecdsa.PrivateKey
	set, typ string
}

func (k *typedKey) TypedSigner(_ context.Context, set, typ string) (jose.Signer, jose.JSONWebKey, error) {
	k.set, k.typ = set, typ
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	return s, jose.JSONWebKey{Key: &k.priv.PublicKey, Algorithm: "ES256", Use: "sig"}, err
}

// introHarness is newHarness plus both introspection endpoints with a signer.
type introHarness struct {
	*harness
	key           *typedKey
	public, admin http.Handler
}

func newIntroHarness(t *testing.T) *introHarness {
	t.Helper()
	h := newHarness(t)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := &typedKey{priv: priv}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	in := &Introspection{Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Config: func() *config.Config { return h.cfg },
		Now: h.clock.Now, Auth: h.auth, Signer: key}
	return &introHarness{harness: h, key: key, public: rd.OAuth(in.HandleClient), admin: rd.OAuth(in.Handle)}
}

// post sends form to h with HTTP Basic (when user is set) and Accept.
func post(h http.Handler, target, form, user, pass, accept string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", target, strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		r.Header.Set("Authorization", oauth2test.Basic(user, pass))
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestIntrospectByClient(t *testing.T) {
	h := newIntroHarness(t)
	mine := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read&audience=https%3A%2F%2Fapi.example")
	forPoster := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read")
	h.db.Tokens[string(token.Digest(forPoster))].Audience = []string{"poster"}
	cases := []struct {
		name, user, pass, tok string
		active                bool
	}{
		{"own token", "machine", oauth2test.SecretMachine, mine, true},
		{"another client's token", "jwtc", "jwt-secret", mine, false},
		{"token whose audience is the caller", "poster", "poster-secret", forPoster, true},
		{"unknown token", "machine", oauth2test.SecretMachine, "garbage", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := post(h.public, "/oauth2/introspect", "token_type_hint=access_token&token="+url.QueryEscape(tc.tok), tc.user, tc.pass, "")
			if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			m := oauth2test.Decode(t, w)
			if m["active"] != tc.active {
				t.Fatalf("active = %v, want %v: %v", m["active"], tc.active, m)
			}
			if !tc.active && len(m) != 1 {
				t.Fatalf("an invisible token must be exactly {active:false}: %v", m)
			}
			if tc.active && (m["client_id"] != "machine" || m["scope"] != "read" || m["token_use"] != "access_token") {
				t.Fatalf("fields: %v", m)
			}
		})
	}
}

func TestIntrospectByClientRefused(t *testing.T) {
	h := newIntroHarness(t)
	tok := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	cases := []struct {
		name, form, user, pass string
		status                 int
		code                   string
	}{
		{"no authentication", "token=" + tok, "", "", 401, "invalid_client"},
		{"wrong secret", "token=" + tok, "machine", "nope", 401, "invalid_client"},
		{"public client", "client_id=public&token=" + tok, "", "", 401, "invalid_client"},
		{"missing token", "scope=read", "machine", oauth2test.SecretMachine, 400, "invalid_request"},
		{"repeated token", "token=a&token=b", "machine", oauth2test.SecretMachine, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := post(h.public, "/oauth2/introspect", tc.form, tc.user, tc.pass, "")
			if w.Code != tc.status || oauth2test.Decode(t, w)["error"] != tc.code {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}

func TestWantsIntrospectionJWT(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                    false,
		"application/json":                    false,
		"application/token-introspection+jwt": true,
		"Application/Token-Introspection+JWT": true,
		"application/json, application/token-introspection+jwt;q=0.5":      true,
		"application/token-introspection+jwt;q=0":                          false,
		"application/token-introspection+jwt;q=x":                          false,
		"application/token-introspection+jwtx":                             false,
		"((( , application/token-introspection+jwt":                        true,
		strings.Repeat("a", 2000) + ",application/token-introspection+jwt": false,
	} {
		var lines []string
		if accept != "" {
			lines = []string{accept}
		}
		if got := wantsIntrospectionJWT(lines); got != want {
			t.Errorf("%q: %v, want %v", accept, got, want)
		}
	}
}

// TestIntrospectionJWT: RFC 9701 on both endpoints: typ, signature, iss,
// aud (the caller; none on the admin port), iat and the 7662 object.
func TestIntrospectionJWT(t *testing.T) {
	h := newIntroHarness(t)
	tok := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read")
	cases := []struct {
		name, user, pass string
		handler          http.Handler
		aud              any
		active           bool
	}{
		{"public, own token", "machine", oauth2test.SecretMachine, h.public, "machine", true},
		{"public, another client's token", "jwtc", "jwt-secret", h.public, "jwtc", false},
		{"admin", "", "", h.admin, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := post(tc.handler, "/introspect", "token="+tok, tc.user, tc.pass, MediaTypeIntrospectionJWT)
			if w.Code != 200 || w.Header().Get("Content-Type") != MediaTypeIntrospectionJWT ||
				w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
			}
			jws, err := jose.ParseSigned(w.Body.String(), []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			if typ := jws.Signatures[0].Protected.ExtraHeaders["typ"]; typ != "token-introspection+jwt" {
				t.Errorf("typ = %v", typ)
			}
			if h.key.set != jwk.SetAccessToken {
				t.Errorf("signed with set %q", h.key.set)
			}
			payload, err := jws.Verify(&h.key.priv.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			var claims map[string]any
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			if claims["iss"] != "https://issuer.example/" || claims["aud"] != tc.aud ||
				claims["iat"] != float64(oauth2test.T0.Unix()) {
				t.Errorf("claims %v", claims)
			}
			ti, _ := claims["token_introspection"].(map[string]any)
			if ti["active"] != tc.active || (tc.active && ti["client_id"] != "machine") || (!tc.active && len(ti) != 1) {
				t.Errorf("token_introspection = %v", ti)
			}
		})
	}
}
