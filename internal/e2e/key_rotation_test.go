package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/cli"
	"github.com/signet-oidc/signet/internal/signettest"
)

// Key rotation as relying parties see it: through the JWKS and
// introspection only. jwt_test.go's TestKeyRotation covers JWT access
// tokens across a key added and deleted by hand; these tests cover ID
// tokens, the CLI, and automatic rotation (keys.rotation.*).

// runSignet runs `signet args...` in-process with env as its whole
// environment and returns its output and exit code.
func runSignet(env map[string]string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code = cli.Main(context.Background(), args, cli.Env{
		Getenv: func(k string) string { return env[k] }, Environ: func() []string { return environ },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
	})
	return out.String(), errOut.String(), code
}

// fetchJWKS reads /.well-known/jwks.json now, as a relying party whose
// cache expired would.
func fetchJWKS(t *testing.T, srv *signettest.Server) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(srv.PublicURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(body, &ks); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: %d %s", resp.StatusCode, body)
	}
	return ks
}

// verifiesAgainstJWKS reports whether the published keys verify the
// signature of raw (expiry is not the point here).
func verifiesAgainstJWKS(t *testing.T, srv *signettest.Server, raw string) bool {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	ks := fetchJWKS(t, srv)
	for _, k := range ks.Key(jws.Signatures[0].Header.KeyID) {
		if _, err := jws.Verify(k); err == nil {
			return true
		}
	}
	return false
}

func publishedKids(t *testing.T, srv *signettest.Server) []string {
	t.Helper()
	var out []string
	for _, k := range fetchJWKS(t, srv).Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// idToken runs the browser flow and returns the ID token.
func idToken(t *testing.T, e *flowEnv) string {
	t.Helper()
	v := oauth2.GenerateVerifier()
	q := authorize(t, newBrowser(t, e.callback), e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v),
		oauth2.SetAuthURLParam("nonce", "nonce-0123456789")))
	tok, err := e.rp.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no ID token")
	}
	return raw
}

// TestIDTokenKeyAddedByCLI: `signet create jwks hydra.openid.id-token`
// makes the new key sign ID tokens at once; ID tokens signed by the old
// key verify against the JWKS until the old key is deleted.
func TestIDTokenKeyAddedByCLI(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	old := idToken(t, e)
	oldKid := jwsHeader(t, old).KeyID
	admin := map[string]string{"SIGNET_ADMIN_URL": e.srv.AdminURL}

	// The server's clock is the test's and stands still: move it, so the
	// new key is younger than the first one (keys of one instant are
	// ordered by kid, the same on every instance, not by insertion).
	e.clk.Advance(time.Second)
	// RS256: the ID token algorithm discovery advertises.
	if out, errOut, code := runSignet(admin, "create", "jwks", setIDToken, "--alg", "RS256", "--key-id", "cli-rotated"); code != 0 {
		t.Fatalf("signet create jwks: exit %d\n%s%s", code, out, errOut)
	}
	fresh := idToken(t, e)
	if kid := jwsHeader(t, fresh).KeyID; kid != "cli-rotated" {
		t.Fatalf("an ID token issued after the key was added is signed by %q", kid)
	}
	if !verifiesAgainstJWKS(t, e.srv, old) || !verifiesAgainstJWKS(t, e.srv, fresh) {
		t.Fatal("after adding a key, ID tokens of both keys must verify against the JWKS")
	}
	// The CLI deletes whole sets (as Hydra's); one key goes through the API.
	if _, err := e.srv.Admin.JwkAPI.DeleteJsonWebKey(context.Background(), setIDToken, oldKid).Execute(); err != nil {
		t.Fatalf("DeleteJsonWebKey: %v", sdkErr(err))
	}
	if verifiesAgainstJWKS(t, e.srv, old) {
		t.Error("an ID token of a deleted key still verifies against the JWKS")
	}
	if !verifiesAgainstJWKS(t, e.srv, fresh) {
		t.Error("deleting the old key broke ID tokens of the new one")
	}
}

