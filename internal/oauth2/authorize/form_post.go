package authorize

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// OAuth 2.0 Form Post Response Mode (OpenID Foundation, 2015), section 2:
// the response parameters are "encoded as HTML form values that are
// auto-submitted in the User Agent, and thus are transmitted via the HTTP
// POST method to the Client".
//
// The page is locked down by its Content-Security-Policy: nothing loads,
// the only script is the one-line submit (allowed by its hash, so no
// attacker-controlled text can ever run), the form may only go to the
// redirect URI's origin, and no one may frame the page (a framed form_post
// would hand the code to the framer's clickjacking). Every value is
// HTML-escaped by html/template; a <noscript> button lets a browser without
// JavaScript continue.
//
// Only http and https redirect URIs can be used: a browser cannot POST a
// form to a native app's custom scheme, and only a plain origin can be put
// into the policy without letting a registered URI inject directives.

// formPostScript submits the page's form. It calls the prototype's submit
// so a field named "submit" could never shadow it (Signet's field names
// are fixed, but the page should not depend on that).
const formPostScript = `HTMLFormElement.prototype.submit.call(document.forms[0]);`

// formPostScriptHash is the CSP hash-source of formPostScript
// (base64 of its SHA-256); TestFormPostScriptHash keeps them in step.
const formPostScriptHash = "'sha256-Zd9Ppkm6KJvfEle1ogzptKkD+DOonO1DYBPhi02doj8='"

// formPostCSP is the policy of a page that posts to origin (a host-source
// from formActionSource).
func formPostCSP(origin string) string {
	return "default-src 'none'; script-src " + formPostScriptHash + "; form-action " + origin +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// formActionSource is redirectURI's origin as a CSP host-source (CSP
// Level 3 section 2.3.1): scheme, host and port, and nothing else. It
// refuses anything but http and https with a plain DNS name, IPv4 or
// bracketed IPv6 host, because the value goes into a header where ";" or
// "," would start another directive.
func formActionSource(redirectURI string) (string, bool) {
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" {
		return "", false
	}
	host := u.Hostname()
	allowed := func(c rune) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
	}
	if strings.Contains(host, ":") { // IPv6 literal, without a zone
		allowed = func(c rune) bool {
			return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9' || c == ':' || c == '.'
		}
	}
	if host == "" || strings.IndexFunc(host, func(c rune) bool { return !allowed(c) }) >= 0 {
		return "", false
	}
	for _, c := range u.Port() {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return u.Scheme + "://" + u.Host, true
}

type formPostField struct{ Name, Value string }

type formPostData struct {
	Action string
	Fields []formPostField
}

// formPostPage is parsed once at package init; it is immutable after that.
// The script is part of the template's text, not data, so html/template
// leaves it byte for byte as hashed.
var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Continuing sign-in</title>
</head><body>
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>JavaScript is turned off: press Continue to return to the application.</p>
<button type="submit">Continue</button></noscript>
</form>
<script>` + formPostScript + `</script>
</body></html>
`))

// writeFormPost renders rd as the auto-submitting page. The redirect URI
// was checked by responseMode (deliveryMode never picks form_post for a
// URI formActionSource refuses); should one slip through, the policy
// forbids the submit rather than naming an unchecked origin.
func writeFormPost(w http.ResponseWriter, rd *Redirect) {
	origin, ok := formActionSource(rd.URI)
	if !ok {
		origin = "'none'"
	}
	action, _, _ := strings.Cut(rd.URI, "#")
	data := formPostData{Action: action}
	keys := make([]string, 0, len(rd.Params))
	for k := range rd.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range rd.Params[k] {
			data.Fields = append(data.Fields, formPostField{Name: k, Value: v})
		}
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	httpx.WritePageHeaders(w, http.StatusOK, formPostCSP(origin))
	_ = formPostPage.Execute(w, data)
}
