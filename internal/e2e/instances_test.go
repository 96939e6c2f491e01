package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// Several instances (docs/instances.md): three Signets on one database,
// behind a load balancer that the test steers, so that every step of a
// flow can be sent to a different instance. Nothing an instance keeps in
// memory may be needed by another: challenges and verifiers are sealed,
// their single use, codes, refresh tokens and sessions are in the
// database, and the caches (client secrets, keys) are bounded in time.

// Instance names, for readable steps.
const (
	nodeA = iota
	nodeB
	nodeC
)

// fleetPoll is the key manager's poll interval in these tests: a key added
// through one instance signs on the others within it.
const fleetPoll = 20 * time.Millisecond

// fleet is the instances, the balancer in front of them (the issuer and
// public URL of all three), and a login, consent and logout app whose
// admin calls go to the instance the test names.
type fleet struct {
	nodes    []*signettest.Server
	lb       *httptest.Server
	appURL   string
	callback string

	mu    sync.Mutex
	route func(r *http.Request) int // which instance serves a public request
	// served records "A /path" for every request the balancer forwarded.
	served []string
	// The app's admin calls: login accept, consent accept, logout accept.
	loginVia, consentVia, logoutVia int
}

func startFleet(t *testing.T, dsn string, n int) *fleet {
	t.Helper()
	f := &fleet{callback: "http://127.0.0.1:5555/callback", route: func(*http.Request) int { return nodeA }}
	f.lb = httptest.NewServer(http.HandlerFunc(f.forward))
	t.Cleanup(f.lb.Close)
	appSrv := httptest.NewServer(f.appHandler(t))
	t.Cleanup(appSrv.Close)
	f.appURL = appSrv.URL
	for range n {
		// Every instance: the same database, system secret (signettest's
		// default) and issuer, the balancer's address.
		f.nodes = append(f.nodes, signettest.Start(t,
			signettest.WithEnv("URLS_LOGIN="+appSrv.URL+"/login", "URLS_CONSENT="+appSrv.URL+"/consent",
				"URLS_LOGOUT="+appSrv.URL+"/logout"),
			signettest.WithConfig(func(c *config.Config) {
				c.DSN = dsn
				c.URLs.Self.Issuer = f.lb.URL + "/"
			}),
			signettest.WithAppOptions(app.WithKeyPollInterval(fleetPoll))))
	}
	return f
}

// forward is the balancer: it proxies each request to the instance that
// route picks and records it.
func (f *fleet) forward(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	i := f.route(r)
	f.served = append(f.served, fmt.Sprintf("%c %s", 'A'+i, r.URL.Path))
	f.mu.Unlock()
	target, _ := url.Parse(f.nodes[i].PublicURL)
	(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}).ServeHTTP(w, r)
}

// steer sends public requests through the balancer by rule from now on.
func (f *fleet) steer(route func(r *http.Request) int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.route, f.served = route, nil
}

func (f *fleet) servedLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.served...)
}

// byLeg routes the legs of a browser flow: the authorization request, its
// return with the login verifier, and with the consent verifier.
func byLeg(request, loginVerifier, consentVerifier int) func(r *http.Request) int {
	return func(r *http.Request) int {
		q := r.URL.Query()
		switch {
		case q.Has("login_verifier"):
			return loginVerifier
		case q.Has("consent_verifier"):
			return consentVerifier
		}
		return request
	}
}

func (f *fleet) via(login, consent, logout int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loginVia, f.consentVia, f.logoutVia = login, consent, logout
}

func (f *fleet) admin(which func(*fleet) int) *hydra.APIClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nodes[which(f)].Admin
}

