package flow

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

const testLogoutURL = "https://id.example/oauth2/sessions/logout"

type logoutHarness struct {
	sealer *Sealer
	clock  *clock
	h      http.Handler
}

func newLogoutHarness(t *testing.T) *logoutHarness {
	t.Helper()
	s, c := newSealer(t)
	clients := fakeClients{m: map[string]*client.Client{testClientID: {ID: testClientID, Name: "Example App",
		SecretHash: testSecretHash, PostLogoutRedirectURIs: []string{"https://app.example.com/bye"}}}}
	a := &LogoutAdmin{Sealer: s, Clients: clients, LogoutURL: testLogoutURL, Now: c.now}
	mux := http.NewServeMux()
	a.Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.OAuth)
	return &logoutHarness{sealer: s, clock: c, h: mux}
}

func (h *logoutHarness) do(method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func (h *logoutHarness) challenge(t *testing.T, l *LogoutRequest) string {
	t.Helper()
	ch, err := h.sealer.SealLogout(l, PurposeLogoutChallenge)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func rpLogout() *LogoutRequest {
	return &LogoutRequest{ID: "lo-1", Subject: "user-4711", SessionID: "sid-9", ClientID: testClientID,
		PostLogoutRedirectURI: "https://app.example.com/bye", State: "st", UILocales: []string{"de"},
		RPInitiated: true, RequestedAt: t0}
}

func TestLogoutRequestDecodesWithTheSDK(t *testing.T) {
	h := newLogoutHarness(t)
	ch := h.challenge(t, rpLogout())
	w := h.do("GET", "/admin/oauth2/auth/requests/logout?logout_challenge="+url.QueryEscape(ch))
	wantStatus(t, w, http.StatusOK)
	var got hydra.OAuth2LogoutRequest
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("SDK cannot decode %s: %v", w.Body, err)
	}
	if got.GetChallenge() != ch || got.GetSubject() != "user-4711" || got.GetSid() != "sid-9" || !got.GetRpInitiated() {
		t.Fatalf("view %s", w.Body)
	}
	if c := got.GetClient(); c.GetClientId() != testClientID || c.GetClientSecret() != "" || strings.Contains(w.Body.String(), testSecretHash) {
		t.Fatalf("client %s", w.Body)
	}
	u, err := url.Parse(got.GetRequestUrl())
	if err != nil || u.Query().Get("post_logout_redirect_uri") != "https://app.example.com/bye" || u.Query().Get("state") != "st" {
		t.Fatalf("request_url %q", got.GetRequestUrl())
	}
}

func TestLogoutRequestWithoutClientShowsNull(t *testing.T) {
	h := newLogoutHarness(t)
	ch := h.challenge(t, &LogoutRequest{ID: "lo-2", Subject: "u", SessionID: "s", RequestedAt: t0})
	w := h.do("GET", "/admin/oauth2/auth/requests/logout?logout_challenge="+url.QueryEscape(ch))
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `"client":null`) || !strings.Contains(w.Body.String(), `"rp_initiated":false`) {
		t.Fatalf("body %s", w.Body)
	}
}

func TestLogoutAcceptReturnsASingleVerifier(t *testing.T) {
	h := newLogoutHarness(t)
	ch := h.challenge(t, rpLogout())
	w := h.do("PUT", "/admin/oauth2/auth/requests/logout/accept?logout_challenge="+url.QueryEscape(ch))
	wantStatus(t, w, http.StatusOK)
	var rt hydra.OAuth2RedirectTo
	if err := json.Unmarshal(w.Body.Bytes(), &rt); err != nil || !strings.HasPrefix(rt.RedirectTo, testLogoutURL+"?logout_verifier=") {
		t.Fatalf("redirect_to %s (%v)", w.Body, err)
	}
	u, _ := url.Parse(rt.RedirectTo)
	l, err := h.sealer.OpenLogout(u.Query().Get("logout_verifier"), PurposeLogoutVerifier)
	if err != nil || l.ID != "lo-1" || l.VerifierKey() != "logout_verifier:lo-1" || l.State != "st" {
		t.Fatalf("verifier opens to %+v, %v", l, err)
	}
}

func TestLogoutRejectAnswers204(t *testing.T) {
	h := newLogoutHarness(t)
	ch := h.challenge(t, rpLogout())
	w := h.do("PUT", "/admin/oauth2/auth/requests/logout/reject?logout_challenge="+url.QueryEscape(ch))
	wantStatus(t, w, http.StatusNoContent)
	if w.Body.Len() != 0 {
		t.Fatalf("body %s", w.Body)
	}
}

func TestLogoutAdminRefusals(t *testing.T) {
	h := newLogoutHarness(t)
	ch := h.challenge(t, rpLogout())
	verifier, err := h.sealer.SealLogout(rpLogout(), PurposeLogoutVerifier)
	if err != nil {
		t.Fatal(err)
	}
	f := flowIn(t, StateLoginRequested)
	flowAsLogout, err := h.sealer.Seal(f, PurposeLogoutChallenge)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, challenge string
		status          int
	}{
		{"missing", "", http.StatusBadRequest},
		{"garbage", "s1.AAAA", http.StatusNotFound},
		{"tampered", ch[:len(ch)-2] + "AA", http.StatusNotFound},
		{"verifier as challenge", verifier, http.StatusNotFound},
		{"flow sealed as logout challenge", flowAsLogout, http.StatusNotFound},
	}
	for _, tc := range cases {
		for _, ep := range []string{"GET /admin/oauth2/auth/requests/logout", "PUT /admin/oauth2/auth/requests/logout/accept", "PUT /admin/oauth2/auth/requests/logout/reject"} {
			method, path, _ := strings.Cut(ep, " ")
			t.Run(tc.name+" "+ep, func(t *testing.T) {
				q := ""
				if tc.challenge != "" {
					q = "?logout_challenge=" + url.QueryEscape(tc.challenge)
				}
				wantStatus(t, h.do(method, path+q), tc.status)
			})
		}
	}
	h.clock.t = t0.Add(testTTL + time.Second)
	wantStatus(t, h.do("GET", "/admin/oauth2/auth/requests/logout?logout_challenge="+url.QueryEscape(ch)), http.StatusNotFound)
}
