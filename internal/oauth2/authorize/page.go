package authorize

import (
	"html/template"
	"net/http"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The error page of the authorization endpoint: what a browser sees when
// the request cannot be sent back to the client (unknown client, untrusted
// redirect URI) or when the browser itself is the problem (CSRF, replay).
// With urls.error set, the browser is sent there instead.

// csrfError explains a missing or mismatched CSRF cookie, the most common
// first-day failure of a login/consent setup.
func csrfError(cfg *config.Config, cookieName string, missing bool) *httpx.Error {
	what := "The browser sent a CSRF cookie of another sign-in."
	if missing {
		what = "The browser did not send back the CSRF cookie set when this sign-in started."
	}
	e := httpx.NewError(http.StatusForbidden, "request_forbidden",
		"This sign-in cannot continue because it did not come back to the browser that started it.").
		WithHint("%s", what)
	if cfg.Dev {
		e = e.WithHint("%s Expected cookie: %s.", what, cookieName)
	}
	return e
}

// csrfCauses are shown with every CSRF failure.
var csrfCauses = [...]string{
	"The cookie was not stored or sent back: browsers drop cookies with SameSite=None that lack Secure, so over plain http set serve.cookies.same_site_mode to Lax or serve over https.",
	"The sign-in started on one host name and continued on another (for example localhost and 127.0.0.1): cookies are kept per host, so use the same one throughout.",
	"The browser blocks cookies for this site (privacy settings or an extension).",
	"The sign-in was started again in another tab, which replaced the cookie; finish the newest one.",
}

// unconfigured is the page an operator sees before setting the login or
// consent app's URL.
func unconfigured(key, env, app string) *httpx.Error {
	return httpx.NewError(http.StatusInternalServerError, "server_error",
		"The %s app's URL is not configured.", app).
		WithHint("The operator must set %s (environment variable %s) to the %s app's address.", key, env, app)
}

// fail renders err: to urls.error when configured, else as the page.
func (a *Endpoint) fail(w http.ResponseWriter, r *http.Request, cfg *config.Config, err error) {
	if e := (httpx.Renderer{Log: a.Log}).BrowserError(w, r, cfg.URLs.Error, err); e != nil {
		writeErrorPage(w, e, httpx.RequestID(r.Context()))
	}
}

type errorPageData struct {
	Code, Description, Hint, RequestID string
	Causes                             []string
}

// errorPage is parsed once at package init; it is immutable after that.
var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign-in error</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
code{background:#f3f3f3;padding:0 .25rem;word-break:break-all}small{color:#666}</style>
</head><body>
<h1>Sign-in could not continue</h1>
<p><strong>{{.Description}}</strong></p>
{{if .Hint}}<p>{{.Hint}}</p>{{end}}
{{if .Causes}}<p>Likely causes:</p><ul>{{range .Causes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><small>Error <code>{{.Code}}</code>{{if .RequestID}}, request id <code>{{.RequestID}}</code>{{end}}</small></p>
</body></html>
`))

func writeErrorPage(w http.ResponseWriter, e *httpx.Error, requestID string) {
	data := errorPageData{Code: e.Code, Description: e.Description, Hint: e.Hint, RequestID: requestID}
	if e.Code == "request_forbidden" {
		data.Causes = csrfCauses[:]
	}
	httpx.WritePageHeaders(w, httpx.PageStatus(e), httpx.PageCSP)
	_ = errorPage.Execute(w, data)
}
