package authorize

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

// withHints gives the endpoint an ID token reader and returns the keys
// Signet "issued" its ID tokens with.
func withHints(e *azEnv) *oauth2test.Keys {
	keys := oauth2test.NewKeys(e.t, jwk.SetIDToken)
	e.az.IDTokens = &token.IDTokens{Signer: keys, Keys: keys, Now: e.az.Now}
	return keys
}

// azHint is an ID token for sub signed by keys, expiring at exp.
func azHint(t *testing.T, keys *oauth2test.Keys, issuer, sub string, exp time.Time) string {
	t.Helper()
	ids := &token.IDTokens{Signer: keys, Keys: keys}
	raw, _, err := ids.Mint(context.Background(), token.IDTokenClaims{Issuer: issuer, Subject: sub,
		Audience: []string{"app"}, ExpiresAt: exp, IssuedAt: exp.Add(-time.Hour), AuthTime: exp.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// azRememberLogin signs subject in with remember_for=3600, so the browser
// holds a remembered session.
func azRememberLogin(e *azEnv, b *azBrowser, subject string) {
	e.t.Helper()
	b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: subject, Remember: true, RememberFor: 3600})
}

func (e *azEnv) loginRequest(challenge string) flow.LoginRequestView {
	e.t.Helper()
	v, err := e.admin.LoginRequest(context.Background(), challenge)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// azClientError asserts a redirect to the client carrying code and state.
func azClientError(t *testing.T, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	u := azLocation(t, w)
	q := u.Query()
	if got := u.Scheme + "://" + u.Host + u.Path; got != azRedirect || q.Get("error") != code || q.Get("state") != azState {
		t.Fatalf("redirect %s, want %s with error=%s and state", u, azRedirect, code)
	}
}

func TestAuthorizeIDTokenHintClaimsShownToLoginApp(t *testing.T) {
	for name, exp := range map[string]time.Duration{"valid": time.Hour, "expired long ago": -90 * 24 * time.Hour} {
		t.Run(name, func(t *testing.T) {
			e := newAZEnv(t)
			keys := withHints(e)
			hint := azHint(t, keys, azIssuer, "alice", e.now.Add(exp))
			challenge := newAZBrowser().toLogin(e, azQuery("id_token_hint", hint))
			var claims map[string]any
			raw := e.loginRequest(challenge).OIDCContext.IDTokenHintClaims
			if err := json.Unmarshal(raw, &claims); err != nil {
				t.Fatalf("id_token_hint_claims %s: %v", raw, err)
			}
			if claims["sub"] != "alice" || claims["iss"] != azIssuer || claims["exp"] != float64(e.now.Add(exp).Unix()) {
				t.Fatalf("id_token_hint_claims %s", raw)
			}
		})
	}
}

func TestAuthorizeIDTokenHintRefused(t *testing.T) {
	e := newAZEnv(t)
	keys := withHints(e)
	good := azHint(t, keys, azIssuer, "alice", e.now.Add(time.Hour))
	parts := strings.Split(good, ".")
	payload := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	none := payload(`{"alg":"none","typ":"JWT"}`) + "." + payload(`{"iss":"`+azIssuer+`","sub":"alice"}`) + "."
	hs256 := payload(`{"alg":"HS256","typ":"JWT"}`) + "." + parts[1] + "." + parts[2]
	cases := map[string]string{
		"tampered payload":  parts[0] + "." + payload(`{"iss":"`+azIssuer+`","sub":"mallory"}`) + "." + parts[2],
		"foreign key":       azHint(t, oauth2test.NewKeys(t, jwk.SetIDToken), azIssuer, "alice", e.now.Add(time.Hour)),
		"alg none":          none,
		"alg HS256":         hs256,
		"other issuer":      azHint(t, keys, "https://evil.example", "alice", e.now.Add(time.Hour)),
		"not a JWT":         "opaque-value",
		"truncated":         parts[0] + "." + parts[1],
		"signature dropped": parts[0] + "." + parts[1] + ".",
	}
	for name, hint := range cases {
		t.Run(name, func(t *testing.T) {
			w := newAZBrowser().get(e, azQuery("id_token_hint", hint))
			azClientError(t, w, "invalid_request")
			if d := azLocation(t, w).Query().Get("error_description"); !strings.Contains(d, "id_token_hint") {
				t.Fatalf("error_description %q does not name the parameter", d)
			}
		})
	}
	if e.db.writes() != 0 {
		t.Fatalf("refused hints wrote %d times", e.db.writes())
	}
}

func TestAuthorizeIDTokenHintSubjectGatesRememberedSession(t *testing.T) {
	cases := []struct {
		name, hintSub string
		skip          bool
	}{
		{"same user", "alice", true},
		{"other user", "bob", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZEnv(t)
			keys := withHints(e)
			b := newAZBrowser()
			azRememberLogin(e, b, "alice")
			hint := azHint(t, keys, azIssuer, tc.hintSub, e.now.Add(time.Hour))
			v := e.loginRequest(b.toLogin(e, azQuery("id_token_hint", hint)))
			if v.Skip != tc.skip {
				t.Fatalf("skip=%v subject=%q, want skip=%v", v.Skip, v.Subject, tc.skip)
			}
			if !tc.skip && v.Subject != "" {
				t.Fatalf("the other user's session leaked its subject %q to the login app", v.Subject)
			}
		})
	}
}

func TestAuthorizeIDTokenHintPromptNone(t *testing.T) {
	e := newAZEnv(t)
	keys := withHints(e)
	b := newAZBrowser()
	azRememberLogin(e, b, "alice")
	bob := azHint(t, keys, azIssuer, "bob", e.now.Add(time.Hour))
	azClientError(t, b.get(e, azQuery("id_token_hint", bob, "prompt", "none")), "login_required")
	// The same session answers a hint that names its own user.
	alice := azHint(t, keys, azIssuer, "alice", e.now.Add(time.Hour))
	v := e.loginRequest(b.toLogin(e, azQuery("id_token_hint", alice, "prompt", "none")))
	if !v.Skip || v.Subject != "alice" {
		t.Fatalf("skip=%v subject=%q", v.Skip, v.Subject)
	}
}

func TestAuthorizeIDTokenHintPairwiseSubject(t *testing.T) {
	c := azClient()
	c.SubjectType = "pairwise"
	e := newAZEnv(t, c)
	e.cfg.OIDC.SubjectIdentifiers.SupportedTypes = []string{"public", "pairwise"}
	e.cfg.OIDC.SubjectIdentifiers.Pairwise.Salt = "pairwise-salt-of-enough-length"
	sector, err := token.SectorIdentifier(c)
	if err != nil {
		t.Fatal(err)
	}
	keys := withHints(e)
	b := newAZBrowser()
	azRememberLogin(e, b, "alice")
	for _, tc := range []struct {
		name, sub string
		skip      bool
	}{
		{"pairwise value the client saw", token.PairwiseSubject(sector, "alice", "pairwise-salt-of-enough-length"), true},
		{"local subject the client never saw", "alice", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hint := azHint(t, keys, azIssuer, tc.sub, e.now.Add(time.Hour))
			if v := e.loginRequest(b.toLogin(e, azQuery("id_token_hint", hint))); v.Skip != tc.skip {
				t.Fatalf("skip=%v, want %v", v.Skip, tc.skip)
			}
		})
	}
}

