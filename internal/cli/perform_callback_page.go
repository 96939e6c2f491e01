package cli

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/signet-oidc/signet/internal/httpx"
)

// The page the browser shows at the end of `perform authorization-code`.
// Like Signet's own pages it is small, readable on a phone, and runs no
// script; its one style block is allowed by hash, so the Content-Security-
// Policy allows nothing else. Element ids are stable for browser tests:
// #result (the heading), #subject on success, #error-code,
// #error-description and #error-hint on failure.

// callbackStyle is the page's only style; callbackCSP allows it by hash.
const callbackStyle = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a;background:#fff}` +
	`h1{font-size:1.6rem}code{background:#eee;padding:0 .25rem;word-break:break-all}.note{color:#444}`

// callbackCSP is the page's Content-Security-Policy: nothing but the style
// block above.
func callbackCSP() string {
	sum := sha256.Sum256([]byte(callbackStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

type callbackPageData struct {
	OK                      bool
	Subject                 string
	Code, Description, Hint string
}

// callbackPage is parsed once at package init and never changed.
var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .OK}}Signed in{{else}}Sign-in failed{{end}} · signet perform authorization-code</title>
<style>` + callbackStyle + `</style>
</head><body><main>
{{if .OK}}<h1 id="result">Signed in</h1>
{{if .Subject}}<p>You are signed in as <strong id="subject">{{.Subject}}</strong>, and the ID token was verified.</p>
{{else}}<p>The code was exchanged for tokens. No ID token was asked for (the scope lacks openid).</p>{{end}}
<p class="note">You can close this window. The tokens and the ID token's claims are in the terminal.</p>
{{else}}<h1 id="result">Sign-in failed</h1>
<p id="error-description"><strong>{{.Description}}</strong></p>
{{if .Hint}}<p id="error-hint">{{.Hint}}</p>{{end}}
<p class="note">Error <code id="error-code">{{.Code}}</code>. The terminal running <code>signet perform authorization-code</code> says the same.</p>
{{end}}</main></body></html>
`))

// writeCallbackPage renders o.
func writeCallbackPage(w http.ResponseWriter, o outcome) {
	data, status := callbackPageData{OK: true, Subject: o.subject}, http.StatusOK
	if o.err != nil {
		var e *callbackError
		status, e = pageError(o.err)
		data = callbackPageData{Code: e.Code, Description: e.Description, Hint: e.Hint}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WritePageHeaders(w, status, callbackCSP())
	_ = callbackPage.Execute(w, data)
}
