package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
)

// loggedOut is the relying party's registered post-logout landing page. It
// is never served: the browser stops in front of it.
const loggedOut = "http://127.0.0.1:5555/logged-out"

// deliveryWait bounds the wait for a back-channel delivery, which happens
// in the background after the browser has moved on.
const deliveryWait = 30 * time.Second

// backChannelRP is an httptest relying party endpoint that hands every
// received logout_token to the test. With release set, each request
// blocks until the test closes it; with status set, it answers that.
type backChannelRP struct {
	srv     *httptest.Server
	tokens  chan string
	release chan struct{}
	status  int
}

func newBackChannelRP(t *testing.T, blocking bool, status int) *backChannelRP {
	t.Helper()
	rp := &backChannelRP{tokens: make(chan string, 16), status: status}
	if blocking {
		rp.release = make(chan struct{})
	}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		rp.tokens <- r.PostForm.Get("logout_token")
		if rp.release != nil {
			<-rp.release
		}
		if rp.status != 0 {
			w.WriteHeader(rp.status)
		}
	}))
	t.Cleanup(rp.srv.Close)
	if blocking {
		// Registered after Close, so it runs first: Close waits for the
		// blocked handler.
		t.Cleanup(func() { close(rp.release) })
	}
	return rp
}

// await returns the next delivered logout token.
func (rp *backChannelRP) await(t *testing.T) string {
	t.Helper()
	timer := time.NewTimer(deliveryWait)
	defer timer.Stop()
	select {
	case tok := <-rp.tokens:
		return tok
	case <-timer.C:
		t.Fatalf("no logout token delivered within %s", deliveryWait)
		return ""
	}
}

// logoutRP registers a relying party that takes part in logout: the
// post-logout redirect URI, and whatever edit adds.
func logoutRP(t *testing.T, f *flowSetup, edit func(c *hydra.OAuth2Client)) *oauth2.Config {
	t.Helper()
	return newRP(t, f.srv, []string{f.callback}, func(c *hydra.OAuth2Client) {
		c.SetPostLogoutRedirectUris([]string{loggedOut})
		if edit != nil {
			edit(c)
		}
	})
}

// signIn runs a remembered login and consent for rp in browser b and
// returns the raw ID token of the code exchange and its sid.
func signIn(t *testing.T, f *flowSetup, b *http.Client, rp *oauth2.Config) (string, string) {
	t.Helper()
	v := oauth2.GenerateVerifier()
	q := authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v)))
	tok, err := rp.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("no compact ID token in the token response: %q", raw)
	}
	var claims struct {
		Sid string `json:"sid"`
	}
	if err := json.Unmarshal(decodeSegment(t, parts[1]), &claims); err != nil || claims.Sid == "" {
		t.Fatalf("ID token has no sid (%v): %s", err, decodeSegment(t, parts[1]))
	}
	return raw, claims.Sid
}

// logoutURL is the RP-initiated logout request.
func logoutURL(srv *signettest.Server, params url.Values) string {
	return srv.PublicURL + "/oauth2/sessions/logout?" + params.Encode()
}

// assertLoginRequired: the browser's session is gone, so prompt=none
// answers login_required and an interactive flow asks the login app anew.
func assertLoginRequired(t *testing.T, f *flowSetup, b *http.Client, rp *oauth2.Config) {
	t.Helper()
	v := oauth2.GenerateVerifier()
	q := authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none")))
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none after logout: %v, want login_required", q)
	}
	q = authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v)))
	if q.Get("code") == "" || f.app.sawLoginSkip {
		t.Errorf("flow after logout: %v, login skip %v; want a new login (skip=false)", q, f.app.sawLoginSkip)
	}
}

// assertLogoutErrorPage: the logout endpoint answered its 400 HTML page
// and sent the browser nowhere.
func assertLogoutErrorPage(t *testing.T, p page, srv *signettest.Server, want string) {
	t.Helper()
	if p.Status != http.StatusBadRequest || !strings.HasPrefix(p.Type, "text/html") || p.Location != "" {
		t.Fatalf("got %d %q at %s (Location %q); want the 400 HTML error page", p.Status, p.Type, p.At, p.Location)
	}
	if !strings.HasPrefix(p.At.String(), srv.PublicURL+"/oauth2/sessions/logout") {
		t.Errorf("the error was shown at %s, not by the logout endpoint", p.At)
	}
	if !strings.Contains(p.Body, want) {
		t.Errorf("error page lacks %q:\n%s", want, p.Body)
	}
}

