package devapp

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// The pages share one template: a banner that marks them as development
// only, a heading, an optional error box, and one of the three forms. They
// run no script. The only inline content the policy allows is the style
// block, by its hash, so text that reaches a page (a client name, a scope,
// a user name) can never style or script it even if escaping failed.
//
// Stable ids for browser tests: #subject, #password, #remember, #accept,
// #reject, #error, #message, #user_code; the scope checkboxes are name="scope".

// pageStyle is the whole style of the pages. Colours keep a contrast of at
// least 4.5:1 (WCAG AA); sizes are relative, so the pages read on a phone.
const pageStyle = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a;background:#fff}` +
	`.dev{background:#fff3cd;border:2px solid #7a5c00;color:#3d2e00;padding:.5rem .75rem;border-radius:.25rem}` +
	`h1{font-size:1.5rem;line-height:1.25}` +
	`label.field{display:block;margin-top:.75rem;font-weight:600}` +
	`input.field{display:block;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #555;border-radius:.25rem}` +
	`.check{display:flex;gap:.5rem;align-items:center;margin-top:.5rem}` +
	`.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}` +
	`button{font-size:1rem;padding:.6rem 1.2rem;border:1px solid #1a1a1a;border-radius:.25rem;background:#f2f2f2;color:#1a1a1a}` +
	`button.primary{background:#0b5cad;border-color:#0b5cad;color:#fff}` +
	`fieldset{border:1px solid #767676;border-radius:.25rem;margin-top:1rem}` +
	`.error{border-left:4px solid #b00020;background:#fdecea;padding:.25rem .75rem;margin:1rem 0}` +
	`.help,small{color:#555}code{background:#f3f3f3;padding:0 .25rem;overflow-wrap:anywhere}`

// pageStyleHash is the CSP hash-source of pageStyle (base64 of its
// SHA-256); TestPageStyleHash keeps the two in step.
const pageStyleHash = "'sha256-s1d7EOrWlPMtR17yXnKC2WYz9IgLwa4J2wi9by7xUlI='"

// pageCSP is the policy of a page whose form submits to this origin and
// whose redirects may end at formAction (CSP host or scheme sources; see
// formActionSources). Browsers check form-action against every redirect
// that follows a submission, so the sign-in's last hop, the client's
// redirect URI, must be listed. With allowForms false (error and
// information pages) no form may be sent at all; with formAction nil the
// directive is left out, because a destination could not be expressed.
func pageCSP(allowForms bool, formAction []string) string {
	csp := "default-src 'none'; style-src " + pageStyleHash + "; frame-ancestors 'none'; base-uri 'none'"
	switch {
	case !allowForms:
		return csp + "; form-action 'none'"
	case formAction != nil:
		return csp + "; form-action 'self'" + prefixEach(" ", formAction)
	}
	return csp
}

func prefixEach(p string, s []string) string {
	var b strings.Builder
	for _, v := range s {
		b.WriteString(p + v)
	}
	return b.String()
}

// pageData is what one page shows. Exactly one of Login, Consent and Logout
// is set on a form page; none on an error or information page.
type pageData struct {
	Title, Heading string
	Error          *pageError
	Message        string
	Login          *loginForm
	Consent        *consentForm
	Logout         *logoutForm
	Device         *deviceForm
}

// pageError is an error in words: what happened, what to do, and the ids
// that find the log line.
type pageError struct {
	Description, Hint, Code, RequestID string
}

// clientLabel is how a page names a client: its name, or its id.
type clientLabel struct{ Name, ID string }

