package oidc

// The HTML of the logout endpoint: the error page, the signed-out page and
// the front-channel page. None runs script; each carries a strict CSP.

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

type logoutPageData struct {
	Title, Heading, Description, Hint, Code, RequestID string
	Frames                                             []frontChannelFrame
	Refresh, Final                                     string
}

// logoutPage is parsed once at package init and never changed after.
var logoutPage = template.Must(template.New("logout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}}">
{{end}}<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
code{background:#f3f3f3;padding:0 .25rem;word-break:break-all}small{color:#666}
iframe.fc{display:none;width:0;height:0;border:0}</style>
</head><body>
<h1>{{.Heading}}</h1>
{{if .Description}}<p><strong>{{.Description}}</strong></p>{{end}}
{{if .Hint}}<p>{{.Hint}}</p>{{end}}
{{range .Frames}}<iframe class="fc" title="sign-out" src="{{.URL}}"></iframe>
{{end}}{{if .Final}}<p><a href="{{.Final}}">Continue</a></p>{{end}}
{{if .Code}}<p><small>Error <code>{{.Code}}</code>{{if .RequestID}}, request id <code>{{.RequestID}}</code>{{end}}</small></p>{{end}}
</body></html>
`))

// write sends the browser on: a redirect, the front-channel page, or the
// signed-out page.
func (o *logoutOutcome) write(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case len(o.Frames) > 0:
		d := logoutPageData{Title: "Signing out", Heading: "Signing you out…", Frames: o.Frames, Final: o.Final}
		if o.Final != "" {
			d.Refresh = strconv.Itoa(frontChannelDelay) + ";url=" + refreshSafe(o.Final)
		} else {
			d.Heading = "You are signed out"
		}
		writeLogoutPage(w, http.StatusOK, frontChannelCSP(o.Frames), d)
	case o.Redirect != "":
		http.Redirect(w, r, o.Redirect, http.StatusFound)
	default:
		writeLogoutPage(w, http.StatusOK, httpx.PageCSP,
			logoutPageData{Title: "Signed out", Heading: "You are signed out"})
	}
}

// refreshSafe percent-encodes the quotes that would end or open a quoted
// url= inside a meta refresh.
func refreshSafe(u string) string {
	return strings.NewReplacer(`'`, "%27", `"`, "%22").Replace(u)
}

// fail renders err: to urls.error when configured, else as the page.
func (l *Logout) fail(w http.ResponseWriter, r *http.Request, cfg *config.Config, err error) {
	e := (httpx.Renderer{Log: l.Log}).BrowserError(w, r, cfg.URLs.Error, err)
	if e == nil {
		return
	}
	writeLogoutPage(w, httpx.PageStatus(e), httpx.PageCSP, logoutPageData{Title: "Sign-out error",
		Heading: "Sign-out could not continue", Description: e.Description, Hint: e.Hint, Code: e.Code,
		RequestID: httpx.RequestID(r.Context())})
}

func writeLogoutPage(w http.ResponseWriter, status int, csp string, d logoutPageData) {
	httpx.WritePageHeaders(w, status, csp)
	_ = logoutPage.Execute(w, d)
}
