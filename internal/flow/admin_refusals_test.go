package flow

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	loginPath         = "/admin/oauth2/auth/requests/login"
	loginAcceptPath   = "/admin/oauth2/auth/requests/login/accept"
	loginRejectPath   = "/admin/oauth2/auth/requests/login/reject"
	consentPath       = "/admin/oauth2/auth/requests/consent"
	consentAcceptPath = "/admin/oauth2/auth/requests/consent/accept"
	consentRejectPath = "/admin/oauth2/auth/requests/consent/reject"
)

// refusal is one request an attacker or a buggy app might send, and the
// precise 4xx it must get (never a 500, never a redirect_to).
type refusal struct {
	name     string
	method   string
	path     string
	rawQuery string // used as is when set (malformed query cases)
	param    string
	ch       func(t *testing.T, h *adminHarness) string
	expire   bool // move the clock past the challenge's lifetime
	body     string
	ctype    string // defaults to application/json when body is set
	status   int
	code     string
}

func loginCh(t *testing.T, h *adminHarness) string {
	return h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
}

func consentCh(t *testing.T, h *adminHarness) string {
	return h.challenge(t, StateConsentRequested, PurposeConsentChallenge)
}

func loginVerifier(t *testing.T, h *adminHarness) string {
	return h.challenge(t, StateLoginAccepted, PurposeLoginVerifier)
}

func tampered(t *testing.T, h *adminHarness) string {
	s := []byte(loginCh(t, h))
	i := len(s) / 2
	if s[i] == 'A' {
		s[i] = 'B'
	} else {
		s[i] = 'A'
	}
	return string(s)
}

func garbage(*testing.T, *adminHarness) string { return "s1.bm90LWEtY2hhbGxlbmdl" }

