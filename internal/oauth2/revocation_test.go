package oauth2

import (
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

func TestRevokeOwnToken(t *testing.T) {
	h := newHarness(t)
	for _, hint := range []string{"", "&token_type_hint=access_token", "&token_type_hint=refresh_token", "&token_type_hint=bogus"} {
		raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
		h.db.Reset()
		w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token=" + raw + hint, User: "machine", Pass: oauth2test.SecretMachine})
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Fatalf("hint %q: %d %s", hint, w.Code, w.Body)
		}
		if h.db.ClientReads != 1 || h.db.Revokes != 1 || h.db.Total() != 2 {
			t.Fatalf("store calls %+v, want one client read and one revoke", &h.db.Calls)
		}
		if m := introspect(t, h, "token="+raw); m["active"] != false {
			t.Fatal("revoked token still active")
		}
	}
}

func TestRevokePublicClient(t *testing.T) {
	h := newHarness(t)
	raw, rec, _ := h.opaque.Mint(t.Context(), token.Claims{ClientID: "public", ExpiresAt: oauth2test.T0.Add(1e12)})
	_ = h.db.CreateAccess(t.Context(), rec)
	w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "client_id=public&token=" + raw})
	if w.Code != 200 || h.db.Tokens[string(rec.Digest)].RevokedAt == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestRevokeOthersAndUnknown(t *testing.T) {
	h := newHarness(t)
	mine := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	unknown, _, _ := h.opaque.Mint(t.Context(), token.Claims{})

	// Another client's token: refused, and left live.
	w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "client_id=poster&client_secret=poster-secret&token=" + mine})
	if w.Code != 400 || oauth2test.Decode(t, w)["error"] != "unauthorized_client" {
		t.Fatalf("other client's token: %d %s", w.Code, w.Body)
	}
	if h.db.Tokens[string(token.Digest(mine))].RevokedAt != nil {
		t.Fatal("another client revoked the token")
	}
	// Unknown, forged and malformed tokens: 200 (RFC 7009 2.2), no change.
	for _, tok := range []string{unknown, mine[:len(mine)-1], "garbage", "a.b.c"} {
		h.db.Reset()
		w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token=" + tok, User: "machine", Pass: oauth2test.SecretMachine})
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
	raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	cases := []struct {
		name   string
		q      oauth2test.Req
		status int
		code   string
	}{
		{"missing token", oauth2test.Req{Form: "token_type_hint=access_token", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request"},
		{"repeated token", oauth2test.Req{Form: "token=a&token=b", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request"},
		{"no client", oauth2test.Req{Form: "token=" + raw}, 401, "invalid_client"},
		{"wrong secret", oauth2test.Req{Form: "token=" + raw, User: "machine", Pass: "x"}, 401, "invalid_client"},
		{"wrong content type", oauth2test.Req{Form: "token=" + raw, ContentType: "text/plain", User: "machine", Pass: oauth2test.SecretMachine}, 415, "invalid_request"},
	}
	for _, tc := range cases {
		w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", tc.q)
		if w.Code != tc.status || oauth2test.Decode(t, w)["error"] != tc.code {
			t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
		}
	}
	if m := introspect(t, h, "token="+raw); m["active"] != true {
		t.Fatal("a refused request revoked the token")
	}
}
