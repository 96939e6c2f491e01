package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

var logoutNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// typedFakeSigner is a SignerSource that also honours TypedSigner, as the
// key manager is expected to.
type typedFakeSigner struct {
	key *ecdsa.PrivateKey
	pub jose.JSONWebKey
}

func (s typedFakeSigner) Signer(ctx context.Context, set string) (jose.Signer, jose.JSONWebKey, error) {
	return s.TypedSigner(ctx, set, "JWT")
}

func (s typedFakeSigner) TypedSigner(_ context.Context, _, typ string) (jose.Signer, jose.JSONWebKey, error) {
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", s.pub.KeyID))
	return sg, s.pub, err
}

type fakeConsentList []*flow.ConsentSession

func (f fakeConsentList) ListConsents(_ context.Context, subject, sid string, _ storage.Page) ([]*flow.ConsentSession, storage.PageResult, error) {
	var out []*flow.ConsentSession
	for _, c := range f {
		if c.Subject == subject && (sid == "" || c.LoginSessionID == sid) {
			out = append(out, c)
		}
	}
	return out, storage.PageResult{}, nil
}

// lockedBuffer collects log output written from delivery goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type backChannelFixture struct {
	bc     *BackChannel
	pub    jose.JSONWebKey
	log    *lockedBuffer
	tokens chan string // every logout_token any relying party received
}

// newBackChannelFixture registers one client per URI (ID = map key); ""
// means no backchannel_logout_uri. Every client has a consent in "sid-1"
// of alice; "other" has one in another session only.
func newBackChannelFixture(t *testing.T, uris map[string]string) *backChannelFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "idk-1", Algorithm: string(jose.ES256), Use: "sig"}
	clients := fakeClients{m: map[string]*client.Client{}}
	var consents fakeConsentList
	for id, uri := range uris {
		clients.m[id] = &client.Client{ID: id, BackchannelLogoutURI: uri, FrontchannelLogoutURI: "https://fc.example/" + id}
		consents = append(consents,
			&flow.ConsentSession{ID: "c-" + id, Subject: "alice", ClientID: id, LoginSessionID: "sid-1"},
			&flow.ConsentSession{ID: "c2-" + id, Subject: "alice", ClientID: id, LoginSessionID: "sid-1"})
	}
	clients.m["other"] = &client.Client{ID: "other", BackchannelLogoutURI: "https://other.example/bc"}
	consents = append(consents, &flow.ConsentSession{ID: "c-other", Subject: "alice", ClientID: "other", LoginSessionID: "sid-9"})
	logs := &lockedBuffer{}
	bc := &BackChannel{
		Clients: clients, Consents: consents,
		Signer: typedFakeSigner{key: key, pub: pub},
		Issuer: func() string { return "https://issuer.example/" },
		HTTP:   httpx.NewOutboundClient(httpx.OutboundOptions{}),
		Log:    slog.New(slog.NewTextHandler(logs, nil)),
		Now:    func() time.Time { return logoutNow },
		Rand:   rand.Reader,
	}
	return &backChannelFixture{bc: bc, pub: pub, log: logs, tokens: make(chan string, 16)}
}

// relyingParty returns a server that hands every logout_token to fx.tokens
// after calling before (nil: none) and answers status.
func (fx *backChannelFixture) relyingParty(t *testing.T, status int, before func()) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if before != nil {
			before()
		}
		fx.tokens <- r.PostForm.Get("logout_token")
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var aliceSession = []flow.LoginSession{{ID: "sid-1", Subject: "alice"}}

