package devapp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestRefusals: every class of bad input a stranger can send gets a page
// in words with its status, a hint and the request id; nothing is decided.
func TestRefusals(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	ch := e.loginChallenge(t, "")
	form := formOf(t, b.get(LoginPath+"?login_challenge="+ch))
	postRaw := func(contentType, body string) func() *httptest.ResponseRecorder {
		return func() *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, LoginPath, strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			return b.do(req)
		}
	}
	stranger := e.browser() // another browser: no form cookie, or its own
	cases := []struct {
		name   string
		send   func() *httptest.ResponseRecorder
		status int
		words  string
	}{
		{"no challenge", func() *httptest.ResponseRecorder { return b.get(LoginPath) }, 400, "needs the login_challenge parameter"},
		{"garbage challenge", func() *httptest.ResponseRecorder { return b.get(LoginPath + "?login_challenge=s1.garbage") }, 400, "unknown or has expired"},
		{"consent challenge on the login page", func() *httptest.ResponseRecorder {
			return b.get(LoginPath + "?login_challenge=" + e.consentChallenge(t, false))
		}, 400, "unknown or has expired"},
		{"repeated query parameter", func() *httptest.ResponseRecorder {
			return b.get(LoginPath + "?login_challenge=" + ch + "&login_challenge=" + ch)
		}, 400, "more than once"},
		{"logout challenge garbage", func() *httptest.ResponseRecorder { return b.get(LogoutPath + "?logout_challenge=x") }, 400, "sign-out request is unknown"},
		{"JSON body", postRaw("application/json", `{"subject":"alice"}`), 415, "Content-Type application/x-www-form-urlencoded"},
		{"oversized form", postRaw("application/x-www-form-urlencoded", "subject="+strings.Repeat("a", maxFormBody)), 413, "larger than"},
		{"malformed encoding", postRaw("application/x-www-form-urlencoded", "subject=%zz"), 400, "not correctly URL-encoded"},
		{"repeated field", func() *httptest.ResponseRecorder {
			return b.post(LoginPath, with(form, "subject", "a", "subject", "b", "action", "accept"))
		}, 400, "more than once"},
		{"unknown field", func() *httptest.ResponseRecorder {
			return b.post(LoginPath, with(form, "subject", "a", "admin", "true", "action", "accept"))
		}, 400, "does not send"},
		{"no button", func() *httptest.ResponseRecorder { return b.post(LoginPath, with(form, "subject", "a")) }, 400, "without pressing"},
		{"odd button", func() *httptest.ResponseRecorder {
			return b.post(LoginPath, with(form, "subject", "a", "action", "delete"))
		}, 400, "without pressing"},
		{"odd checkbox", func() *httptest.ResponseRecorder {
			return b.post(LoginPath, with(form, "subject", "a", "remember", "yes", "action", "accept"))
		}, 400, "&#34;remember&#34; must be"},
		{"no challenge in the form", func() *httptest.ResponseRecorder {
			return b.post(LoginPath, url.Values{"csrf_token": form["csrf_token"], "action": {"accept"}, "subject": {"a"}})
		}, 400, "does not say which request"},
		{"no form cookie (cross-site post)", func() *httptest.ResponseRecorder {
			return stranger.post(LoginPath, with(form, "subject", "mallory", "action", "accept"))
		}, 403, "did not send back the cookie"},
		{"token of another challenge", func() *httptest.ResponseRecorder {
			other := formOf(t, b.get(LoginPath+"?login_challenge="+e.loginChallenge(t, "")))
			return b.post(LoginPath, url.Values{"challenge": form["challenge"], "csrf_token": other["csrf_token"],
				"subject": {"a"}, "action": {"accept"}})
		}, 403, "not the one this browser was shown"},
		{"token of another browser", func() *httptest.ResponseRecorder {
			stranger.get(LoginPath + "?login_challenge=" + ch) // gets a cookie of its own
			return stranger.post(LoginPath, with(form, "subject", "mallory", "action", "accept"))
		}, 403, "not the one this browser was shown"},
		{"token of another step", func() *httptest.ResponseRecorder {
			return b.post(LogoutPath, url.Values{"challenge": form["challenge"], "csrf_token": form["csrf_token"], "action": {"accept"}})
		}, 403, "not the one this browser was shown"},
		{"subject in the logout form", func() *httptest.ResponseRecorder {
			return b.post(LogoutPath, with(form, "subject", "a", "action", "accept"))
		}, 400, "does not send"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.send()
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d:\n%s", w.Code, tc.status, body)
			}
			if !strings.Contains(body, tc.words) {
				t.Errorf("the page does not say %q:\n%s", tc.words, body)
			}
			id := w.Header().Get("X-Request-Id")
			if id == "" || !strings.Contains(body, "request id <code>"+id+"</code>") {
				t.Errorf("the page does not show the request id %q", id)
			}
			if !strings.Contains(body, `id="error"`) || !strings.Contains(body, "Development only") {
				t.Error("the error page lacks the error box or the development banner")
			}
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'none'") {
				t.Errorf("an error page's policy allows forms: %q", csp)
			}
			if w.Header().Get("Location") != "" {
				t.Error("a refused request was redirected: something was decided")
			}
		})
	}
}

// TestInternalErrorsStayInternal: a failing store shows a 500 page that
// names the request id and nothing of the cause.
func TestInternalErrorsStayInternal(t *testing.T) {
	e := newEnvWith(t, "", fakeClients{err: errors.New("pq: connection refused to db.internal:5432")})
	w := e.browser().get(LoginPath + "?login_challenge=" + e.loginChallenge(t, ""))
	body := w.Body.String()
	if w.Code != http.StatusInternalServerError || strings.Contains(body, "db.internal") ||
		!strings.Contains(body, w.Header().Get("X-Request-Id")) {
		t.Errorf("status %d, body:\n%s\nwant 500 naming the request id and hiding the cause", w.Code, body)
	}
}