// appHandler accepts every login and consent (remembered) and logout through
// the admin API of the instance named by via.
func (f *fleet) appHandler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, what string, err error) {
		t.Errorf("login app: %s: %v", what, sdkErr(err))
		http.Error(w, what, http.StatusBadGateway)
	}
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		api := f.admin(func(f *fleet) int { return f.loginVia }).OAuth2API
		body := hydra.NewAcceptOAuth2LoginRequest("alice")
		body.SetRemember(true)
		body.SetRememberFor(3600)
		to, _, err := api.AcceptOAuth2LoginRequest(r.Context()).LoginChallenge(r.URL.Query().Get("login_challenge")).
			AcceptOAuth2LoginRequest(*body).Execute()
		if err != nil {
			fail(w, "accepting the login", err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		api := f.admin(func(f *fleet) int { return f.consentVia }).OAuth2API
		challenge := r.URL.Query().Get("consent_challenge")
		req, _, err := api.GetOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).Execute()
		if err != nil {
			fail(w, "reading the consent request", err)
			return
		}
		body := hydra.NewAcceptOAuth2ConsentRequest()
		body.SetGrantScope(req.RequestedScope)
		body.SetRemember(true)
		body.SetRememberFor(3600)
		to, _, err := api.AcceptOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).AcceptOAuth2ConsentRequest(*body).Execute()
		if err != nil {
			fail(w, "accepting the consent", err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		api := f.admin(func(f *fleet) int { return f.logoutVia }).OAuth2API
		to, _, err := api.AcceptOAuth2LogoutRequest(r.Context()).LogoutChallenge(r.URL.Query().Get("logout_challenge")).Execute()
		if err != nil {
			fail(w, "accepting the logout", err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	return mux
}

// tokenResponse is a successful token endpoint answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// tokenAt posts form to instance i's token endpoint with rp's credentials.
func (f *fleet) tokenAt(t *testing.T, i int, rp *oauth2.Config, form url.Values) response {
	t.Helper()
	return postForm(t, f.nodes[i].PublicURL+"/oauth2/token", form, &[2]string{rp.ClientID, rp.ClientSecret})
}

func wantTokens(t *testing.T, r response, step string) tokenResponse {
	t.Helper()
	var tok tokenResponse
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("%s: %d %s", step, r.Status, r.Body)
	}
	return tok
}

func wantGrantError(t *testing.T, r response, step string) {
	t.Helper()
	if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_grant" {
		t.Fatalf("%s: %d %s, want 400 invalid_grant", step, r.Status, r.Body)
	}
}

// signInAcross runs a browser flow whose three legs land on the instances
// given, with the login and consent accepted through others, and returns
// the code.
func (f *fleet) signInAcross(t *testing.T, b *http.Client, rp *oauth2.Config, verifier string, legs [3]int, login, consent int) string {
	t.Helper()
	f.via(login, consent, nodeA)
	f.steer(byLeg(legs[0], legs[1], legs[2]))
	q := authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	if q.Get("code") == "" {
		t.Fatalf("no code at the callback: %v", q)
	}
	want := []string{fmt.Sprintf("%c /oauth2/auth", 'A'+legs[0]), fmt.Sprintf("%c /oauth2/auth", 'A'+legs[1]),
		fmt.Sprintf("%c /oauth2/auth", 'A'+legs[2])}
	if got := f.servedLog(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the balancer sent the legs to %v, want %v", got, want)
	}
	return q.Get("code")
}

// TestThreeInstances runs the flows of issue 7 item 6 on PostgreSQL and
// MySQL, each step on another instance.
func TestThreeInstances(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  func(*testing.T) string
	}{
		{"PostgreSQL", storetest.PostgresDSN},
		{"MySQL", storetest.MySQLDSN},
	} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			dsn := db.dsn(t)
			storetest.OpenDSN(t, dsn) // migrate first, as an operator would
			f := startFleet(t, dsn, 3)
			t.Run("flow", func(t *testing.T) { fleetFlow(t, f) })
			t.Run("refresh reuse", func(t *testing.T) { fleetRefreshReuse(t, f) })
			t.Run("code replay", func(t *testing.T) { fleetCodeReplay(t, f) })
			t.Run("client secret", func(t *testing.T) { fleetClientSecret(t, f) })
			t.Run("signing key", func(t *testing.T) { fleetSigningKey(t, f) })
		})
	}
}

