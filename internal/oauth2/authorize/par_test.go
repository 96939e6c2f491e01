package authorize

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// pushedMem is an in-memory PushedStore that counts its calls.
type pushedMem struct {
	mu       sync.Mutex
	rows     map[string]pushedRow
	consumes int
}

type pushedRow struct {
	client, params string
	exp            time.Time
	used           bool
}

func (m *pushedMem) CreatePushedRequest(_ context.Context, digest []byte, clientID, params string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows == nil {
		m.rows = map[string]pushedRow{}
	}
	m.rows[string(digest)] = pushedRow{client: clientID, params: params, exp: exp}
	return nil
}

func (m *pushedMem) ConsumePushedRequest(_ context.Context, digest []byte, clientID string, now time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.consumes++
	r, ok := m.rows[string(digest)]
	if !ok || r.used || r.client != clientID || !now.Before(r.exp) {
		return "", storage.ErrNotFound
	}
	r.used = true
	m.rows[string(digest)] = r
	return r.params, nil
}

// fixedAuth authenticates every request as one client.
type fixedAuth struct{ c *client.Client }

func (a fixedAuth) Authenticate(context.Context, *http.Request, url.Values) (*client.Client, error) {
	if a.c == nil {
		return nil, oauth2.InvalidClient("no")
	}
	return a.c, nil
}

func newPAR(e *azEnv, store *pushedMem) *PAR {
	format := token.OpaqueFormat{Prefix: PushedRefPrefix, MACKeys: [][]byte{[]byte("par-mac-key")}, Rand: rand.Reader}
	e.az.Pushed, e.az.PushedFormat = store, format
	c, _ := e.db.GetClient(context.Background(), "app")
	return &PAR{Auth: fixedAuth{c}, Store: store, Format: format, Config: e.az.Config, Now: e.az.Now}
}

func parForm(extra ...string) url.Values {
	v := url.Values{"response_type": {"code"}, "redirect_uri": {azRedirect}, "scope": {"openid"}, "state": {azState},
		"nonce": {"nonce-1"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestPushStoresNoCredentials(t *testing.T) {
	e := newAZEnv(t)
	store := &pushedMem{}
	p := newPAR(e, store)
	c, _ := e.db.GetClient(context.Background(), "app")
	resp, err := p.Push(context.Background(), parForm("client_secret", "s3cret", "client_assertion", "a.b.c",
		"client_assertion_type", "urn:x"), c, e.cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.RequestURI, pushedURIPrefix+PushedRefPrefix) || resp.ExpiresIn != 90 {
		t.Errorf("response %+v", resp)
	}
	for _, r := range store.rows {
		if strings.Contains(r.params, "s3cret") || strings.Contains(r.params, "client_assertion") || !strings.Contains(r.params, "client_id=app") {
			t.Errorf("stored parameters %q: want client_id and no credentials", r.params)
		}
		if !r.exp.Equal(e.now.Add(defaultPushedRequestTTL)) {
			t.Errorf("expiry %v, want now + 90s", r.exp)
		}
	}
}

func TestPushRefusals(t *testing.T) {
	e := newAZEnv(t)
	p := newPAR(e, &pushedMem{})
	c, _ := e.db.GetClient(context.Background(), "app")
	cases := map[string]struct {
		form url.Values
		code string
	}{
		"request_uri pushed":       {parForm("request_uri", "https://app.example/r"), "invalid_request"},
		"another client_id":        {parForm("client_id", "other"), "invalid_request"},
		"unregistered redirect":    {parForm("redirect_uri", "https://evil.example/cb"), "invalid_request"},
		"scope not allowed":        {parForm("scope", "admin"), "invalid_scope"},
		"request without resolver": {parForm("request", "a.b.c"), "request_not_supported"},
	}
	for name, c2 := range cases {
		_, err := p.Push(context.Background(), c2.form, c, e.cfg, "")
		if he := asHTTPError(err); err == nil || he.Code != c2.code {
			t.Errorf("%s: %v, want %s", name, err, c2.code)
		}
	}
}

// TestPushedRequestAtAuthorize: the pushed request drives the flow, once;
// a forged reference never reaches the store.
func TestPushedRequestAtAuthorize(t *testing.T) {
	e := newAZEnv(t)
	store := &pushedMem{}
	p := newPAR(e, store)
	c, _ := e.db.GetClient(context.Background(), "app")
	resp, err := p.Push(context.Background(), parForm(), c, e.cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"client_id": {"app"}, "request_uri": {resp.RequestURI}}.Encode()
	w := httptest.NewRecorder()
	_ = e.az.Handle(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth?"+q, nil))
	if loc := w.Header().Get("Location"); w.Code != http.StatusFound || !strings.HasPrefix(loc, e.cfg.URLs.Login) {
		t.Fatalf("first use: %d %q, want the login app", w.Code, loc)
	}
	for name, query := range map[string]string{
		"replay": q,
		"forged": url.Values{"client_id": {"app"}, "request_uri": {flipLast(resp.RequestURI)}}.Encode(),
	} {
		before := store.consumes
		w := httptest.NewRecorder()
		_ = e.az.Handle(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth?"+query, nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_request_uri") {
			t.Errorf("%s: %d %s, want the error page with invalid_request_uri", name, w.Code, w.Body.String())
		}
		if name == "forged" && store.consumes != before {
			t.Error("a forged request_uri reached the store")
		}
	}
}

// flipLast changes the last character, so a MAC no longer matches.
func flipLast(s string) string {
	if strings.HasSuffix(s, "A") {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

// TestPushBindsProofKey: the key of a proof sent with the push becomes the
// stored request's dpop_jkt; a dpop_jkt of another key is refused.
func TestPushBindsProofKey(t *testing.T) {
	e := newAZEnv(t)
	store := &pushedMem{}
	p := newPAR(e, store)
	c, _ := e.db.GetClient(context.Background(), "app")
	const jkt, other = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	for _, form := range []url.Values{parForm(), parForm("dpop_jkt", jkt)} {
		if _, err := p.Push(context.Background(), form, c, e.cfg, jkt); err != nil {
			t.Fatalf("push with dpop_jkt %q: %v", form.Get("dpop_jkt"), err)
		}
	}
	if len(store.rows) != 2 {
		t.Fatalf("%d requests stored, want 2", len(store.rows))
	}
	for _, r := range store.rows {
		if stored, _ := url.ParseQuery(r.params); stored.Get("dpop_jkt") != jkt {
			t.Errorf("stored %q, want dpop_jkt of the proof's key", r.params)
		}
	}
	_, err := p.Push(context.Background(), parForm("dpop_jkt", other), c, e.cfg, jkt)
	if he := asHTTPError(err); err == nil || he.Code != "invalid_dpop_proof" {
		t.Errorf("dpop_jkt of another key than the proof's: %v, want invalid_dpop_proof", err)
	}
}