// TestRPInitiatedLogout: a relying party without a front-channel URI sends
// its ID token and a registered post-logout URI; the logout app is asked,
// accepts, and the browser lands on that URI with the state. The session
// is then gone.
func TestRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	rp := logoutRP(t, f, nil)
	b := newBrowser(t, f.callback)
	hint, sid := signIn(t, f, b, rp)

	lb := newBrowser(t, loggedOut)
	lb.Jar = b.Jar
	p := visit(t, lb, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}, "state": {"bye-0123"}}), nil)
	if p.Status != http.StatusFound || p.Location != loggedOut+"?state=bye-0123" {
		t.Fatalf("logout ended with %d at %s (Location %q), want a redirect to %s with the state", p.Status, p.At, p.Location, loggedOut)
	}
	req := f.app.sawLogout
	if req == nil {
		t.Fatal("the logout app was not asked")
	}
	if !req.GetRpInitiated() || req.GetSubject() != "alice" || req.GetSid() != sid {
		t.Errorf("logout request rp_initiated %v subject %q sid %q; want true, alice, %q", req.GetRpInitiated(), req.GetSubject(), req.GetSid(), sid)
	}
	assertLoginRequired(t, f, b, rp)
}

// TestFrontChannelLogoutPage: with a frontchannel_logout_uri the logout
// ends on a script-free page that frames the relying party's URI (with iss
// and sid) and refreshes to the post-logout URI with the state.
func TestFrontChannelLogoutPage(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	const front = "http://127.0.0.1:5556/front-logout"
	rp := logoutRP(t, f, func(c *hydra.OAuth2Client) {
		c.SetFrontchannelLogoutUri(front)
		c.SetFrontchannelLogoutSessionRequired(true)
	})
	b := newBrowser(t, f.callback)
	hint, sid := signIn(t, f, b, rp)

	csp := recordCSP(b, f.srv)
	p := visit(t, b, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}, "state": {"bye-0123"}}), nil)
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Type, "text/html") {
		t.Fatalf("front-channel page: %d %q at %s, want an HTML 200", p.Status, p.Type, p.At)
	}
	frame := front + "?" + url.Values{"iss": {f.srv.Issuer}, "sid": {sid}}.Encode()
	if !strings.Contains(p.Body, `src="`+strings.ReplaceAll(frame, "&", "&amp;")+`"`) {
		t.Errorf("no iframe for %s in:\n%s", frame, p.Body)
	}
	if strings.Contains(strings.ToLower(p.Body), "<script") {
		t.Error("the front-channel page contains a script")
	}
	if !strings.Contains(p.Body, `http-equiv="refresh"`) || !strings.Contains(p.Body, "url="+loggedOut+"?state=bye-0123") {
		t.Errorf("no meta refresh to %s with the state in:\n%s", loggedOut, p.Body)
	}
	if !strings.Contains(*csp, "frame-src http://127.0.0.1:5556;") || !strings.Contains(*csp, "default-src 'none'") || strings.Contains(*csp, "script-src") {
		t.Errorf("CSP %q: want frame-src exactly the RP's origin and no script (default-src 'none')", *csp)
	}
	assertLoginRequired(t, f, b, rp)
}

