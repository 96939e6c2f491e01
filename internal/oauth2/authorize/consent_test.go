package authorize

import (
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/token"
)

// azFinish runs a whole flow for query with the login body and returns the
// redirect to the client.
func (b *azBrowser) azFinish(e *azEnv, query string, login flow.AcceptLoginBody) *url.URL {
	e.t.Helper()
	consent := b.toConsent(e, b.toLogin(e, query), login)
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return azLocation(e.t, b.follow(e, rt.RedirectTo))
}

// A consent verifier used again, from the same browser with its cookies
// restored (the back button, a double submit), must not yield a second
// code: the consent record is the verifier's single-use guard.
func TestAuthorizeConsentVerifierReplay(t *testing.T) {
	e := newAZEnv(t)
	b := newAZBrowser()
	consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	jar := maps.Clone(b.jar)
	if u := azLocation(t, b.follow(e, rt.RedirectTo)); u.Query().Get("code") == "" {
		t.Fatalf("first use gave no code: %s", u)
	}
	for range 2 {
		b.jar = maps.Clone(jar)
		if body := azPage(t, b.follow(e, rt.RedirectTo)); !strings.Contains(body, "already completed") {
			t.Fatalf("replay page: %s", body)
		}
	}
	if len(e.db.codes) != 1 || len(e.db.consents) != 1 {
		t.Fatalf("replays stored %d codes and %d consents, want 1 and 1", len(e.db.codes), len(e.db.consents))
	}
	// The replays wrote nothing that took effect: no verifier record was
	// made for the consent verifier at all.
	if e.db.useVerifier != 1 {
		t.Fatalf("verifier uses %d, want only the login verifier's", e.db.useVerifier)
	}
}

// A consent verifier from another browser is refused before any write, so
// it cannot burn the real user's flow either.
func TestAuthorizeConsentVerifierOtherBrowser(t *testing.T) {
	e := newAZEnv(t)
	b := newAZBrowser()
	consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	azPage(t, newAZBrowser().follow(e, rt.RedirectTo))
	if e.db.saveConsent != 0 || len(e.db.codes) != 0 {
		t.Fatalf("another browser's attempt wrote: consents %d codes %d", e.db.saveConsent, len(e.db.codes))
	}
	if u := azLocation(t, b.follow(e, rt.RedirectTo)); u.Query().Get("code") == "" {
		t.Fatalf("the real browser was locked out: %s", u)
	}
}

func pairwiseClient(id, host string) *client.Client {
	c := azClient()
	c.ID, c.SubjectType, c.RedirectURIs = id, "pairwise", []string{"https://" + host + "/cb"}
	return c
}

func pairwiseEnv(t *testing.T, cs ...*client.Client) *azEnv {
	e := newAZEnv(t, cs...)
	e.cfg.OIDC.SubjectIdentifiers = config.SubjectIdentifiers{SupportedTypes: []string{"public", "pairwise"},
		Pairwise: config.Pairwise{Salt: "a-salt-of-some-length"}}
	return e
}

func pairwiseQuery(c *client.Client) string {
	return azQuery("client_id", c.ID, "redirect_uri", c.RedirectURIs[0])
}

// The code carries the pairwise subject (so every token of the grant does),
// while the consent keeps the local subject the admin API lists it by.
func TestAuthorizePairwiseSubjects(t *testing.T) {
	a, b2 := pairwiseClient("a", "a.example"), pairwiseClient("b", "b.example")
	pub := azClient()
	e := pairwiseEnv(t, a, b2, pub)
	alice := flow.AcceptLoginBody{Subject: "alice"}
	for _, c := range []*client.Client{a, b2, a, pub} {
		newAZBrowser().azFinish(e, pairwiseQuery(c), alice)
	}
	if len(e.db.codes) != 4 {
		t.Fatalf("%d codes", len(e.db.codes))
	}
	subA, subB, subA2, subPub := e.db.codes[0].Subject, e.db.codes[1].Subject, e.db.codes[2].Subject, e.db.codes[3].Subject
	if want := token.PairwiseSubject("a.example", "alice", "a-salt-of-some-length"); subA != want {
		t.Errorf("client a sees %q, want %q", subA, want)
	}
	if subA == subB || subA == "alice" || subB == "alice" {
		t.Errorf("sectors a.example and b.example can correlate: %q, %q", subA, subB)
	}
	if subA2 != subA {
		t.Errorf("the same client saw %q then %q", subA, subA2)
	}
	if subPub != "alice" {
		t.Errorf("public client sees %q", subPub)
	}
	for i, cs := range e.db.consents {
		if cs.Subject != "alice" {
			t.Errorf("consent %d stored subject %q, want the local subject", i, cs.Subject)
		}
	}
}