// fleetFlow: authorize on A, login accepted through B's admin API and its
// verifier redeemed on B, consent through C and redeemed on C; the code
// exchanged on B, the tokens refreshed on C,
// introspected on B, revoked on A; the session remembered across
// instances until a logout on C ends it.
func fleetFlow(t *testing.T, f *fleet) {
	rp := newRP(t, f.nodes[nodeA], []string{f.callback}, func(c *hydra.OAuth2Client) {
		c.SetPostLogoutRedirectUris([]string{loggedOut})
	})
	rp.Endpoint.AuthURL = f.lb.URL + "/oauth2/auth"
	b := newBrowser(t, f.callback)
	verifier := oauth2.GenerateVerifier()
	code := f.signInAcross(t, b, rp, verifier, [3]int{nodeA, nodeB, nodeC}, nodeB, nodeC)

	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.callback}, "code_verifier": {verifier}}
	tok := wantTokens(t, f.tokenAt(t, nodeB, rp, exchange), "code exchange on B")

	refreshed := wantTokens(t, f.tokenAt(t, nodeC, rp, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}), "refresh on C")
	if !introspect(t, f.nodes[nodeB], refreshed.AccessToken).Active {
		t.Error("B does not know the access token C issued")
	}
	if r := postForm(t, f.nodes[nodeA].PublicURL+"/oauth2/revoke", url.Values{"token": {refreshed.RefreshToken}},
		&[2]string{rp.ClientID, rp.ClientSecret}); r.Status != http.StatusOK {
		t.Fatalf("revocation on A: %d %s", r.Status, r.Body)
	}
	wantGrantError(t, f.tokenAt(t, nodeB, rp, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed.RefreshToken}}),
		"the refresh token revoked on A, used on B")
	if introspect(t, f.nodes[nodeC], refreshed.AccessToken).Active {
		t.Error("C still accepts the access token of the grant revoked on A")
	}

	// The remembered session, made on B, lets C answer prompt=none.
	f.steer(func(*http.Request) int { return nodeC })
	silent := rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none"))
	if q := authorize(t, b, silent); q.Get("code") == "" {
		t.Fatalf("prompt=none on C with the session remembered on B: %v", q)
	}

	// Logout on C, accepted through A's admin API; B then knows no session.
	f.via(nodeB, nodeC, nodeA)
	lb := newBrowser(t, loggedOut)
	lb.Jar = b.Jar
	p := visit(t, lb, f.lb.URL+"/oauth2/sessions/logout?"+url.Values{"id_token_hint": {tok.IDToken},
		"post_logout_redirect_uri": {loggedOut}, "state": {"bye-0123"}}.Encode(), nil)
	if p.Status != http.StatusFound || p.Location != loggedOut+"?state=bye-0123" {
		t.Fatalf("logout on C ended with %d at %s (Location %q)", p.Status, p.At, p.Location)
	}
	f.steer(func(*http.Request) int { return nodeB })
	if q := authorize(t, b, silent); q.Get("error") != "login_required" {
		t.Errorf("prompt=none on B after the logout on C: %v, want login_required", q)
	}
}

// fleetRefreshReuse: a refresh token rotated on A and replayed on B ends
// the whole family, including the token A issued, seen from C.
func fleetRefreshReuse(t *testing.T, f *fleet) {
	rp := newRP(t, f.nodes[nodeB], []string{f.callback}, nil)
	rp.Endpoint.AuthURL = f.lb.URL + "/oauth2/auth"
	verifier := oauth2.GenerateVerifier()
	code := f.signInAcross(t, newBrowser(t, f.callback), rp, verifier, [3]int{nodeC, nodeA, nodeB}, nodeC, nodeA)
	tok := wantTokens(t, f.tokenAt(t, nodeC, rp, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {f.callback}, "code_verifier": {verifier}}), "code exchange on C")
	first := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	next := wantTokens(t, f.tokenAt(t, nodeA, rp, first), "refresh on A")
	wantGrantError(t, f.tokenAt(t, nodeB, rp, first), "the rotated refresh token replayed on B")
	wantGrantError(t, f.tokenAt(t, nodeC, rp, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}}),
		"the family's newest refresh token, on C, after the replay")
	if introspect(t, f.nodes[nodeC], next.AccessToken).Active {
		t.Error("the access token of a replayed family is still active on C")
	}
}

// fleetCodeReplay: a code redeemed on A and replayed on B is refused, and
// the replay revokes what A issued for it (RFC 6749 section 4.1.2), as C
// sees.
func fleetCodeReplay(t *testing.T, f *fleet) {
	rp := newRP(t, f.nodes[nodeC], []string{f.callback}, nil)
	rp.Endpoint.AuthURL = f.lb.URL + "/oauth2/auth"
	verifier := oauth2.GenerateVerifier()
	code := f.signInAcross(t, newBrowser(t, f.callback), rp, verifier, [3]int{nodeB, nodeC, nodeA}, nodeA, nodeB)
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.callback}, "code_verifier": {verifier}}
	tok := wantTokens(t, f.tokenAt(t, nodeA, rp, exchange), "code exchange on A")
	wantGrantError(t, f.tokenAt(t, nodeB, rp, exchange), "the same code replayed on B")
	if introspect(t, f.nodes[nodeC], tok.AccessToken).Active {
		t.Error("the access token of a replayed code is still active on C")
	}
}