// pages is parsed once at package init and never changed after.
var pages = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · Signet development</title>
<style>` + pageStyle + `</style>
</head><body>
<p class="dev" id="dev-banner" role="note"><strong>Development only — do not use in production.</strong>
This is Signet's built-in identity app for <code>--dev</code>: anyone can sign in as anyone.</p>
<main>
<h1>{{.Heading}}</h1>
{{with .Error}}<div class="error" id="error" role="alert">
<p><strong>{{.Description}}</strong></p>
{{if .Hint}}<p>{{.Hint}}</p>{{end}}
<p><small>Error <code>{{.Code}}</code>{{if .RequestID}}, request id <code>{{.RequestID}}</code>{{end}}</small></p>
</div>
{{end}}{{with .Login}}{{template "login" .}}{{end}}{{with .Consent}}{{template "consent" .}}{{end}}{{with .Logout}}{{template "logout" .}}{{end}}{{with .Device}}{{template "device" .}}{{end}}{{if .Message}}<p id="message">{{.Message}}</p>
{{end}}</main>
</body></html>
{{define "client"}}{{if .Name}}<strong>{{.Name}}</strong> <small>(client <code>{{.ID}}</code>)</small>{{else}}<strong>{{.ID}}</strong>{{end}}{{end}}{{define "hidden"}}<input type="hidden" name="challenge" value="{{.Challenge}}">
<input type="hidden" name="csrf_token" value="{{.Token}}">
{{end}}{{define "login"}}<p>{{template "client" .Client}} asks you to sign in{{if .Scopes}} and will ask for
{{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}{{end}}.</p>
<form method="post" action="login">
{{template "hidden" .}}<label class="field" for="subject">User name</label>
<input class="field" type="text" id="subject" name="subject" value="{{.Subject}}" required maxlength="{{.MaxSubject}}"
 autocomplete="username" autocapitalize="none" spellcheck="false" aria-describedby="subject-help" autofocus>
<p class="help" id="subject-help">Any name works; it becomes the <code>sub</code> claim of the tokens.</p>
{{if .AskPassword}}<label class="field" for="password">Password</label>
<input class="field" type="password" id="password" name="password" required autocomplete="current-password" aria-describedby="password-help">
<p class="help" id="password-help">The password set in <code>dev_identity.password</code>.</p>
{{end}}<div class="check"><input type="checkbox" id="remember" name="remember" value="true"{{if .Remember}} checked{{end}}>
<label for="remember">Remember me</label></div>
<div class="actions"><button type="submit" id="accept" name="action" value="accept" class="primary">Sign in</button>
<button type="submit" id="reject" name="action" value="reject" formnovalidate>Deny</button></div>
</form>
{{end}}{{define "consent"}}<p>Signed in as <strong>{{.Subject}}</strong>.</p>
<form method="post" action="consent">
{{template "hidden" .}}{{if .Scopes}}<fieldset><legend>{{template "client" .Client}} asks for</legend>
{{range $i, $s := .Scopes}}<div class="check"><input type="checkbox" id="scope-{{$i}}" name="scope" value="{{$s}}" checked>
<label for="scope-{{$i}}"><code>{{$s}}</code></label></div>
{{end}}</fieldset>
{{else}}<p>{{template "client" .Client}} asks for no scopes.</p>
{{end}}{{if .Audience}}<p>Its access tokens will be for {{range $i, $a := .Audience}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}.</p>
{{end}}<div class="check"><input type="checkbox" id="remember" name="remember" value="true">
<label for="remember">Remember this decision</label></div>
<div class="actions"><button type="submit" id="accept" name="action" value="accept" class="primary">Allow</button>
<button type="submit" id="reject" name="action" value="reject">Deny</button></div>
</form>
{{end}}{{define "logout"}}<p>You are signed in as <strong>{{.Subject}}</strong>{{with .Client}}, and {{template "client" .}} asks to sign you out{{end}}.</p>
<form method="post" action="logout">
{{template "hidden" .}}<div class="actions"><button type="submit" id="accept" name="action" value="accept" class="primary">Yes, sign out</button>
<button type="submit" id="reject" name="action" value="reject">No, stay signed in</button></div>
</form>
{{end}}{{define "device"}}<p>Enter the code your device shows.</p>
<form method="post" action="device">
{{template "hidden" .}}<label class="field" for="user_code">Code</label>
<input class="field" type="text" id="user_code" name="user_code" value="{{.UserCode}}" required maxlength="{{.MaxUserCode}}"
 autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" aria-describedby="user-code-help" autofocus>
<p class="help" id="user-code-help">Letters are not case-sensitive; the dash is optional.</p>
<div class="actions"><button type="submit" id="accept" name="action" value="accept" class="primary">Continue</button>
<button type="submit" id="reject" name="action" value="reject" formnovalidate>Cancel</button></div>
</form>
{{end}}`))

// writePage renders d with the given status and policy. The pages carry
// challenges and form tokens, so nothing may cache them, and no one may
// frame them (clickjacking a consent page would grant scopes).
func writePage(w http.ResponseWriter, status int, csp string, d pageData) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	httpx.WritePageHeaders(w, status, csp)
	_ = pages.Execute(w, d)
}