// verifyLogoutToken checks the token the way a relying party must
// (section 2.6) and returns its claims.
func verifyLogoutToken(t *testing.T, raw string, pub jose.JSONWebKey, wantAud string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if h := tok.Headers[0]; h.KeyID != "idk-1" || h.ExtraHeaders["typ"] != "logout+jwt" {
		t.Errorf("header kid=%q typ=%v, want idk-1 and logout+jwt", h.KeyID, h.ExtraHeaders["typ"])
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(pub.Key, &std, &all); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{
		Issuer: "https://issuer.example/", AnyAudience: jwt.Audience{wantAud}, Time: logoutNow,
	}, 0); err != nil {
		t.Errorf("claims: %v", err)
	}
	if std.IssuedAt == nil || !std.IssuedAt.Time().Equal(logoutNow) || std.ID == "" || std.Expiry == nil {
		t.Errorf("iat=%v jti=%q exp=%v", std.IssuedAt, std.ID, std.Expiry)
	}
	if aud := []string(std.Audience); len(aud) != 1 {
		t.Errorf("aud = %v, want only the client", aud)
	}
	events, _ := all["events"].(map[string]any)
	if ev, ok := events[BackChannelLogoutEvent].(map[string]any); !ok || len(ev) != 0 || len(events) != 1 {
		t.Errorf("events = %v", all["events"])
	}
	if all["sid"] != "sid-1" || all["sub"] != "alice" {
		t.Errorf("sid=%v sub=%v", all["sid"], all["sub"])
	}
	if _, ok := all["nonce"]; ok {
		t.Error("a logout token must never carry nonce")
	}
	return all
}

func TestBackChannelDeliversVerifiableLogoutTokensInParallel(t *testing.T) {
	fx := newBackChannelFixture(t, nil)
	release := make(chan struct{})
	slowArrived := make(chan struct{})
	slow := fx.relyingParty(t, http.StatusOK, func() { close(slowArrived); <-release })
	fast := fx.relyingParty(t, http.StatusNoContent, nil)
	fx.bc.Clients.(fakeClients).m["slow"] = &client.Client{ID: "slow", BackchannelLogoutURI: slow.URL + "/bc"}
	fx.bc.Clients.(fakeClients).m["fast"] = &client.Client{ID: "fast", BackchannelLogoutURI: fast.URL + "/bc"}
	fx.bc.Consents = append(fx.bc.Consents.(fakeConsentList),
		&flow.ConsentSession{Subject: "alice", ClientID: "slow", LoginSessionID: "sid-1"},
		&flow.ConsentSession{Subject: "alice", ClientID: "fast", LoginSessionID: "sid-1"})

	// SessionsEnded must return while the slow client still holds its
	// request: if it blocked, this test would never reach close(release).
	fx.bc.SessionsEnded(context.Background(), aliceSession)
	<-slowArrived
	fastToken := <-fx.tokens // delivered while slow is still blocked: parallel
	verifyLogoutToken(t, fastToken, fx.pub, "fast")
	close(release)
	fx.bc.Wait()
	slowToken := <-fx.tokens
	verifyLogoutToken(t, slowToken, fx.pub, "slow")
	if fastToken == slowToken {
		t.Error("each client must get its own token")
	}
	if strings.Contains(fx.log.String(), "back-channel") {
		t.Errorf("successful deliveries logged a failure: %s", fx.log)
	}
}

func TestBackChannelLogsFailuresWithoutTheToken(t *testing.T) {
	fx := newBackChannelFixture(t, nil)
	failing := fx.relyingParty(t, http.StatusInternalServerError, nil)
	fx.bc.Clients.(fakeClients).m["failing"] = &client.Client{ID: "failing", BackchannelLogoutURI: failing.URL}
	fx.bc.Consents = append(fx.bc.Consents.(fakeConsentList),
		&flow.ConsentSession{Subject: "alice", ClientID: "failing", LoginSessionID: "sid-1"})

	fx.bc.SessionsEnded(context.Background(), aliceSession)
	fx.bc.Wait()
	raw := <-fx.tokens
	logs := fx.log.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "client_id=failing") || !strings.Contains(logs, "status=500") {
		t.Errorf("log = %s", logs)
	}
	if strings.Contains(logs, raw) {
		t.Error("the logout token was logged")
	}
}