func TestAdminRefusals(t *testing.T) {
	const ok = `{"subject":"user-4711"}`
	cases := []refusal{
		// The challenge itself, on every endpoint.
		{name: "login get: missing challenge", method: "GET", path: loginPath, status: 400, code: "invalid_request"},
		{name: "login get: repeated challenge", method: "GET", path: loginPath, rawQuery: "login_challenge=a&login_challenge=b", status: 400, code: "invalid_request"},
		{name: "login get: bad escape", method: "GET", path: loginPath, rawQuery: "login_challenge=%zz", status: 400, code: "invalid_request"},
		{name: "login get: garbage", method: "GET", path: loginPath, param: "login_challenge", ch: garbage, status: 404, code: "not_found"},
		{name: "login get: tampered", method: "GET", path: loginPath, param: "login_challenge", ch: tampered, status: 404, code: "not_found"},
		{name: "login get: expired", method: "GET", path: loginPath, param: "login_challenge", ch: loginCh, expire: true, status: 404, code: "not_found"},
		{name: "login get: consent challenge", method: "GET", path: loginPath, param: "login_challenge", ch: consentCh, status: 404, code: "not_found"},
		{name: "login get: login verifier", method: "GET", path: loginPath, param: "login_challenge", ch: loginVerifier, status: 404, code: "not_found"},
		{name: "login get: challenge under the consent name", method: "GET", path: loginPath, param: "consent_challenge", ch: loginCh, status: 400, code: "invalid_request"},
		{name: "login accept: missing challenge", method: "PUT", path: loginAcceptPath, body: ok, status: 400, code: "invalid_request"},
		{name: "login accept: consent challenge", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: consentCh, body: ok, status: 404, code: "not_found"},
		{name: "login accept: expired", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, expire: true, body: ok, status: 404, code: "not_found"},
		{name: "login reject: garbage", method: "PUT", path: loginRejectPath, param: "login_challenge", ch: garbage, body: `{}`, status: 404, code: "not_found"},
		{name: "consent get: missing challenge", method: "GET", path: consentPath, status: 400, code: "invalid_request"},
		{name: "consent get: login challenge", method: "GET", path: consentPath, param: "consent_challenge", ch: loginCh, status: 404, code: "not_found"},
		{name: "consent get: expired", method: "GET", path: consentPath, param: "consent_challenge", ch: consentCh, expire: true, status: 404, code: "not_found"},
		{name: "consent accept: login challenge", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: loginCh, body: `{}`, status: 404, code: "not_found"},
		{name: "consent reject: tampered", method: "PUT", path: consentRejectPath, param: "consent_challenge", ch: tampered, body: `{}`, status: 404, code: "not_found"},

		// Login accept bodies.
		{name: "login accept: unknown field", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `{"subject":"u","admin":true}`, status: 400, code: "invalid_request"},
		{name: "login accept: empty subject", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `{"subject":""}`, status: 400, code: "invalid_request"},
		{name: "login accept: no subject", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `{"remember":true}`, status: 400, code: "invalid_request"},
		{name: "login accept: negative remember_for", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `{"subject":"u","remember_for":-1}`, status: 400, code: "invalid_request"},
		{name: "login accept: subject of wrong type", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `{"subject":42}`, status: 400, code: "invalid_request"},
		{name: "login accept: null body", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: `null`, status: 400, code: "invalid_request"},
		{name: "login accept: trailing data", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: ok + `{}`, status: 400, code: "invalid_request"},
		{name: "login accept: form body", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh, body: "subject=u", ctype: "application/x-www-form-urlencoded", status: 415},
		{name: "login accept: context too large for the verifier", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh,
			body: `{"subject":"u","context":{"blob":"` + strings.Repeat("x", MaxSealedLen) + `"}}`, status: 400, code: "invalid_request"},
		{name: "login accept: body over the limit", method: "PUT", path: loginAcceptPath, param: "login_challenge", ch: loginCh,
			body: `{"subject":"` + strings.Repeat("x", maxDecisionBody) + `"}`, status: 413},

		// Reject bodies.
		{name: "login reject: 2xx status_code", method: "PUT", path: loginRejectPath, param: "login_challenge", ch: loginCh, body: `{"status_code":200}`, status: 400, code: "invalid_request"},
		{name: "login reject: huge status_code", method: "PUT", path: loginRejectPath, param: "login_challenge", ch: loginCh, body: `{"status_code":4294967696}`, status: 400, code: "invalid_request"},
		{name: "login reject: negative status_code", method: "PUT", path: loginRejectPath, param: "login_challenge", ch: loginCh, body: `{"status_code":-400}`, status: 400, code: "invalid_request"},
		{name: "login reject: unknown field", method: "PUT", path: loginRejectPath, param: "login_challenge", ch: loginCh, body: `{"error":"x","redirect_to":"https://evil.example"}`, status: 400, code: "invalid_request"},
		{name: "consent reject: 600", method: "PUT", path: consentRejectPath, param: "consent_challenge", ch: consentCh, body: `{"status_code":600}`, status: 400, code: "invalid_request"},

		// Consent accept bodies.
		{name: "consent accept: negative remember_for", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"remember_for":-5}`, status: 400, code: "invalid_request"},
		{name: "consent accept: id_token claims not an object", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"session":{"id_token":["a"]}}`, status: 400, code: "invalid_request"},
		{name: "consent accept: access_token claims a string", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"session":{"access_token":"x"}}`, status: 400, code: "invalid_request"},
		{name: "consent accept: unknown session field", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"session":{"userinfo":{}}}`, status: 400, code: "invalid_request"},
		{name: "consent accept: unknown field", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"grant_scope":["openid"],"subject":"mallory"}`, status: 400, code: "invalid_request"},
		{name: "consent accept: grant_scope not a list", method: "PUT", path: consentAcceptPath, param: "consent_challenge", ch: consentCh, body: `{"grant_scope":"openid"}`, status: 400, code: "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newAdminHarness(t)
			rec := h.send(t, c)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, rec.Body)
			}
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				RedirectTo  string `json:"redirect_to"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("not an errorOAuth2 body: %s", rec.Body)
			}
			if body.RedirectTo != "" || body.Description == "" || (c.code != "" && body.Error != c.code) {
				t.Errorf("body %+v, want error %q with a description", body, c.code)
			}
		})
	}
}

func (h *adminHarness) send(t *testing.T, c refusal) *httptest.ResponseRecorder {
	t.Helper()
	target := c.path
	switch {
	case c.rawQuery != "":
		target += "?" + c.rawQuery
	case c.param != "":
		target += "?" + c.param + "=" + c.ch(t, h)
	}
	if c.expire {
		h.clock.t = h.clock.t.Add(testTTL + time.Second)
	}
	req := httptest.NewRequest(c.method, target, strings.NewReader(c.body))
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec
}
