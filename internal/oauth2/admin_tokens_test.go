package oauth2

import (
	"strings"
	"testing"
)

func TestAdminDeleteTokens(t *testing.T) {
	h := newHarness(t)
	a := h.issue(t, "grant_type=client_credentials")
	b := h.issue(t, "grant_type=client_credentials")
	other := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials&client_id=poster&client_secret=poster-secret"})
	otherTok := decode(t, other)["access_token"].(string)

	w := do(h.admin, "DELETE", "/admin/oauth2/tokens?client_id=machine", req{})
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
	if w := do(h.admin, "DELETE", "/admin/oauth2/tokens?client_id=nobody", req{}); w.Code != 204 {
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
		w := do(h.admin, "DELETE", target, req{})
		if w.Code != 400 || decode(t, w)["error"] != "invalid_request" {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	if h.db.revAll != 0 {
		t.Fatal("a refused request revoked tokens")
	}
}