func TestBackChannelSkipsClientsWithoutURIAndOtherSessions(t *testing.T) {
	fx := newBackChannelFixture(t, map[string]string{"front-only": ""})
	got := fx.bc.participants(context.Background(), aliceSession)
	if len(got) != 0 {
		t.Fatalf("deliveries = %+v; want none (front-only has no back-channel URI, other is in another session)", got)
	}
	// A session without ID must not widen to every consent of the subject.
	if got := fx.bc.participants(context.Background(), []flow.LoginSession{{Subject: "alice"}}); len(got) != 0 {
		t.Fatalf("deliveries for a session without ID = %+v", got)
	}
}

func TestBackChannelNamesEachClientOncePerSession(t *testing.T) {
	fx := newBackChannelFixture(t, map[string]string{"app": "https://app.example/bc"})
	got := fx.bc.participants(context.Background(), aliceSession)
	if len(got) != 1 || got[0].clientID != "app" || got[0].uri != "https://app.example/bc" {
		t.Fatalf("deliveries = %+v, want one to app", got)
	}
}

func TestBackChannelRespectsPrivateIPRefusal(t *testing.T) {
	fx := newBackChannelFixture(t, nil)
	rp := fx.relyingParty(t, http.StatusOK, nil)
	fx.bc.Clients.(fakeClients).m["local"] = &client.Client{ID: "local", BackchannelLogoutURI: rp.URL + "/bc"}
	fx.bc.Consents = append(fx.bc.Consents.(fakeConsentList),
		&flow.ConsentSession{Subject: "alice", ClientID: "local", LoginSessionID: "sid-1"})
	fx.bc.HTTP = httpx.NewOutboundClient(httpx.OutboundOptions{DisallowPrivateIPRanges: true})

	fx.bc.SessionsEnded(context.Background(), aliceSession)
	fx.bc.Wait()
	if len(fx.tokens) != 0 {
		t.Fatal("a loopback client received a logout token despite disallow_private_ip_ranges")
	}
	if logs := fx.log.String(); !strings.Contains(logs, "client_id=local") || !strings.Contains(logs, "delivery failed") {
		t.Errorf("log = %s", logs)
	}
}

func TestBackChannelTimesOutAHangingClient(t *testing.T) {
	fx := newBackChannelFixture(t, nil)
	release := make(chan struct{})
	hanging := fx.relyingParty(t, http.StatusOK, func() { <-release })
	fx.bc.Clients.(fakeClients).m["hang"] = &client.Client{ID: "hang", BackchannelLogoutURI: hanging.URL}
	fx.bc.Consents = append(fx.bc.Consents.(fakeConsentList),
		&flow.ConsentSession{Subject: "alice", ClientID: "hang", LoginSessionID: "sid-1"})
	fx.bc.Timeout = 50 * time.Millisecond

	// The request context is cancelled at once, as when the admin request
	// ends; delivery must not be cancelled with it.
	ctx, cancel := context.WithCancel(context.Background())
	fx.bc.SessionsEnded(ctx, aliceSession)
	cancel()
	fx.bc.Wait() // returns only because Timeout cut the hanging request
	close(release)
	<-fx.tokens // the client did receive the request before the cut
	if logs := fx.log.String(); !strings.Contains(logs, "client_id=hang") || !strings.Contains(logs, "deadline") {
		t.Errorf("log = %s", logs)
	}
}

func TestLogoutTokenOmitsNonceAndIsShortLived(t *testing.T) {
	fx := newBackChannelFixture(t, nil)
	raw, err := fx.bc.LogoutToken(context.Background(), "app", aliceSession[0])
	if err != nil {
		t.Fatal(err)
	}
	claims := verifyLogoutToken(t, raw, fx.pub, "app")
	exp, _ := claims["exp"].(float64)
	if life := time.Unix(int64(exp), 0).Sub(logoutNow); life <= 0 || life > 5*time.Minute {
		t.Errorf("lifetime %v", life)
	}
	if strings.Count(raw, ".") != 2 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
}