func TestAuthorizeIDTokenHintOtherUserSignsIn(t *testing.T) {
	e := newAZEnv(t)
	keys := withHints(e)
	b := newAZBrowser()
	hint := azHint(t, keys, azIssuer, "alice", e.now.Add(time.Hour))
	rt, err := e.admin.AcceptLogin(b.toLogin(e, azQuery("id_token_hint", hint)), flow.AcceptLoginBody{Subject: "bob", Remember: true})
	if err != nil {
		t.Fatal(err)
	}
	azClientError(t, b.follow(e, rt.RedirectTo), "login_required")
	if e.db.saveLogin != 0 {
		t.Fatalf("a login refused for the hint was remembered")
	}
}

func TestAuthorizeExtendSessionLifespan(t *testing.T) {
	cases := []struct {
		name        string
		body        flow.AcceptLoginBody
		sessionTTL  time.Duration
		wantExpires time.Duration // from the second login; 0: unchanged
	}{
		{"extended by remember_for", flow.AcceptLoginBody{ExtendSessionLifespan: true, RememberFor: 3600}, 0, time.Hour},
		{"extended by ttl.authentication_session", flow.AcceptLoginBody{ExtendSessionLifespan: true}, 2 * time.Hour, 2 * time.Hour},
		{"not asked", flow.AcceptLoginBody{RememberFor: 7200}, 0, 0},
		{"never shortened", flow.AcceptLoginBody{ExtendSessionLifespan: true, RememberFor: 60}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZEnv(t)
			b := newAZBrowser()
			azRememberLogin(e, b, "alice")
			var sid string
			for id := range e.db.logins {
				sid = id
			}
			first := e.db.logins[sid].ExpiresAt
			e.now = e.now.Add(30 * time.Minute)
			e.cfg.TTL.AuthenticationSession = tc.sessionTTL

			challenge := b.toLogin(e, azQuery())
			if !e.loginRequest(challenge).Skip {
				t.Fatal("remembered session not offered as skip")
			}
			tc.body.Subject = "alice"
			rt, err := e.admin.AcceptLogin(challenge, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			w := b.follow(e, rt.RedirectTo)
			azLocation(t, w)

			want := first
			if tc.wantExpires != 0 {
				want = e.now.Add(tc.wantExpires)
			}
			ls := e.db.logins[sid]
			if !ls.ExpiresAt.Equal(want) || !ls.AuthenticatedAt.Equal(first.Add(-time.Hour)) {
				t.Fatalf("session expires %v (want %v), authenticated %v", ls.ExpiresAt, want, ls.AuthenticatedAt)
			}
			rewritten := hasCookie(w, e.az.Sessions.Name())
			if extended := tc.wantExpires != 0; rewritten != extended || (e.db.saveLogin == 2) != extended {
				t.Fatalf("cookie re-written %v, session saves %d, want extended=%v", rewritten, e.db.saveLogin, extended)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: e.az.Sessions.Name(), Value: b.jar[e.az.Sessions.Name()]})
			s, err := e.az.Sessions.Read(r)
			if err != nil || !s.ExpiresAt.Equal(want) || s.ID != sid {
				t.Fatalf("browser's session cookie %+v, %v; want expiry %v", s, err, want)
			}
		})
	}
}

func hasCookie(w *httptest.ResponseRecorder, name string) bool {
	for _, ck := range w.Result().Cookies() {
		if ck.Name == name && ck.MaxAge > 0 {
			return true
		}
	}
	return false
}