// fleetClientSecret: a secret rotated through A works on B and C at once,
// the old one keeps working everywhere until the rotated secrets are
// deleted through B, and a secret replaced through C is refused on A
// immediately, whatever A's secret cache remembers.
func fleetClientSecret(t *testing.T, f *fleet) {
	id, oldSecret := newMachineClient(t, f.nodes[nodeA], nil)
	token := func(i int, secret string) response {
		return postForm(t, f.nodes[i].PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}},
			&[2]string{id, secret})
	}
	for i := range f.nodes { // warm every instance's secret cache
		wantTokens(t, token(i, oldSecret), "the first secret")
	}
	r := rotateSecret(t, f.nodes[nodeA], "POST", id)
	var rotated hydra.OAuth2Client
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &rotated) != nil {
		t.Fatalf("rotate on A: %d %s", r.Status, r.Body)
	}
	newSecret := rotated.GetClientSecret()
	wantTokens(t, token(nodeB, newSecret), "the new secret on B")
	wantTokens(t, token(nodeC, oldSecret), "the rotated secret on C")
	if r := rotateSecret(t, f.nodes[nodeB], "DELETE", id); r.Status != http.StatusOK {
		t.Fatalf("deleting rotated secrets on B: %d %s", r.Status, r.Body)
	}
	for i := range f.nodes {
		if r := token(i, oldSecret); r.Status != http.StatusUnauthorized {
			t.Errorf("instance %c accepts the deleted secret: %d %s", 'A'+i, r.Status, r.Body)
		}
		wantTokens(t, token(i, newSecret), "the current secret")
	}

	c, _, err := f.nodes[nodeC].Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	c.SetClientSecret("replaced-secret-0123456789")
	if _, _, err := f.nodes[nodeC].Admin.OAuth2API.SetOAuth2Client(context.Background(), id).OAuth2Client(*c).Execute(); err != nil {
		t.Fatalf("replacing the secret on C: %v", sdkErr(err))
	}
	if r := token(nodeA, newSecret); r.Status != http.StatusUnauthorized {
		t.Errorf("A accepts the secret replaced on C: %d %s", r.Status, r.Body)
	}
	wantTokens(t, token(nodeA, "replaced-secret-0123456789"), "the replacement on A")
}

// fleetSigningKey: a key added through A's admin API is published by B and
// C within the poll interval, and from then on signs their JWT access
// tokens.
func fleetSigningKey(t *testing.T, f *fleet) {
	ctx := context.Background()
	const kid = "fleet-rotated"
	if _, _, err := f.nodes[nodeA].Admin.JwkAPI.CreateJsonWebKeySet(ctx, setAccessToken).
		CreateJsonWebKeySet(hydra.CreateJsonWebKeySet{Alg: "RS256", Use: "sig", Kid: kid}).Execute(); err != nil {
		t.Fatalf("adding a key on A: %v", sdkErr(err))
	}
	id, secret := newMachineClient(t, f.nodes[nodeA], func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	for _, i := range []int{nodeB, nodeC} {
		awaitJWKS(t, f.nodes[i], kid)
		tok := wantTokens(t, postForm(t, f.nodes[i].PublicURL+"/oauth2/token",
			url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}, &[2]string{id, secret}), "a JWT access token")
		var header struct {
			Kid string `json:"kid"`
		}
		if err := json.Unmarshal(decodeSegment(t, strings.Split(tok.AccessToken, ".")[0]), &header); err != nil || header.Kid != kid {
			t.Errorf("instance %c signed with %q (%v), want the key added on A", 'A'+i, header.Kid, err)
		}
	}
}

// awaitJWKS polls srv's JWKS until it publishes kid. The poller reloads
// every fleetPoll; the bound only turns a hang into a failure.
func awaitJWKS(t *testing.T, srv *signettest.Server, kid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/jwks.json", "", nil, nil)
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(r.Body, &set); err != nil {
			t.Fatalf("JWKS: %d %s", r.Status, r.Body)
		}
		for _, k := range set.Keys {
			if k.Kid == kid {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not publish %s 10s after it was added elsewhere (poll interval %s)", srv.PublicURL, kid, fleetPoll)
		}
		time.Sleep(fleetPoll / 2)
	}
}
