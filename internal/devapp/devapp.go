package devapp

import (
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
)

// App serves the development login, consent and logout pages.
type App struct {
	flows    *flow.Admin
	logouts  *flow.LogoutAdmin
	forms    formGuard
	password []byte // SHA-256 of dev_identity.password; nil asks for none
	config   func() *config.Config
	render   httpx.Renderer
}

// Deps is what the app uses. Flows and Logouts are the very values the
// admin API handlers call, so a decision taken on a dev page takes the
// same path as one sent to /admin/oauth2/auth/requests/….
type Deps struct {
	Flows   *flow.Admin
	Logouts *flow.LogoutAdmin
	// Keyring is the system keyring; the form tokens' key is derived from it.
	Keyring *secret.Keyring
	// PublicURL is the public base URL (config.PublicURL); the form cookie
	// is scoped to its dev/ folder.
	PublicURL string
	// SecureCookie sets Secure on the form cookie; an https PublicURL
	// always does.
	SecureCookie bool
	// Password is dev_identity.password; empty asks for none. Only its
	// digest is kept.
	Password string
	// Config is the live configuration, read per request for urls.error and
	// urls.post_logout_redirect (where the forms' redirects may end).
	Config func() *config.Config
	Log    *slog.Logger
	Rand   io.Reader
}

// New builds the app.
func New(d Deps) *App {
	a := &App{flows: d.Flows, logouts: d.Logouts, config: d.Config, render: httpx.Renderer{Log: d.Log},
		forms: newFormGuard(d.Keyring, cookiePath(d.PublicURL),
			d.SecureCookie || strings.HasPrefix(d.PublicURL, "https://"), d.Rand)}
	if d.Password != "" {
		sum := sha256.Sum256([]byte(d.Password))
		a.password = sum[:]
	}
	return a
}

// cookiePath is the path of publicURL's dev/ folder ("/dev/" for a public
// URL without a path).
func cookiePath(publicURL string) string {
	p := "/"
	if u, err := url.Parse(publicURL); err == nil && u.Path != "" {
		p = u.Path
	}
	return strings.TrimSuffix(p, "/") + "/dev/"
}

// Routes mounts the nine pages. app/routes.go calls it only when Configure
// said the app runs.
func (a *App) Routes(mux httpx.Mux) {
	mux.Handle("GET "+LoginPath, a.page(a.showLogin))
	mux.Handle("POST "+LoginPath, a.page(a.submitLogin))
	mux.Handle("GET "+ConsentPath, a.page(a.showConsent))
	mux.Handle("POST "+ConsentPath, a.page(a.submitConsent))
	mux.Handle("GET "+LogoutPath, a.page(a.showLogout))
	mux.Handle("POST "+LogoutPath, a.page(a.submitLogout))
	if a.config().OAuth2.DeviceAuthorization.Enabled {
		mux.Handle("GET "+DevicePath, a.page(a.showDevice))
		mux.Handle("POST "+DevicePath, a.page(a.submitDevice))
		mux.Handle("GET "+DeviceDonePath, a.page(a.showDeviceDone))
	}
}

// page adapts a handler: a returned error becomes the error page, in words,
// with the request id that finds the log line. Internal errors are logged
// by BrowserError and shown without detail.
func (a *App) page(h httpx.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := a.render.BrowserError(w, r, "", err)
		heading := "Sign-in could not continue"
		if r.URL.Path == LogoutPath {
			heading = "Sign-out could not continue"
		}
		writePage(w, pageStatus(e), pageCSP(false, nil), pageData{Title: "Error", Heading: heading,
			Error: &pageError{Description: e.Description, Hint: e.Hint, Code: e.Code,
				RequestID: httpx.RequestID(r.Context())}})
	})
}

// pageStatus keeps a precise 4xx (403 for a refused form, 415, 413) and
// turns every server error into 500.
func pageStatus(e *httpx.Error) int {
	if e.Status >= 400 && e.Status < 500 {
		return e.Status
	}
	return http.StatusInternalServerError
}

// challengeQuery reads the one query parameter a page is opened with.
func challengeQuery(r *http.Request, name string) (string, error) {
	q, err := httpx.ParseQuery(r)
	if err != nil {
		return "", err
	}
	ch := q.Get(name)
	if ch == "" {
		return "", httpx.BadRequest("This page is a step of a sign-in and needs the %s parameter.", name).
			WithHint("Do not open it directly: start from the application, which sends you here through Signet.")
	}
	return ch, nil
}

// challengeError puts a refused challenge in words a person can act on.
// The admin API's message is written for a login app's developer; here
// the reader is whoever is signing in. Other errors pass unchanged.
func challengeError(err error, signOut bool) error {
	if !errors.Is(err, flow.ErrInvalidChallenge) {
		return err
	}
	what, again := "sign-in", "Go back to the application and sign in again."
	if signOut {
		what, again = "sign-out", "Go back to the application and sign out again."
	}
	return httpx.BadRequest("This %s request is unknown or has expired.", what).
		WithHint("Requests expire after ttl.login_consent_request (30 minutes unless configured) and cannot be edited. %s", again).
		Because(err)
}

// clientOf names a client for a page; nil (a logout without a client)
// gives the zero label.
func clientOf(c *client.Client) clientLabel {
	if c == nil {
		return clientLabel{}
	}
	return clientLabel{Name: c.Name, ID: c.ID}
}

// next finishes a decision: err (a refused challenge in words, or
// internal), else the redirect to where the flow continues.
func next(w http.ResponseWriter, r *http.Request, to flow.RedirectTo, err error, signOut bool) error {
	if err != nil {
		return challengeError(err, signOut)
	}
	redirect(w, r, to.RedirectTo)
	return nil
}

// redirect sends the browser on after a decision. 303 after a POST, so the
// next request is a GET whatever the browser.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, status)
}
