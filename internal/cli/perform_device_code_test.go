package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestPerformDeviceCode: the command creates a public device client, prints
// the code, and polls a real server while a browser enters the code on a
// verification page (which calls the admin API) and signs in.
func TestPerformDeviceCode(t *testing.T) {
	t.Parallel()
	app := &loginConsent{subject: "alice"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + l.Addr().String()
	srv := signettest.Start(t, signettest.WithEnv("URLS_LOGIN="+appURL+"/login", "URLS_CONSENT="+appURL+"/consent",
		"URLS_DEVICE_VERIFICATION="+appURL+"/device", "URLS_DEVICE_SUCCESS="+appURL+"/done",
		"OAUTH2_DEVICE_AUTHORIZATION_TOKEN_POLLING_INTERVAL=1s"))
	app.srv = srv
	mux := http.NewServeMux()
	mux.Handle("/", app.handler(t))
	mux.HandleFunc("GET /device", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		body, _ := json.Marshal(map[string]string{"user_code": q.Get("user_code")})
		req, _ := http.NewRequest(http.MethodPut, srv.AdminURL+"/admin/oauth2/auth/requests/device/accept?"+
			url.Values{"device_challenge": {q.Get("device_challenge")}}.Encode(), strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		var to struct {
			RedirectTo string `json:"redirect_to"`
		}
		if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || json.Unmarshal(b, &to) != nil {
			http.Error(w, string(b), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("device signed in")) })
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	p := &performRun{stderr: &lineWriter{lines: make(chan string, 64)}, cancel: cancel, exited: make(chan struct{})}
	env := map[string]string{envPublicURL: srv.PublicURL, envAdminURL: srv.AdminURL}
	go func() {
		defer close(p.exited)
		p.code = Main(ctx, []string{"perform", "device-code", "--create-client", "--format", "json"}, Env{
			Getenv: func(k string) string { return env[k] }, Environ: func() []string { return nil },
			Stdin: strings.NewReader(""), Stdout: &p.stdout, Stderr: p.stderr,
		})
	}()
	t.Cleanup(func() { cancel(); <-p.exited })
	var complete string
	for complete == "" {
		select {
		case line := <-p.stderr.lines:
			if strings.HasPrefix(line, "(or open ") {
				complete = strings.TrimSuffix(strings.TrimPrefix(line, "(or open "), ")")
			}
		case <-p.exited:
			t.Fatalf("exited %d before printing the verification URI:\n%s", p.code, p.stderr)
		}
	}
	if _, body := browse(t, complete); body != "device signed in" {
		t.Fatalf("the browser ended with %q", body)
	}
	code, stdout, stderr := p.wait()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var tok tokenResponse
	if err := json.Unmarshal([]byte(stdout), &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Errorf("output %q (%v): want access, refresh and ID tokens", stdout, err)
	}
}

func TestPerformDeviceCodeBadFlags(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"no client":    {},
		"both":         {"--client-id", "x", "--create-client"},
		"zero timeout": {"--client-id", "x", "--timeout", "0s"},
		"bad format":   {"--client-id", "x", "--format", "yaml-ish"},
		"unknown flag": {"--client-id", "x", "--nope"},
		"server down":  {"--client-id", "x", "-e", "http://127.0.0.1:1"},
	} {
		var out, errOut strings.Builder
		code := Main(context.Background(), append([]string{"perform", "device-code"}, args...), Env{
			Getenv: func(string) string { return "" }, Environ: func() []string { return nil },
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		})
		if code == 0 || out.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q; want a failure and no output", name, code, out.String())
		}
	}
}

// TestPollDeviceSlowDown: the command waits the server's interval before
// every poll, adds 5 seconds at each slow_down (RFC 8628 section 3.5) and
// keeps the longer interval afterwards.
func TestPollDeviceSlowDown(t *testing.T) {
	t.Parallel()
	answers := []string{"authorization_pending", "slow_down", "authorization_pending", "slow_down", ""}
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("device_code") != "dc" {
			t.Errorf("poll without the device code: %v %v", err, r.PostForm)
		}
		w.Header().Set("Content-Type", "application/json")
		code := answers[polls]
		polls++
		if code == "" {
			_, _ = io.WriteString(w, `{"access_token":"at","token_type":"bearer","expires_in":60}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"`+code+`"}`)
	}))
	defer srv.Close()
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	now := make(chan time.Time, 1)
	after := func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		now <- time.Time{}
		return now
	}
	tok, err := newAPIClient(base).pollDevice(context.Background(), "device", "", &deviceAuthorization{DeviceCode: "dc", Interval: 2}, after)
	if err != nil || tok.AccessToken != "at" {
		t.Fatalf("pollDevice = %+v, %v", tok, err)
	}
	want := []time.Duration{2 * time.Second, 2 * time.Second, 7 * time.Second, 7 * time.Second, 12 * time.Second}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits = %v, want %v", waits, want)
	}
}