func TestAuthorizeForceSubjectIdentifier(t *testing.T) {
	a := pairwiseClient("a", "a.example")
	e := pairwiseEnv(t, a, azClient())
	forced := flow.AcceptLoginBody{Subject: "alice", ForceSubjectIdentifier: "forced-sub"}
	newAZBrowser().azFinish(e, pairwiseQuery(a), forced)
	newAZBrowser().azFinish(e, azQuery(), forced) // public: the field is ignored
	if got := e.db.codes[0].Subject; got != "forced-sub" {
		t.Errorf("pairwise client sees %q, want the forced identifier", got)
	}
	if got := e.db.codes[1].Subject; got != "alice" {
		t.Errorf("public client sees %q, want the login subject", got)
	}
	if e.db.consents[0].Subject != "alice" {
		t.Errorf("consent stored %q, want the local subject", e.db.consents[0].Subject)
	}
}

// A pairwise client the server cannot serve gets unauthorized_client at
// its redirect URI, with state, and no code or consent is stored.
func TestAuthorizePairwiseRefused(t *testing.T) {
	twoHosts := pairwiseClient("two", "a.example")
	twoHosts.RedirectURIs = append(twoHosts.RedirectURIs, "https://b.example/cb")
	cases := []struct {
		name    string
		c       *client.Client
		types   []string
		wantMsg string
	}{
		{"server supports only public", pairwiseClient("a", "a.example"), []string{"public"}, "supported_types"},
		{"server default (unset)", pairwiseClient("a", "a.example"), nil, "supported_types"},
		{"no single sector", twoHosts, []string{"public", "pairwise"}, "sector_identifier_uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := pairwiseEnv(t, tc.c)
			e.cfg.OIDC.SubjectIdentifiers.SupportedTypes = tc.types
			u := newAZBrowser().azFinish(e, pairwiseQuery(tc.c), flow.AcceptLoginBody{Subject: "alice"})
			q := u.Query()
			if q.Get("error") != "unauthorized_client" || q.Get("state") != azState ||
				!strings.Contains(q.Get("error_hint")+q.Get("error_description"), tc.wantMsg) {
				t.Fatalf("redirect %s", u)
			}
			if len(e.db.codes) != 0 || len(e.db.consents) != 0 {
				t.Fatalf("stored %d codes, %d consents", len(e.db.codes), len(e.db.consents))
			}
		})
	}
}

func TestSubjectFor(t *testing.T) {
	on := config.SubjectIdentifiers{SupportedTypes: []string{"pairwise"}, Pairwise: config.Pairwise{Salt: "s"}}
	sectorURI := pairwiseClient("a", "a.example")
	sectorURI.SectorIdentifierURI = "https://rp.example/sector.json"
	noRedirect := pairwiseClient("n", "a.example")
	noRedirect.RedirectURIs = nil
	cases := []struct {
		name  string
		c     *client.Client
		login flow.LoginResult
		ids   config.SubjectIdentifiers
		want  string
		err   bool
	}{
		{"public", azClient(), flow.LoginResult{Subject: "alice"}, on, "alice", false},
		{"public ignores forced", azClient(), flow.LoginResult{Subject: "alice", ForceSubjectIdentifier: "f"}, config.SubjectIdentifiers{}, "alice", false},
		{"pairwise by host", pairwiseClient("a", "a.example"), flow.LoginResult{Subject: "alice"}, on,
			token.PairwiseSubject("a.example", "alice", "s"), false},
		{"pairwise by sector URI", sectorURI, flow.LoginResult{Subject: "alice"}, on,
			token.PairwiseSubject("https://rp.example/sector.json", "alice", "s"), false},
		{"forced wins", noRedirect, flow.LoginResult{Subject: "alice", ForceSubjectIdentifier: "f"}, on, "f", false},
		{"forced needs pairwise support", pairwiseClient("a", "a.example"),
			flow.LoginResult{Subject: "alice", ForceSubjectIdentifier: "f"}, config.SubjectIdentifiers{}, "", true},
		{"no sector", noRedirect, flow.LoginResult{Subject: "alice"}, on, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, e := SubjectFor(tc.c, tc.login, tc.ids)
			if (e != nil) != tc.err || got != tc.want {
				t.Fatalf("got %q, %v; want %q, error %v", got, e, tc.want, tc.err)
			}
		})
	}
}
