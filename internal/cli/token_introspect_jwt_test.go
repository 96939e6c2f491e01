package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// introspectionJWTServer answers introspection with a JWT signed by key
// (with typ) and publishes pub at both key paths.
func introspectionJWTServer(t *testing.T, key *ecdsa.PrivateKey, typ string, pub jose.JSONWebKey) *fake {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": "https://issuer.example", "iat": 1,
		"token_introspection": json.RawMessage(introspected)})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/keys/hydra.jwt.access-token", "/.well-known/jwks.json":
			reply(http.StatusOK, string(set))(w, r)
		default:
			w.Header().Set("Content-Type", "application/token-introspection+jwt")
			_, _ = w.Write([]byte(compact))
		}
	})
}

func TestIntrospectJWT(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	f := introspectionJWTServer(t, key, "token-introspection+jwt", pub)
	out := ok(t, "introspect", "token", "tok-abc", "-e", f.URL, "--jwt", "--format", "json")
	if strings.TrimSpace(out) != introspected {
		t.Errorf("output %q: want the verified token_introspection claim", out)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Path != "/admin/oauth2/introspect" || reqs[0].Header.Get("Accept") != "application/token-introspection+jwt" ||
		reqs[1].Path != "/admin/keys/hydra.jwt.access-token" {
		t.Errorf("requests %+v", reqs)
	}

	// --public: the public endpoint and JWKS, as a client.
	f = introspectionJWTServer(t, key, "token-introspection+jwt", pub)
	ok(t, "introspect", "token", "tok-abc", "-e", f.URL, "--jwt", "--public", "--client-id", "rs", "--client-secret", "s3cret")
	reqs = f.requests()
	if reqs[0].Path != "/oauth2/introspect" || reqs[0].Header.Get("Authorization") != basic("rs", "s3cret") || reqs[1].Path != "/.well-known/jwks.json" {
		t.Errorf("public requests %+v", reqs)
	}
	if r := run(t, nil, "", "introspect", "token", "tok", "-e", f.URL, "--public"); r.code != 1 || !strings.Contains(r.stderr, "--client-id") {
		t.Errorf("--public without --client-id: %d %q", r.code, r.stderr)
	}

	// Refused: another key, another typ.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, srv := range map[string]*fake{
		"wrong key": introspectionJWTServer(t, other, "token-introspection+jwt", pub),
		"wrong typ": introspectionJWTServer(t, key, "JWT", pub),
	} {
		if r := run(t, nil, "", "introspect", "token", "tok", "-e", srv.URL, "--jwt"); r.code != 1 || !strings.Contains(r.stderr, "introspection JWT") {
			t.Errorf("%s: exit %d, %q", name, r.code, r.stderr)
		}
	}
}
