package authorize

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// RFC 9207 issuer identification: tests of the iss parameter.

// deliveredParams reads the parameters of a client-bound answer in any
// mode: the query or fragment of the 302, or the form_post page's fields.
func deliveredParams(t *testing.T, w *httptest.ResponseRecorder) url.Values {
	t.Helper()
	if w.Code == http.StatusOK { // form_post
		v := url.Values{}
		body := w.Body.String()
		for _, field := range strings.Split(body, `<input type="hidden" `)[1:] {
			name := between(field, `name="`, `"`)
			value := between(field, `value="`, `"`)
			v.Add(html.UnescapeString(name), html.UnescapeString(value))
		}
		return v
	}
	u := azLocation(t, w)
	if u.Fragment != "" {
		v, err := url.ParseQuery(u.EscapedFragment())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return u.Query()
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestClientReplyCarriesIssuer: success and error, in every response mode,
// carry iss exactly as configured (a path and characters that need
// encoding included), next to state.
func TestClientReplyCarriesIssuer(t *testing.T) {
	const issuer = "https://issuer.example/tenant+a/"
	for _, mode := range SupportedResponseModes() {
		for _, outcome := range []string{"success", "error"} {
			t.Run(mode+" "+outcome, func(t *testing.T) {
				rt := "code"
				if mode == ResponseModeFragment {
					rt = "code id_token"
				}
				cr := replyTo(issuer, azRedirect, rt, mode, azState)
				if cr.mode != mode {
					t.Fatalf("delivery mode %q, want %q", cr.mode, mode)
				}
				rd := cr.success(url.Values{"code": {"c"}})
				if outcome == "error" {
					rd = cr.fail(oauth2.InvalidScope("The scope is not allowed."))
				}
				w := httptest.NewRecorder()
				rd.write(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth", nil))
				v := deliveredParams(t, w)
				if v.Get("iss") != issuer || len(v["iss"]) != 1 || v.Get("state") != azState {
					t.Fatalf("parameters %v, want iss %q once and state", v, issuer)
				}
				if (outcome == "error") != v.Has("error") {
					t.Fatalf("parameters %v", v)
				}
			})
		}
	}
}

// TestRequestErrorRedirectCarriesIssuer: errors found while validating the
// request (Error.Redirect) identify the issuer too.
func TestRequestErrorRedirectCarriesIssuer(t *testing.T) {
	e := &Error{Err: oauth2.InvalidRequest("x"), Redirectable: true, Mode: ResponseModeFragment, State: azState}
	u, err := url.Parse(e.Redirect(azRedirect, azIssuer).URL())
	if err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(u.EscapedFragment())
	if err != nil || v.Get("iss") != azIssuer || u.RawQuery != "" {
		t.Fatalf("redirect %s (%v)", u, err)
	}
}

// TestAuthorizeResponsesCarryIssuer drives the endpoint through every kind
// of answer the client receives: the code, request errors, prompt=none
// errors before and after login, and rejections by the login and consent
// apps.
func TestAuthorizeResponsesCarryIssuer(t *testing.T) {
	for name, run := range map[string]func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder{
		"code": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
			rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
			if err != nil {
				e.t.Fatal(err)
			}
			return b.follow(e, rt.RedirectTo)
		},
		"invalid scope": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			return b.get(e, azQuery("scope", "openid admin"))
		},
		"invalid scope, fragment": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			return b.get(e, azQuery("scope", "openid admin", "response_mode", "fragment"))
		},
		"invalid scope, form_post": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			return b.get(e, azQuery("scope", "openid admin", "response_mode", "form_post"))
		},
		"prompt none without session": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			return b.get(e, azQuery("prompt", "none"))
		},
		"prompt none without consent": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice", Remember: true})
			rt, _ := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
			azLocation(e.t, b.follow(e, rt.RedirectTo))
			rt2, err := e.admin.AcceptLogin(b.toLogin(e, azQuery("prompt", "none")), flow.AcceptLoginBody{Subject: "alice"})
			if err != nil {
				e.t.Fatal(err)
			}
			return b.follow(e, rt2.RedirectTo)
		},
		"login rejected": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			rt, err := e.admin.RejectLogin(b.toLogin(e, azQuery()), flow.RejectBody{Error: "access_denied"})
			if err != nil {
				e.t.Fatal(err)
			}
			return b.follow(e, rt.RedirectTo)
		},
		"consent rejected": func(e *azEnv, b *azBrowser) *httptest.ResponseRecorder {
			consent := b.toConsent(e, b.toLogin(e, azQuery("response_mode", "fragment")), flow.AcceptLoginBody{Subject: "alice"})
			rt, err := e.admin.RejectConsent(consent, flow.RejectBody{Error: "consent_denied"})
			if err != nil {
				e.t.Fatal(err)
			}
			return b.follow(e, rt.RedirectTo)
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newAZEnv(t)
			v := deliveredParams(t, run(e, newAZBrowser()))
			if v.Get("iss") != azIssuer || len(v["iss"]) != 1 || v.Get("state") != azState {
				t.Fatalf("parameters %v, want iss %q", v, azIssuer)
			}
		})
	}
}

// TestAuthorizeErrorPageHasNoIssuer: an error that cannot be delivered to
// the client (its redirect URI is not trusted) is shown to the user, or
// sent to urls.error, without iss: RFC 9207 covers responses to the client.
func TestAuthorizeErrorPageHasNoIssuer(t *testing.T) {
	e := newAZEnv(t)
	if body := azPage(t, newAZBrowser().get(e, azQuery("redirect_uri", "https://evil.example/cb"))); strings.Contains(body, "iss=") {
		t.Fatalf("error page mentions iss: %s", body)
	}
	e.cfg.URLs.Error = "https://errors.example/show"
	u := azLocation(t, newAZBrowser().get(e, azQuery("client_id", "nobody")))
	if u.Host != "errors.example" || u.Query().Has("iss") {
		t.Fatalf("error URL %s", u)
	}
}
