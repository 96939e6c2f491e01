package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// A secrets.system rotation as docs/key-rotation.md describes it, against
// one database: serve with [A]; then with [B, A], where everything made
// under A still works; run `signet rotate secrets`; then serve with [B]
// alone, where every stored value still opens. What is not stored (opaque
// tokens' MACs, challenges, the session cookie) ends with A, as documented.

const (
	systemA = "system-secret-A-0123456789abcdef"
	systemB = "system-secret-B-0123456789abcdef"
)

func TestSystemSecretRotation(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  storetest.DSNFunc
	}{{"SQLite", storetest.SQLiteFileDSN}, {"PostgreSQL", storetest.PostgresDSN}, {"MySQL", storetest.MySQLDSN}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			dsn := db.dsn(t)
			storetest.OpenDSN(t, dsn) // migrated, as an operator would
			systemSecretRotation(t, dsn)
		})
	}
}

// underA is what a server running with [A] left behind.
type underA struct {
	hsCurrent, hsRotated string       // client_secret_jwt secrets, sealed with A
	opaque               string       // an opaque access token, MAC under A
	challenge            string       // a login challenge, sealed with A
	browser              *http.Client // holds a session cookie sealed with A
}

func systemSecretRotation(t *testing.T, dsn string) {
	serve := func(secrets string) *flowEnv {
		t.Helper()
		return startFlowEnv(t, signettest.WithEnv("DSN="+dsn, "SECRETS_SYSTEM="+secrets))
	}
	a := leaveUnderA(t, serve(systemA))

	both := serve(systemB + "," + systemA)
	wantToken(t, hsAssertion(t, both.srv, a.hsCurrent), "current client_secret_jwt secret under [B, A]")
	wantToken(t, hsAssertion(t, both.srv, a.hsRotated), "rotated client_secret_jwt secret under [B, A]")
	if !introspect(t, both.srv, a.opaque).Active {
		t.Error("an opaque token minted under A is inactive under [B, A]")
	}
	if _, _, err := both.srv.Admin.OAuth2API.GetOAuth2LoginRequest(context.Background()).LoginChallenge(a.challenge).Execute(); err != nil {
		t.Errorf("a login challenge sealed with A does not open under [B, A]: %v", sdkErr(err))
	}
	if !loginSkipped(t, both, a.browser) {
		t.Error("the session cookie sealed with A does not open under [B, A]")
	}

	out, errOut, code := runSignet(map[string]string{"DSN": dsn, "SECRETS_SYSTEM": systemB + "," + systemA}, "rotate", "secrets")
	if code != 0 || !strings.Contains(out, "private keys:   2 checked, 2 re-encrypted") ||
		!strings.Contains(out, "client secrets: 2 checked, 2 re-encrypted") {
		t.Fatalf("signet rotate secrets: exit %d\n%s%s", code, out, errOut)
	}

	// A is gone. The server starts, so the signing keys open with B.
	onlyB := serve(systemB)
	wantToken(t, hsAssertion(t, onlyB.srv, a.hsCurrent), "current client_secret_jwt secret under [B]")
	wantToken(t, hsAssertion(t, onlyB.srv, a.hsRotated), "rotated client_secret_jwt secret under [B]")
	if _, err := verifier(onlyB.srv, "").Verify(context.Background(), idToken(t, onlyB)); err != nil {
		t.Errorf("an ID token signed with a re-encrypted key: %v", err)
	}
	// Not stored, so not re-encrypted: these end with A (docs/key-rotation.md).
	if introspect(t, onlyB.srv, a.opaque).Active {
		t.Error("an opaque token minted under A is still active once A is removed")
	}
	if _, _, err := onlyB.srv.Admin.OAuth2API.GetOAuth2LoginRequest(context.Background()).LoginChallenge(a.challenge).Execute(); err == nil {
		t.Error("a login challenge sealed with A still opens once A is removed")
	}
	if loginSkipped(t, onlyB, a.browser) {
		t.Error("a session cookie sealed with A still opens once A is removed")
	}
}

// leaveUnderA makes, on a server with [A], one of each value sealed or
// MACed with the system secret.
func leaveUnderA(t *testing.T, e *flowEnv) underA {
	t.Helper()
	var a underA
	created := createClient(t, e.srv, map[string]any{"client_id": "hs-system", "token_endpoint_auth_method": "client_secret_jwt"})
	a.hsRotated, _ = created["client_secret"].(string)
	r := rotateSecret(t, e.srv, "POST", "hs-system")
	var rotated struct {
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal(r.Body, &rotated); err != nil || r.Status != http.StatusOK || rotated.Secret == "" {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	a.hsCurrent = rotated.Secret
	id, secret := newMachineClient(t, e.srv, nil)
	a.opaque = mustToken(t, ccConfig(e.srv, id, secret, oauth2.AuthStyleInHeader)).AccessToken

	authURL := e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	_, a.challenge = e.challengeAt(t, authURL)
	e.app.remember = true
	a.browser = newBrowser(t, e.callback)
	authorize(t, a.browser, authURL)
	return a
}

// hsAssertion authenticates hs-system with an HS256 assertion keyed by
// secret.
func hsAssertion(t *testing.T, srv *signettest.Server, secret string) response {
	t.Helper()
	return tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS256, []byte(secret), "", assertionClaims(srv, "hs-system", time.Now())))
}

// loginSkipped runs a new authorization in b and reports whether the login
// app was told the user is remembered, which needs the session cookie to
// open.
func loginSkipped(t *testing.T, e *flowEnv, b *http.Client) bool {
	t.Helper()
	e.app.sawLoginSkip = false
	authorize(t, b, e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	return e.app.sawLoginSkip
}
