package client

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// rotate calls the endpoint and returns the new secret it hands out.
func rotate(t *testing.T, env *testEnv, id string) string {
	t.Helper()
	rec := env.do(t, "POST", "/admin/clients/"+id+"/secrets/rotate", "")
	wantStatus(t, rec, http.StatusOK)
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the rotation response carries a secret and must be Cache-Control: no-store")
	}
	sec, _ := decodeClient(t, rec)["client_secret"].(string)
	if sec == "" {
		t.Fatalf("rotation showed no new secret: %s", rec.Body)
	}
	return sec
}

func TestRotateKeepsPreviousSecret(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"r","client_secret":"first-secret","client_secret_expires_at":4102444800}`), http.StatusCreated)
	created := env.store.clients["r"]
	env.now = env.now.Add(time.Hour)

	next := rotate(t, env, "r")
	c := env.store.clients["r"]
	h := env.admin.Hasher
	if h.Verify(c.SecretHash, next) != nil {
		t.Fatal("the new secret is not the current one")
	}
	if len(c.Credentials.Rotated) != 1 || h.Verify(c.Credentials.Rotated[0].Hash, "first-secret") != nil {
		t.Fatalf("the previous secret is not kept: %+v", c.Credentials.Rotated)
	}
	if !c.Credentials.Rotated[0].RotatedAt.Equal(env.admin.now()) || !c.UpdatedAt.Equal(env.admin.now()) {
		t.Error("rotated_at and updated_at must be the rotation time")
	}
	if c.SecretExpiresAt != 4102444800 || !c.CreatedAt.Equal(created.CreatedAt) {
		t.Error("rotation changed the client's settings")
	}
	if env.store.plaintext {
		t.Fatal("a plaintext secret reached storage")
	}
	// Later reads do not show it again.
	if _, shown := decodeClient(t, env.do(t, "GET", "/admin/clients/r", ""))["client_secret"]; shown {
		t.Error("GET shows the secret after rotation")
	}
}

func TestRotateBoundsRotatedSecrets(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"many","client_secret":"secret-0"}`), http.StatusCreated)
	secrets := []string{"secret-0"}
	for range maxRotatedSecrets + 2 {
		secrets = append(secrets, rotate(t, env, "many"))
	}
	rotated := env.store.clients["many"].Credentials.Rotated
	if len(rotated) != maxRotatedSecrets {
		t.Fatalf("%d rotated secrets kept, want %d", len(rotated), maxRotatedSecrets)
	}
	// Newest first: rotated[i] is the secret current before the last i+1 rotations.
	for i, s := range rotated {
		want := secrets[len(secrets)-2-i]
		if env.admin.Hasher.Verify(s.Hash, want) != nil {
			t.Errorf("rotated[%d] is not the secret rotated out %d rotations ago", i, i+1)
		}
	}
}

func TestRotateClientSecretJWTSealsBoth(t *testing.T) {
	env := newEnv(t)
	old := strings.Repeat("o", 32)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"hj","token_endpoint_auth_method":"client_secret_jwt","client_secret":"`+old+`"}`), http.StatusCreated)
	next := rotate(t, env, "hj")
	if len(next) != 72 {
		t.Errorf("a rotated client_secret_jwt secret has %d bytes, want 72 (long enough for HS512)", len(next))
	}
	c := env.store.clients["hj"]
	if openSealedOf(t, env, c, c.Credentials.SealedSecret) != next {
		t.Error("the new secret is not sealed")
	}
	if openSealedOf(t, env, c, c.Credentials.Rotated[0].Sealed) != old {
		t.Error("the rotated secret's sealed copy is not the old secret")
	}
}

func TestRotateRefusals(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"pub","token_endpoint_auth_method":"none"}`), http.StatusCreated)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"pk","token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://a.example/jwks"}`), http.StatusCreated)
	before := env.store.snapshot(t)
	cases := []struct {
		id     string
		status int
		want   string
	}{
		{"pub", http.StatusBadRequest, "none, which uses no client secret"},
		{"pk", http.StatusBadRequest, "private_key_jwt, which uses no client secret"},
		{"missing", http.StatusNotFound, "not_found"},
		{strings.Repeat("x", 300), http.StatusNotFound, "not_found"},
	}
	for _, tc := range cases {
		rec := env.do(t, "POST", "/admin/clients/"+tc.id+"/secrets/rotate", "")
		wantStatus(t, rec, tc.status)
		if !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: body %s, want it to mention %q", tc.id, rec.Body, tc.want)
		}
	}
	wantStatus(t, env.do(t, "DELETE", "/admin/clients/missing/secrets/rotate", ""), http.StatusNotFound)
	if env.store.snapshot(t) != before {
		t.Error("a refused rotation changed the store")
	}
}

func TestDeleteRotatedSecrets(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"d","client_secret":"first-secret"}`), http.StatusCreated)
	next := rotate(t, env, "d")

	for range 2 { // idempotent
		rec := env.do(t, "DELETE", "/admin/clients/d/secrets/rotate", "")
		wantStatus(t, rec, http.StatusOK)
		m := decodeClient(t, rec)
		if m["client_id"] != "d" || m["client_secret"] != nil {
			t.Fatalf("want the client without a secret, got %s", rec.Body)
		}
	}
	c := env.store.clients["d"]
	if c.Credentials.Rotated != nil {
		t.Fatal("rotated secrets survived the delete")
	}
	if env.admin.Hasher.Verify(c.SecretHash, next) != nil {
		t.Fatal("deleting rotated secrets touched the current one")
	}
}

// TestRotatedSecretsAcrossUpdates pins which updates keep the grace period:
// an update without a secret keeps it; a secret set by hand is a replacement
// and ends it.
func TestRotatedSecretsAcrossUpdates(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"u","client_secret":"first-secret"}`), http.StatusCreated)
	rotate(t, env, "u")

	wantStatus(t, env.do(t, "PUT", "/admin/clients/u", `{"client_name":"renamed"}`), http.StatusOK)
	wantStatus(t, env.do(t, "PATCH", "/admin/clients/u", `[{"op":"replace","path":"/client_name","value":"again"}]`), http.StatusOK)
	wantStatus(t, env.do(t, "PUT", "/admin/clients/u/lifespans", `{"client_credentials_grant_access_token_lifespan":"1m"}`), http.StatusOK)
	if len(env.store.clients["u"].Credentials.Rotated) != 1 {
		t.Fatal("an update without a secret dropped the rotated secret")
	}

	wantStatus(t, env.do(t, "PATCH", "/admin/clients/u", `[{"op":"add","path":"/client_secret","value":"hand-set-secret"}]`), http.StatusOK)
	c := env.store.clients["u"]
	if c.Credentials.Rotated != nil || env.admin.Hasher.Verify(c.SecretHash, "hand-set-secret") != nil {
		t.Fatalf("a secret set by hand must replace every earlier one: %+v", c.Credentials)
	}
}
