package oauth2test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Req describes one form POST.
type Req struct {
	Form       string
	User, Pass string // HTTP Basic, URL-encoded as RFC 6749 2.3.1 requires
	// RawAuthz is a verbatim Authorization header; it overrides User and Pass.
	RawAuthz string
	// ContentType defaults to application/x-www-form-urlencoded.
	ContentType string
}

// Basic is the Authorization header of RFC 6749 section 2.3.1.
func Basic(user, pass string) string {
	enc := url.QueryEscape
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(enc(user)+":"+enc(pass)))
}

// Do sends q to h and records the answer.
func Do(h http.Handler, method, target string, q Req) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(q.Form))
	ct := q.ContentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	r.Header.Set("Content-Type", ct)
	switch {
	case q.RawAuthz != "":
		r.Header.Set("Authorization", q.RawAuthz)
	case q.User != "":
		r.Header.Set("Authorization", Basic(q.User, q.Pass))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Decode reads a JSON object answer.
func Decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

// Issue runs a successful client_credentials request for the "machine"
// client at the token endpoint tokenH and returns the access token.
func Issue(t testing.TB, tokenH http.Handler, form string) string {
	t.Helper()
	w := Do(tokenH, "POST", "/oauth2/token", Req{Form: form, User: "machine", Pass: SecretMachine})
	if w.Code != 200 {
		t.Fatalf("token request %q: %d %s", form, w.Code, w.Body)
	}
	return Decode(t, w)["access_token"].(string)
}

// ErrCode is the OAuth error code err carries, "" when it is no *httpx.Error.
func ErrCode(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		return he.Code
	}
	return ""
}

// The PKCE pair of RFC 7636 appendix B.
const (
	PKCEVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	PKCEChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)
