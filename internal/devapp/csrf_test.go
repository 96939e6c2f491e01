package devapp

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/secret"
)

func guardFor(t *testing.T, secure bool, secrets ...string) formGuard {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newFormGuard(k, "/dev/", secure, rand.Reader)
}

// TestFormCookie: the nonce cookie is out of scripts' reach, kept off
// cross-site POSTs, scoped to the pages and Secure when asked.
func TestFormCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		g := guardFor(t, secure, testSecret)
		w := httptest.NewRecorder()
		if _, err := g.issue(w, httptest.NewRequest(http.MethodGet, "/dev/login", nil), flow.PurposeLoginChallenge, "ch"); err != nil {
			t.Fatal(err)
		}
		cs := w.Result().Cookies()
		if len(cs) != 1 {
			t.Fatalf("cookies %v", cs)
		}
		c := cs[0]
		if c.Name != formCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/dev/" || c.Secure != secure {
			t.Errorf("cookie %+v", c)
		}
		// A browser that has the cookie keeps it: no new Set-Cookie, so a
		// form open in another tab stays valid.
		r := httptest.NewRequest(http.MethodGet, "/dev/login", nil)
		r.AddCookie(c)
		w = httptest.NewRecorder()
		if _, err := g.issue(w, r, flow.PurposeLoginChallenge, "other"); err != nil || len(w.Result().Cookies()) != 0 {
			t.Errorf("a second page view replaced the cookie (%v)", err)
		}
	}
}

// TestFormTokenRotation: a token issued before secrets.system rotated is
// accepted while the old secret is still listed, and refused after.
func TestFormTokenRotation(t *testing.T) {
	const old, next = "old-system-secret-0123456789", "new-system-secret-0123456789"
	before := guardFor(t, false, old)
	w := httptest.NewRecorder()
	token, err := before.issue(w, httptest.NewRequest(http.MethodGet, "/dev/login", nil), flow.PurposeLoginChallenge, "ch")
	if err != nil {
		t.Fatal(err)
	}
	post := httptest.NewRequest(http.MethodPost, "/dev/login", nil)
	post.AddCookie(w.Result().Cookies()[0])
	if err := guardFor(t, false, next, old).check(post, flow.PurposeLoginChallenge, "ch", token); err != nil {
		t.Errorf("rotated keyring refuses a token of the old secret: %v", err)
	}
	if err := guardFor(t, false, next).check(post, flow.PurposeLoginChallenge, "ch", token); err == nil {
		t.Error("a token of a removed secret was accepted")
	}
}

// TestMalformedNonceCookie: a cookie of the wrong shape counts as none.
func TestMalformedNonceCookie(t *testing.T) {
	g := guardFor(t, false, testSecret)
	for _, v := range []string{"short", "!!!!", "YWJj"} {
		r := httptest.NewRequest(http.MethodGet, "/dev/login", nil)
		r.AddCookie(&http.Cookie{Name: formCookie, Value: v})
		if g.nonce(r) != "" {
			t.Errorf("nonce cookie %q was accepted", v)
		}
	}
}
