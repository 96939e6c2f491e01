package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/signet-oidc/signet/internal/signettest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the server's responses")

// goldenRequestID is sent as X-Request-Id on requests whose bodies are
// compared with golden files, so the id the server echoes is stable.
const goldenRequestID = "e2e-golden"

// clock is a controllable time source for app.WithClock: tests move it
// forward instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	// Start at the real time (second precision), so JWT and cookie checks
	// made by client libraries against the wall clock still pass.
	return &clock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newMachineClient registers a confidential client_credentials client via
// the SDK and returns its id and secret. edit may adjust the request.
func newMachineClient(t *testing.T, srv *signettest.Server, edit func(c *hydra.OAuth2Client)) (id, secret string) {
	t.Helper()
	c := hydra.NewOAuth2Client()
	c.SetClientName("machine")
	c.SetGrantTypes([]string{"client_credentials"})
	c.SetScope("read write")
	c.SetAudience([]string{"https://api.example"})
	if edit != nil {
		edit(c)
	}
	out, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatalf("CreateOAuth2Client: %v", sdkErr(err))
	}
	if out.GetClientSecret() == "" {
		t.Fatal("CreateOAuth2Client returned no client_secret")
	}
	return out.GetClientId(), out.GetClientSecret()
}

// ccConfig is the relying party's view: x/oauth2's client credentials flow
// against the public token endpoint.
func ccConfig(srv *signettest.Server, id, secret string, style oauth2.AuthStyle, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID: id, ClientSecret: secret, TokenURL: srv.PublicURL + "/oauth2/token",
		Scopes: scopes, AuthStyle: style,
	}
}

// mustToken fetches one access token with x/oauth2.
func mustToken(t *testing.T, cfg *clientcredentials.Config) *oauth2.Token {
	t.Helper()
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatalf("client_credentials token: %v", err)
	}
	return tok
}

// response is a finished raw HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// send performs one raw request; raw requests let tests send what no SDK
// would (bad JSON, wrong content types, oversized bodies).
func send(t *testing.T, method, target, contentType string, body io.Reader, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, target, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, target, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// postForm sends an urlencoded POST, with HTTP Basic credentials when
// basic is non-nil ({id, secret}, each form-encoded as RFC 6749 2.3.1 says).
func postForm(t *testing.T, target string, form url.Values, basic *[2]string) response {
	t.Helper()
	h := http.Header{}
	if basic != nil {
		req, _ := http.NewRequest(http.MethodPost, target, nil)
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	return send(t, http.MethodPost, target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), h)
}

// oauthError is the contract's errorOAuth2 body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	StatusCode  int    `json:"status_code"`
}

func decodeOAuthError(t *testing.T, r response) oauthError {
	t.Helper()
	var e oauthError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body is not JSON (status %d): %q", r.Status, r.Body)
	}
	if e.Error == "" {
		t.Fatalf("error body has no \"error\" (status %d): %s", r.Status, r.Body)
	}
	return e
}

// introspect asks the admin API about a token with the SDK.
func introspect(t *testing.T, srv *signettest.Server, raw string) *hydra.IntrospectedOAuth2Token {
	t.Helper()
	got, _, err := srv.Admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(raw).Execute()
	if err != nil {
		t.Fatalf("IntrospectOAuth2Token: %v", sdkErr(err))
	}
	return got
}

// queries is the database statement count so far.
func queries(srv *signettest.Server) int64 { return srv.App.Store().Stats().Queries }

// assertQueries checks that op costs exactly want database statements.
// signettest turns the key poller off, so nothing else issues statements.
func assertQueries(t *testing.T, srv *signettest.Server, what string, want int64, op func()) {
	t.Helper()
	before := queries(srv)
	op()
	if got := queries(srv) - before; got != want {
		t.Errorf("%s: %d database statements, want %d", what, got, want)
	}
}

// sdkErr adds the response body to an SDK error, which otherwise shows
// only the status line.
func sdkErr(err error) error {
	var oe *hydra.GenericOpenAPIError
	if !errors.As(err, &oe) {
		return err
	}
	return fmt.Errorf("%w: %s", err, oe.Body())
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/e2e -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the server's response (-update rewrites it)\n got: %s\nwant: %s", path, got, want)
	}
}

// indentJSON re-encodes a JSON body with stable indentation for golden files.
func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}
