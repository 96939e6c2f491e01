package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"

	hydra "github.com/ory/hydra-client-go/v2"
)

// Rendering: HTML pages from templates/, their security headers, and the
// page a person sees when something goes wrong.

//go:embed templates
var templateFiles embed.FS

// Pages holds one parsed template per page, each combined with the shared
// layout, and the Content-Security-Policy that fits them.
type Pages struct {
	byName map[string]*template.Template
	csp    string
}

// loadPages parses the templates. The stylesheet is inlined in a <style>
// element and allowed by its SHA-256 hash, computed here from the same
// bytes, so the policy needs neither 'unsafe-inline' nor a second request,
// and editing style.css cannot break it.
func loadPages() (*Pages, error) {
	css, err := templateFiles.ReadFile("templates/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	funcs := template.FuncMap{"style": func() template.CSS { return template.CSS(css) }}
	p := &Pages{byName: map[string]*template.Template{}, csp: pageCSP(base64.StdEncoding.EncodeToString(sum[:]))}
	for _, name := range []string{"login", "consent", "logout", "message"} {
		t, err := template.New("layout.html").Funcs(funcs).
			ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.byName[name] = t
	}
	return p, nil
}

// pageCSP allows nothing but the one inline stylesheet: no script at all,
// no framing (a framed consent page could be clickjacked into a "yes").
// form-action is deliberately absent: browsers apply it to the redirects
// that follow a form submission, and ours lead to Signet and then to
// whatever redirect URI each client registered, which no list here can
// know. The CSRF token protects the forms instead.
func pageCSP(styleHash string) string {
	return "default-src 'none'; style-src 'sha256-" + styleHash + "'; base-uri 'none'; frame-ancestors 'none'"
}

// render writes page name with data. Login and consent pages must never be
// cached or leak their URL (it holds the challenge) to other sites.
func (p *Pages) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.byName[name].Execute(&buf, data); err != nil {
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message is the data of the plain message page (errors, "still signed
// in", the home page).
type message struct {
	Title     string
	Text      string
	Hint      string
	RequestID string // Signet's request id, for its log; shown small
}

// showMessage renders the message page.
func (a *App) showMessage(w http.ResponseWriter, status int, m message) {
	a.Pages.render(w, status, "message", m)
}

// signetError explains a failed admin API call in words a person
// understands and logs the details for the operator. resp is nil when
// Signet was not reached.
func (a *App) signetError(w http.ResponseWriter, r *http.Request, resp *http.Response, err error) {
	m := message{Title: "This step could not be completed"}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	var apiErr *hydra.GenericOpenAPIError
	if errors.As(err, &apiErr) {
		_ = json.Unmarshal(apiErr.Body(), &body)
	}
	status, level := http.StatusBadGateway, slog.LevelError
	switch {
	case resp == nil:
		m.Text = "The sign-in service could not be reached."
		m.Hint = "Try again in a moment. If this keeps happening, the operator should check SIGNET_ADMIN_URL."
	case resp.StatusCode == http.StatusNotFound:
		// Signet answers 404 for a challenge that is unknown, tampered with
		// or expired, without saying which.
		status, level = http.StatusBadRequest, slog.LevelWarn
		m.Text = "This request is no longer valid."
		m.Hint = "Requests expire after a while. Go back to the application and start again."
	case resp.StatusCode < 500:
		// Usually a bug in this app (a decision Signet cannot apply).
		status = http.StatusBadRequest
		m.Text = "The sign-in service refused this step: " + orDefault(body.Description, resp.Status) + "."
		m.Hint = "Go back to the application and start again."
	default:
		m.Text = "The sign-in service had a problem."
		m.Hint = "Try again in a moment."
	}
	if resp != nil {
		m.RequestID = resp.Header.Get("X-Request-Id")
	}
	// A transport error names the URL, challenge included; log only why
	// the call failed.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	a.Log.Log(r.Context(), level, "admin API call failed", "path", r.URL.Path,
		"signet_request_id", m.RequestID, "signet_error", body.Error, "error", err.Error())
	a.showMessage(w, status, m)
}

// badRequest is the page for a request that did not come from Signet or
// from our own form.
func (a *App) badRequest(w http.ResponseWriter, text string) {
	a.showMessage(w, http.StatusBadRequest, message{
		Title: "This page cannot be shown",
		Text:  text,
		Hint:  "Start again from the application you wanted to sign in to.",
	})
}
