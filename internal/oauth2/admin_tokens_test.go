package oauth2

import (
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestAdminDeleteTokens(t *testing.T) {
	h := newHarness(t)
	a := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	b := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	other := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&client_id=poster&client_secret=poster-secret"})
	otherTok := oauth2test.Decode(t, other)["access_token"].(string)

	w := oauth2test.Do(h.admin, "DELETE", "/admin/oauth2/tokens?client_id=machine", oauth2test.Req{})
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for _, tok := range []string{a, b} {
		if introspect(t, h, "token="+tok)["active"] != false {
			t.Fatal("token of the client still active")
		}
	}
	if introspect(t, h, "token="+otherTok)["active"] != true {
		t.Fatal("another client's token was revoked")
	}
	if w := oauth2test.Do(h.admin, "DELETE", "/admin/oauth2/tokens?client_id=nobody", oauth2test.Req{}); w.Code != 204 {
		t.Fatalf("unknown client: %d", w.Code)
	}
}

func TestAdminDeleteTokensErrors(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{
		"/admin/oauth2/tokens",
		"/admin/oauth2/tokens?client_id=",
		"/admin/oauth2/tokens?client_id=a&client_id=b",
		"/admin/oauth2/tokens?client_id=%zz",
		"/admin/oauth2/tokens?client_id=" + strings.Repeat("a", MaxClientIDLen+1),
	} {
		w := oauth2test.Do(h.admin, "DELETE", target, oauth2test.Req{})
		if w.Code != 400 || oauth2test.Decode(t, w)["error"] != "invalid_request" {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	if h.db.ClientRevokes != 0 {
		t.Fatal("a refused request revoked tokens")
	}
}