// recordCSP makes b remember the Content-Security-Policy of the logout
// endpoint's last response, which visit does not keep.
func recordCSP(b *http.Client, srv *signettest.Server) *string {
	var csp string
	b.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && strings.HasPrefix(r.URL.String(), srv.PublicURL+"/oauth2/sessions/logout") {
			csp = res.Header.Get("Content-Security-Policy")
		}
		return res, err
	})
	return &csp
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (fn roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

// TestLogoutWithoutHint: a logout without an ID token ends the browser's
// own session once the logout app accepts; a post-logout URI without a
// hint is refused, since nothing says which client it belongs to.
func TestLogoutWithoutHint(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	rp := logoutRP(t, f, nil)
	b := newBrowser(t, f.callback)
	signIn(t, f, b, rp)

	p := visit(t, b, logoutURL(f.srv, url.Values{"post_logout_redirect_uri": {loggedOut}}), nil)
	assertLogoutErrorPage(t, p, f.srv, "post_logout_redirect_uri")
	if f.app.sawLogout != nil {
		t.Error("the logout app was asked about a refused request")
	}

	p = visit(t, b, f.srv.PublicURL+"/oauth2/sessions/logout", nil)
	if p.Status >= 400 {
		t.Fatalf("logout without a hint: %d at %s", p.Status, p.At)
	}
	if req := f.app.sawLogout; req == nil || req.GetRpInitiated() || req.GetSubject() != "alice" {
		t.Fatalf("logout request %+v: want the app asked about alice, not RP-initiated", req)
	}
	assertLoginRequired(t, f, b, rp)
}

// TestLogoutUnregisteredRedirect: a valid hint does not make an
// unregistered post-logout URI acceptable.
func TestLogoutUnregisteredRedirect(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	rp := logoutRP(t, f, nil)
	b := newBrowser(t, f.callback)
	hint, _ := signIn(t, f, b, rp)
	for _, target := range []string{"https://evil.example/", loggedOut + "/", loggedOut + "?x=1", strings.ToUpper(loggedOut)} {
		p := visit(t, b, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {target}}), nil)
		assertLogoutErrorPage(t, p, f.srv, "not registered")
	}
	// Nothing was ended: the session still signs alice in.
	v := oauth2.GenerateVerifier()
	if q := authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none"))); q.Get("code") == "" {
		t.Errorf("prompt=none after refused logouts: %v, want the session kept", q)
	}
}

// TestLogoutRejected: when the logout app rejects, the session stays.
func TestLogoutRejected(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	f.app.rejectLogout = true
	rp := logoutRP(t, f, nil)
	b := newBrowser(t, f.callback)
	hint, _ := signIn(t, f, b, rp)

	p := visit(t, b, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}}), nil)
	if f.app.sawLogout == nil || !strings.Contains(p.Body, "you stay signed in") {
		t.Fatalf("logout ended at %s (%d): want the logout app's reject page", p.At, p.Status)
	}
	v := oauth2.GenerateVerifier()
	q := authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v)))
	if q.Get("code") == "" || !f.app.sawLoginSkip {
		t.Errorf("flow after a rejected logout: %v, login skip %v; want the session kept", q, f.app.sawLoginSkip)
	}
}

// logoutClaims is the payload of a logout token.
type logoutClaims struct {
	Iss    string                    `json:"iss"`
	Aud    audClaim                  `json:"aud"`
	Sub    string                    `json:"sub"`
	Sid    string                    `json:"sid"`
	Iat    int64                     `json:"iat"`
	Jti    string                    `json:"jti"`
	Events map[string]map[string]any `json:"events"`
	Nonce  *string                   `json:"nonce"`
}

// audClaim accepts a string or an array of strings.
type audClaim []string

