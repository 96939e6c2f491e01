package devapp

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
)

// TestDecideLogin: what a person types becomes the acceptance a login app
// sends, and every mistake is a precise, correctable error.
func TestDecideLogin(t *testing.T) {
	digest := func(s string) []byte { d := sha256.Sum256([]byte(s)); return d[:] }
	fresh := flow.LoginRequestView{}
	cases := []struct {
		name       string
		req        flow.LoginRequestView
		in         loginInput
		password   []byte
		wantStatus int // 0: accepted
		want       flow.AcceptLoginBody
	}{
		{name: "any name", req: fresh, in: loginInput{Subject: "alice"}, want: flow.AcceptLoginBody{Subject: "alice"}},
		{name: "trimmed, remembered", req: fresh, in: loginInput{Subject: "  bob \t", Remember: true},
			want: flow.AcceptLoginBody{Subject: "bob", Remember: true}},
		{name: "unicode", req: fresh, in: loginInput{Subject: "zoë@example"}, want: flow.AcceptLoginBody{Subject: "zoë@example"}},
		{name: "empty", req: fresh, in: loginInput{Subject: "   "}, wantStatus: http.StatusBadRequest},
		{name: "too long", req: fresh, in: loginInput{Subject: strings.Repeat("a", maxSubject+1)}, wantStatus: http.StatusBadRequest},
		{name: "control character", req: fresh, in: loginInput{Subject: "al\x00ice"}, wantStatus: http.StatusBadRequest},
		{name: "right password", req: fresh, in: loginInput{Subject: "alice", Password: "s3cret"}, password: digest("s3cret"),
			want: flow.AcceptLoginBody{Subject: "alice", AMR: []string{"pwd"}}},
		{name: "wrong password", req: fresh, in: loginInput{Subject: "alice", Password: "s3cre"}, password: digest("s3cret"),
			wantStatus: http.StatusForbidden},
		{name: "no password given", req: fresh, in: loginInput{Subject: "alice"}, password: digest("s3cret"),
			wantStatus: http.StatusForbidden},
		{name: "skip keeps the remembered subject", req: flow.LoginRequestView{Skip: true, Subject: "carol"},
			in: loginInput{Subject: "mallory"}, password: digest("s3cret"), want: flow.AcceptLoginBody{Subject: "carol"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decideLogin(tc.req, tc.in, tc.password)
			if tc.wantStatus != 0 {
				var e *httpx.Error
				if !errors.As(err, &e) || e.Status != tc.wantStatus || e.Description == "" {
					t.Fatalf("error %v, want a %d with a description", err, tc.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tc.want.Subject || got.Remember != tc.want.Remember || !slices.Equal(got.AMR, tc.want.AMR) {
				t.Errorf("accept %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestLoginPage: the page names the client and the scopes, carries the
// stable ids, is marked for development, and is locked down by its
// policy; the password field appears only when a password is configured.
func TestLoginPage(t *testing.T) {
	for _, password := range []string{"", "s3cret"} {
		e := newEnv(t, password)
		w := e.browser().get(LoginPath + "?login_challenge=" + e.loginChallenge(t, ""))
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, body)
		}
		for _, want := range []string{`id="subject"`, `id="remember"`, `id="accept"`, `id="reject"`, `lang="en"`,
			`name="viewport"`, "Development only — do not use in production", "Example &lt;App&gt;", "<code>offline_access</code>",
			`<label class="field" for="subject">`} {
			if !strings.Contains(body, want) {
				t.Errorf("the login page lacks %q", want)
			}
		}
		if got := strings.Contains(body, `id="password"`); got != (password != "") {
			t.Errorf("password %q configured: password field shown = %v", password, got)
		}
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src " + pageStyleHash, "frame-ancestors 'none'",
			"base-uri 'none'", "form-action 'self' http://127.0.0.1:5555 http://127.0.0.1:4444"} {
			if !strings.Contains(csp, want) {
				t.Errorf("policy %q lacks %q", csp, want)
			}
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Error("the page, which holds a challenge, may be cached")
		}
	}
}

// TestLoginSubmit walks the buttons: Sign in and Deny produce the
// verifiers the admin API would, and a wrong password shows the form again.
func TestLoginSubmit(t *testing.T) {
	e := newEnv(t, "s3cret")
	b := e.browser()
	ch := e.loginChallenge(t, "")
	page := b.get(LoginPath + "?login_challenge=" + ch)
	form := formOf(t, page)

	w := b.post(LoginPath, with(form, "subject", "alice", "password", "wrong", "action", "accept"))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `id="error"`) ||
		!strings.Contains(w.Body.String(), "The password is not right.") || !strings.Contains(w.Body.String(), `value="alice"`) {
		t.Fatalf("wrong password: %d, want 403 with the form again, the error and the name kept:\n%s", w.Code, w.Body.String())
	}

	w = b.post(LoginPath, with(formOf(t, w), "subject", "alice", "password", "s3cret", "remember", "true", "action", "accept"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", w.Code, w.Body.String())
	}
	f := e.verifier(t, w.Header().Get("Location"), flow.PurposeLoginVerifier)
	if f.State != flow.StateLoginAccepted || f.Login.Subject != "alice" || !f.Login.Remember || !slices.Equal(f.Login.AMR, []string{"pwd"}) {
		t.Errorf("accepted login %+v", f.Login)
	}

	w = b.post(LoginPath, with(form, "action", "reject"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("deny: %d %s", w.Code, w.Body.String())
	}
	f = e.verifier(t, w.Header().Get("Location"), flow.PurposeLoginVerifier)
	if f.State != flow.StateLoginRejected || f.Error == nil || f.Error.Error != "access_denied" {
		t.Errorf("denied login: state %s, error %+v; want access_denied", f.State, f.Error)
	}
}

// TestLoginSkip: a remembered session is accepted at once, with its own
// subject, as a login app must.
func TestLoginSkip(t *testing.T) {
	e := newEnv(t, "s3cret")
	w := e.browser().get(LoginPath + "?login_challenge=" + e.loginChallenge(t, "carol"))
	if w.Code != http.StatusFound {
		t.Fatalf("status %d, want a redirect without a page: %s", w.Code, w.Body.String())
	}
	if f := e.verifier(t, w.Header().Get("Location"), flow.PurposeLoginVerifier); f.Login.Subject != "carol" {
		t.Errorf("subject %q, want the remembered carol", f.Login.Subject)
	}
}
