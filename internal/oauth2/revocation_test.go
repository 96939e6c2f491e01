package oauth2

import (
	"testing"

	"github.com/signet-oidc/signet/internal/token"
)

func TestRevokeOwnToken(t *testing.T) {
	h := newHarness(t)
	for _, hint := range []string{"", "&token_type_hint=access_token", "&token_type_hint=refresh_token", "&token_type_hint=bogus"} {
		raw := h.issue(t, "grant_type=client_credentials")
		h.db.reset()
		w := do(h.revoke, "POST", "/oauth2/revoke", req{form: "token=" + raw + hint, user: "machine", pass: secretMachine})
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Fatalf("hint %q: %d %s", hint, w.Code, w.Body)
		}
		if h.db.getClient != 1 || h.db.revoke != 1 || h.db.total() != 2 {
			t.Fatalf("store calls %+v, want one client read and one revoke", &h.db.calls)
		}
		if m := introspect(t, h, "token="+raw); m["active"] != false {
			t.Fatal("revoked token still active")
		}
	}
}

func TestRevokePublicClient(t *testing.T) {
	h := newHarness(t)
	raw, rec, _ := h.opaque.Mint(t.Context(), token.Claims{ClientID: "public", ExpiresAt: t0.Add(1e12)})
	_ = h.db.CreateAccess(t.Context(), rec)
	w := do(h.revoke, "POST", "/oauth2/revoke", req{form: "client_id=public&token=" + raw})
	if w.Code != 200 || h.db.tokens[string(rec.Digest)].RevokedAt == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestRevokeOthersAndUnknown(t *testing.T) {
	h := newHarness(t)
	mine := h.issue(t, "grant_type=client_credentials")
	unknown, _, _ := h.opaque.Mint(t.Context(), token.Claims{})

	// Another client's token: refused, and left live.
	w := do(h.revoke, "POST", "/oauth2/revoke", req{form: "client_id=poster&client_secret=poster-secret&token=" + mine})
	if w.Code != 400 || decode(t, w)["error"] != "unauthorized_client" {
		t.Fatalf("other client's token: %d %s", w.Code, w.Body)
	}
	if h.db.tokens[string(token.Digest(mine))].RevokedAt != nil {
		t.Fatal("another client revoked the token")
	}
	// Unknown, forged and malformed tokens: 200 (RFC 7009 2.2), no change.
	for _, tok := range []string{unknown, mine[:len(mine)-1], "garbage", "a.b.c"} {
		h.db.reset()
		w := do(h.revoke, "POST", "/oauth2/revoke", req{form: "token=" + tok, user: "machine", pass: secretMachine})
		if w.Code != 200 {
			t.Fatalf("%q: %d %s", tok, w.Code, w.Body)
		}
	}
	if m := introspect(t, h, "token="+mine); m["active"] != true {
		t.Fatal("token revoked by a refused or unrelated request")
	}
}

func TestRevokeRequestErrors(t *testing.T) {
	h := newHarness(t)
	raw := h.issue(t, "grant_type=client_credentials")
	cases := []struct {
		name   string
		q      req
		status int
		code   string
	}{
		{"missing token", req{form: "token_type_hint=access_token", user: "machine", pass: secretMachine}, 400, "invalid_request"},
		{"repeated token", req{form: "token=a&token=b", user: "machine", pass: secretMachine}, 400, "invalid_request"},
		{"no client", req{form: "token=" + raw}, 401, "invalid_client"},
		{"wrong secret", req{form: "token=" + raw, user: "machine", pass: "x"}, 401, "invalid_client"},
		{"wrong content type", req{form: "token=" + raw, contentType: "text/plain", user: "machine", pass: secretMachine}, 415, "invalid_request"},
	}
	for _, tc := range cases {
		w := do(h.revoke, "POST", "/oauth2/revoke", tc.q)
		if w.Code != tc.status || decode(t, w)["error"] != tc.code {
			t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
		}
	}
	if m := introspect(t, h, "token="+raw); m["active"] != true {
		t.Fatal("a refused request revoked the token")
	}
}
