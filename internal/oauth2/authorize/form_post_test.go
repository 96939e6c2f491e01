package authorize

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestFormPostScriptHash: the CSP allows exactly the script the page runs.
func TestFormPostScriptHash(t *testing.T) {
	sum := sha256.Sum256([]byte(formPostScript))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; formPostScriptHash != want {
		t.Fatalf("formPostScriptHash = %s, want %s", formPostScriptHash, want)
	}
}

func TestFormActionSource(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"https://app.example/cb?x=1", "https://app.example"},
		{"https://App.Example:8443/cb", "https://App.Example:8443"},
		{"HTTP://127.0.0.1:5555/callback", "http://127.0.0.1:5555"},
		{"http://[::1]:8080/cb", "http://[::1]:8080"},
		// Refused: no origin a form can post to, or one that could smuggle
		// CSP syntax into the header.
		{"com.example.app:/cb", ""},
		{"javascript:alert(1)", ""},
		{"data:text/html,hi", ""},
		{"https://user@app.example/cb", ""},
		{"https:///cb", ""},
		{"https://app.example;script-src/cb", ""},
		{"https://app.example,x/cb", ""},
		{"https://app.example'/cb", ""},
		{"http://[fe80::1%25eth0]/cb", ""},
		{"%zz", ""},
	} {
		got, ok := formActionSource(tc.uri)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("formActionSource(%q) = %q, %v; want %q", tc.uri, got, ok, tc.want)
		}
	}
}

// TestFormPostPage: the page posts every parameter, escaped, to the
// redirect URI, under a policy that lets nothing else happen.
func TestFormPostPage(t *testing.T) {
	hostile := `"><script>alert(1)</script><input name="x`
	rd := &Redirect{URI: "https://app.example/cb?tenant=a&b=c#frag", Mode: ResponseModeFormPost,
		Params: url.Values{"state": {hostile}, "code": {"c0de"}, "id_token": {"a.b.c"}}}
	w := httptest.NewRecorder()
	rd.write(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth", nil))
	body := w.Body.String()
	h := w.Header()

	if w.Code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q", w.Code, h.Get("Content-Type"))
	}
	wantCSP := "default-src 'none'; script-src " + formPostScriptHash +
		"; form-action https://app.example; frame-ancestors 'none'; base-uri 'none'"
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP, "Cache-Control": "no-store", "Pragma": "no-cache",
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if h.Get("Location") != "" {
		t.Error("a form_post answer must not redirect")
	}
	for _, want := range []string{
		`<form method="post" action="https://app.example/cb?tenant=a&amp;b=c">`,
		`<input type="hidden" name="code" value="c0de">`,
		`<input type="hidden" name="id_token" value="a.b.c">`,
		`<input type="hidden" name="state" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;input name=&#34;x">`,
		`<noscript>`, `<button type="submit">`,
		"<script>" + formPostScript + "</script>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "<script"); n != 1 {
		t.Errorf("page holds %d script elements, want only the submit script:\n%s", n, body)
	}
	if strings.Contains(body, "frag") {
		t.Error("the redirect URI's fragment reached the form")
	}
}

// TestFormPostRefusesUncheckedOrigin: should a URI that cannot be put into
// the policy ever reach the page, the policy forbids the submit.
func TestFormPostRefusesUncheckedOrigin(t *testing.T) {
	w := httptest.NewRecorder()
	writeFormPost(w, &Redirect{URI: "com.example.app:/cb", Mode: ResponseModeFormPost, Params: url.Values{"code": {"c"}}})
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'none'") {
		t.Fatalf("CSP %q", csp)
	}
}
