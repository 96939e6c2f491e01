package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

// openSealedOf opens c's sealed secret with the env's keyring.
func openSealedOf(t *testing.T, env *testEnv, c Client, sealed []byte) string {
	t.Helper()
	plain, err := OpenSecret(env.admin.Keyring, c.ID, sealed)
	if err != nil {
		t.Fatalf("the sealed secret does not open: %v", err)
	}
	return plain
}

func TestClientSecretJWTSecretIsSealed(t *testing.T) {
	env := newEnv(t)
	rec := env.do(t, "POST", "/admin/clients", `{"client_id":"hmac","token_endpoint_auth_method":"client_secret_jwt","grant_types":["client_credentials"]}`)
	wantStatus(t, rec, http.StatusCreated)
	sec, _ := decodeClient(t, rec)["client_secret"].(string)
	// RFC 7518 section 3.2: HS512 needs a 64-byte key; bcrypt reads 72.
	if len(sec) != 72 {
		t.Fatalf("minted client_secret_jwt secret has %d bytes, want 72", len(sec))
	}
	stored := env.store.clients["hmac"]
	if got := openSealedOf(t, env, stored, stored.Credentials.SealedSecret); got != sec {
		t.Error("the sealed copy is not the secret handed out")
	}
	if env.admin.Hasher.Verify(stored.SecretHash, sec) != nil {
		t.Error("the hash does not verify the secret")
	}
	if strings.Contains(env.do(t, "GET", "/admin/clients/hmac", "").Body.String(), "sealed") {
		t.Error("GET shows the stored credentials")
	}
	// A sealed copy is bound to its client: copied elsewhere, it is useless.
	if _, err := OpenSecret(env.admin.Keyring, "other", stored.Credentials.SealedSecret); err == nil {
		t.Error("a sealed secret opened for another client id")
	}

	// Other methods keep no plaintext in any form.
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"basic"}`), http.StatusCreated)
	if env.store.clients["basic"].Credentials.SealedSecret != nil {
		t.Error("a client_secret_basic client has a sealed secret")
	}
}

func TestClientSecretJWTChosenSecretLength(t *testing.T) {
	cases := []struct {
		name, alg string
		secretLen int
		ok        bool
	}{
		{"HS256 floor", "", 32, true},
		{"too short for HS256", "", 31, false},
		{"HS384 needs 48", "HS384", 47, false},
		{"HS384 ok", "HS384", 48, true},
		{"HS512 needs 64", "HS512", 63, false},
		{"HS512 ok", "HS512", 64, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			body, _ := json.Marshal(map[string]any{"token_endpoint_auth_method": "client_secret_jwt",
				"token_endpoint_auth_signing_alg": tc.alg, "client_secret": strings.Repeat("k", tc.secretLen)})
			rec := env.do(t, "POST", "/admin/clients", string(body))
			if tc.ok {
				wantStatus(t, rec, http.StatusCreated)
				return
			}
			wantStatus(t, rec, http.StatusBadRequest)
			if !strings.Contains(rec.Body.String(), "invalid_client_metadata") || !strings.Contains(rec.Body.String(), "HMAC key") {
				t.Errorf("unclear refusal: %s", rec.Body)
			}
		})
	}
}

// TestSwitchingAuthMethod walks one client through the method changes whose
// secret handling differs.
func TestSwitchingAuthMethod(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"sw","client_secret":"basic-secret-1"}`), http.StatusCreated)
	put := func(body string) *httpResult {
		rec := env.do(t, "PUT", "/admin/clients/sw", body)
		return &httpResult{rec.Code, rec.Body.String()}
	}

	// To client_secret_jwt without a new secret: the hash cannot become a key.
	r := put(`{"token_endpoint_auth_method":"client_secret_jwt"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "needs a new client_secret") {
		t.Fatalf("switching to client_secret_jwt without a secret: %d %s", r.status, r.body)
	}
	if env.store.clients["sw"].TokenEndpointAuthMethod != AuthClientSecretBasic {
		t.Fatal("a refused switch changed the client")
	}

	// With a new secret it works, and the secret is sealed.
	jwtSecret := strings.Repeat("j", 40)
	if r := put(`{"token_endpoint_auth_method":"client_secret_jwt","client_secret":"` + jwtSecret + `"}`); r.status != http.StatusOK {
		t.Fatalf("switch with secret: %d %s", r.status, r.body)
	}
	c := env.store.clients["sw"]
	if openSealedOf(t, env, c, c.Credentials.SealedSecret) != jwtSecret {
		t.Fatal("the new secret is not sealed")
	}

	// An update that keeps the secret keeps the sealed copy.
	if r := put(`{"token_endpoint_auth_method":"client_secret_jwt","client_name":"renamed"}`); r.status != http.StatusOK || strings.Contains(r.body, "client_secret\"") {
		t.Fatalf("update keeping the secret: %d %s", r.status, r.body)
	}
	if openSealedOf(t, env, c, env.store.clients["sw"].Credentials.SealedSecret) != jwtSecret {
		t.Fatal("an update without a secret lost the sealed copy")
	}

	// A stricter algorithm than the kept secret can serve is refused.
	if r := put(`{"token_endpoint_auth_method":"client_secret_jwt","token_endpoint_auth_signing_alg":"HS512"}`); r.status != http.StatusBadRequest || !strings.Contains(r.body, "at least 64 bytes") {
		t.Fatalf("HS512 with a 40-byte secret: %d %s", r.status, r.body)
	}

	// Rotate, then switch away: every sealed copy goes, the hashes stay.
	wantStatus(t, env.do(t, "POST", "/admin/clients/sw/secrets/rotate", ""), http.StatusOK)
	if r := put(`{"token_endpoint_auth_method":"client_secret_post"}`); r.status != http.StatusOK {
		t.Fatalf("switch away: %d %s", r.status, r.body)
	}
	c = env.store.clients["sw"]
	if c.Credentials.SealedSecret != nil || len(c.Credentials.Rotated) != 1 || c.Credentials.Rotated[0].Sealed != nil {
		t.Fatalf("sealed copies survived the switch away: %+v", c.Credentials)
	}
	if env.admin.Hasher.Verify(c.Credentials.Rotated[0].Hash, jwtSecret) != nil {
		t.Error("the rotated hash was lost with its sealed copy")
	}

	// To none: no secret of any kind remains.
	if r := put(`{"token_endpoint_auth_method":"none"}`); r.status != http.StatusOK {
		t.Fatalf("switch to none: %d %s", r.status, r.body)
	}
	c = env.store.clients["sw"]
	if c.SecretHash != "" || c.Credentials.SealedSecret != nil || c.Credentials.Rotated != nil {
		t.Fatalf("a public client kept secrets: %+v", c.Credentials)
	}
}

type httpResult struct {
	status int
	body   string
}

func TestSealedSecretThatNoLongerOpensIsExplained(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"lost","token_endpoint_auth_method":"client_secret_jwt"}`), http.StatusCreated)
	c := env.store.clients["lost"]
	c.Credentials.SealedSecret = append([]byte(nil), c.Credentials.SealedSecret...)
	c.Credentials.SealedSecret[len(c.Credentials.SealedSecret)-1] ^= 1 // as if sealed by a removed key
	env.store.clients["lost"] = c

	_, err := env.admin.Update(t.Context(), "lost", &Client{TokenEndpointAuthMethod: AuthClientSecretJWT})
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != http.StatusBadRequest || !strings.Contains(he.Description, "set a new client_secret") {
		t.Fatalf("got %v, want a 400 telling the operator to set a new secret", err)
	}
	// Setting a new secret repairs the client.
	if _, err := env.admin.Update(t.Context(), "lost", &Client{TokenEndpointAuthMethod: AuthClientSecretJWT, Secret: strings.Repeat("n", 32)}); err != nil {
		t.Fatalf("a new secret did not repair the client: %v", err)
	}
}

func TestNoKeyringIsAnInternalError(t *testing.T) {
	env := newEnv(t)
	env.admin.Keyring = nil
	_, err := env.admin.Create(t.Context(), &Client{TokenEndpointAuthMethod: AuthClientSecretJWT})
	var he *httpx.Error
	if err == nil || errors.As(err, &he) {
		t.Fatalf("got %v, want an internal (500) error: a wiring mistake, not the caller's", err)
	}
}