func (a *audClaim) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = []string{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// verifyLogoutToken checks raw's signature against the published JWKS and
// returns its claims and typ header.
func verifyLogoutToken(t *testing.T, srv *signettest.Server, raw string) (logoutClaims, string) {
	t.Helper()
	r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/jwks.json", "", nil, nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256, jose.EdDSA, jose.ES384, jose.ES512, jose.RS512})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("logout token is not a compact JWS: %v", err)
	}
	h := jws.Signatures[0].Header
	keys := set.Key(h.KeyID)
	if len(keys) == 0 {
		t.Fatalf("the logout token's kid %q is not in the JWKS", h.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	var c logoutClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatalf("logout token claims: %v", err)
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return c, typ
}

// assertLogoutToken checks the claims the Back-Channel Logout spec (2.4)
// requires of a token for rp's session sid.
func assertLogoutToken(t *testing.T, srv *signettest.Server, raw, clientID, sid string) {
	t.Helper()
	c, typ := verifyLogoutToken(t, srv, raw)
	if typ != "logout+jwt" {
		t.Errorf("typ %q, want logout+jwt", typ)
	}
	if c.Iss != srv.Issuer || !slices.Equal([]string(c.Aud), []string{clientID}) {
		t.Errorf("iss %q aud %v; want %q and [%s]", c.Iss, c.Aud, srv.Issuer, clientID)
	}
	if _, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok {
		t.Errorf("events %v lack the back-channel logout event", c.Events)
	}
	if c.Sid != sid || c.Sub != "alice" || c.Nonce != nil || c.Iat == 0 || c.Jti == "" {
		t.Errorf("sid %q sub %q nonce %v iat %d jti %q; want sid %q, alice, no nonce, iat and jti", c.Sid, c.Sub, c.Nonce, c.Iat, c.Jti, sid)
	}
}

// TestBackChannelLogout: the relying party receives a logout token it can
// verify against the JWKS, naming the ended session.
func TestBackChannelLogout(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	bc := newBackChannelRP(t, false, 0)
	rp := logoutRP(t, f, func(c *hydra.OAuth2Client) {
		c.SetBackchannelLogoutUri(bc.srv.URL + "/bc")
		c.SetBackchannelLogoutSessionRequired(true)
	})
	b := newBrowser(t, f.callback)
	hint, sid := signIn(t, f, b, rp)
	lb := newBrowser(t, loggedOut)
	lb.Jar = b.Jar
	p := visit(t, lb, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}}), nil)
	if p.Location != loggedOut {
		t.Fatalf("logout ended with %d at %s (Location %q)", p.Status, p.At, p.Location)
	}
	assertLogoutToken(t, f.srv, bc.await(t), rp.ClientID, sid)
}

// TestBackChannelSlowAndFailingClients: a client that never answers and
// one that answers 500 do not hold up or break the browser's logout.
func TestBackChannelSlowAndFailingClients(t *testing.T) {
	t.Parallel()
	// Deliveries may take an hour: a browser that waited for the slow
	// client would hang here, and the test would never reach its checks.
	f := startFlow(t, signettest.WithAppOptions(app.WithBackChannelTimeout(time.Hour)))
	f.app.remember = true
	slow := newBackChannelRP(t, true, 0)
	failing := newBackChannelRP(t, false, http.StatusInternalServerError)
	slowRP := logoutRP(t, f, func(c *hydra.OAuth2Client) { c.SetBackchannelLogoutUri(slow.srv.URL + "/bc") })
	failRP := logoutRP(t, f, func(c *hydra.OAuth2Client) { c.SetBackchannelLogoutUri(failing.srv.URL + "/bc") })
	b := newBrowser(t, f.callback)
	hint, sid := signIn(t, f, b, slowRP)
	if _, sid2 := signIn(t, f, b, failRP); sid2 != sid {
		t.Fatalf("the second sign-in got sid %q, want the remembered session %q", sid2, sid)
	}

	lb := newBrowser(t, loggedOut)
	lb.Jar = b.Jar
	p := visit(t, lb, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}, "state": {"s-1"}}), nil)
	if p.Location != loggedOut+"?state=s-1" {
		t.Fatalf("logout ended with %d at %s (Location %q) while a client was slow", p.Status, p.At, p.Location)
	}
	// Both were called; the slow one is still blocked (released at cleanup).
	assertLogoutToken(t, f.srv, slow.await(t), slowRP.ClientID, sid)
	assertLogoutToken(t, f.srv, failing.await(t), failRP.ClientID, sid)
	assertLoginRequired(t, f, b, slowRP)
}

// TestRevokeLoginSessionsNotifiesBackChannel: ending a subject's login
// sessions through the admin API delivers logout tokens too.
func TestRevokeLoginSessionsNotifiesBackChannel(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	bc := newBackChannelRP(t, false, 0)
	rp := logoutRP(t, f, func(c *hydra.OAuth2Client) { c.SetBackchannelLogoutUri(bc.srv.URL + "/bc") })
	b := newBrowser(t, f.callback)
	_, sid := signIn(t, f, b, rp)
	if _, err := f.srv.Admin.OAuth2API.RevokeOAuth2LoginSessions(context.Background()).Subject("alice").Execute(); err != nil {
		t.Fatalf("RevokeOAuth2LoginSessions: %v", sdkErr(err))
	}
	assertLogoutToken(t, f.srv, bc.await(t), rp.ClientID, sid)
}