// TestAutomaticKeyRotation follows both token sets through one automatic
// rotation on each database: the successor is published an hour before it
// signs; tokens of the old key keep verifying (ID tokens against the JWKS,
// JWT access tokens by introspection) while it is retained, and stop once
// it is deleted. Rounds run when the test says (App.Keys().Rotate), on a
// clock the test moves.
func TestAutomaticKeyRotation(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e := startFlowEnv(t, append(db.opts(t), signettest.WithEnv(
				"KEYS_ROTATION_ENABLED=true", "KEYS_ROTATION_INTERVAL=24h",
				"KEYS_ROTATION_PUBLISH_BEFORE=1h", "KEYS_ROTATION_RETAIN_AFTER=2h"))...)
			automaticRotation(t, e)
		})
	}
}

func automaticRotation(t *testing.T, e *flowEnv) {
	ctx := context.Background()
	rotate := func() {
		t.Helper()
		if err := e.srv.App.Keys().Rotate(ctx); err != nil {
			t.Fatalf("rotation round: %v", err)
		}
	}
	// A client whose JWT access tokens live 100h: longer than their key is
	// retained, which is exactly when a deleted key shows.
	id, secret := newMachineClient(t, e.srv, func(c *hydra.OAuth2Client) {
		c.SetAccessTokenStrategy("jwt")
		c.SetClientCredentialsGrantAccessTokenLifespan("100h")
	})
	cc := ccConfig(e.srv, id, secret, oauth2.AuthStyleInHeader)
	accessToken := func() string { t.Helper(); return mustToken(t, cc).AccessToken }

	oldAT, oldID := accessToken(), idToken(t, e)
	k0 := jwsHeader(t, oldAT).KeyID
	before := publishedKids(t, e.srv)

	e.clk.Advance(23*time.Hour + time.Minute) // interval − publish_before has passed
	rotate()
	during := publishedKids(t, e.srv)
	if len(during) != len(before)+2 {
		t.Fatalf("after the round the JWKS holds %v; want %v plus one successor per set", during, before)
	}
	if kid := jwsHeader(t, accessToken()).KeyID; kid != k0 {
		t.Errorf("the successor signs before publish_before has passed (kid %s)", kid)
	}

	e.clk.Advance(time.Hour) // the successor's not-before
	newAT, newID := accessToken(), idToken(t, e)
	k1, idKid := jwsHeader(t, newAT).KeyID, jwsHeader(t, newID).KeyID
	if k1 == k0 || !slices.Contains(during, k1) || !slices.Contains(during, idKid) || slices.Contains(before, idKid) {
		t.Fatalf("after not-before, tokens are signed by %s and %s; want the successors published in the round", k1, idKid)
	}
	if !introspect(t, e.srv, oldAT).Active || !verifiesAgainstJWKS(t, e.srv, oldID) {
		t.Fatal("tokens of the old keys must keep verifying while the keys are retained")
	}

	e.clk.Advance(2 * time.Hour) // retain_after is not over yet: exactly 2h
	rotate()
	if !introspect(t, e.srv, oldAT).Active {
		t.Fatal("the old key was deleted before retain_after had passed")
	}
	e.clk.Advance(time.Minute)
	rotate()
	after := publishedKids(t, e.srv)
	if slices.Contains(after, k0) || len(after) != len(before) {
		t.Errorf("after retention the JWKS holds %v; want only the successors", after)
	}
	if introspect(t, e.srv, oldAT).Active {
		t.Error("a JWT access token of a deleted key is still active")
	}
	if verifiesAgainstJWKS(t, e.srv, oldID) {
		t.Error("an ID token of a deleted key still verifies against the JWKS")
	}
	if !introspect(t, e.srv, newAT).Active || !verifiesAgainstJWKS(t, e.srv, newID) {
		t.Error("tokens of the successors stopped verifying")
	}
}
