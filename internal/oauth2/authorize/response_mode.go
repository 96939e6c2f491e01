package authorize

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// How the authorization endpoint's answer reaches the client: the response
// modes of OAuth 2.0 Multiple Response Type Encoding Practices section 2.1
// ("query", "fragment") and of OAuth 2.0 Form Post Response Mode
// ("form_post", form_post.go).
//
//   - "query" serves "code" only. Section 2.1: for a response type whose
//     default is the fragment, "the query encoding MUST NOT be used",
//     because a query ends up in logs and Referer headers; such a request
//     is refused, and that error itself goes to the fragment.
//   - "fragment" is the default of every response type but "code"; it
//     uses application/x-www-form-urlencoded (OIDC Core 3.2.2.5).
//   - "form_post" suits every response type.
//
// Errors travel exactly like the response would have (RFC 6749 4.1.2.1 for
// the query, 4.2.2.1 for the fragment; Form Post section 2 for form_post).
// When the request's own response_type or response_mode is unusable, the
// error goes in the default mode of what the request named.

// Response modes.
const (
	ResponseModeQuery    = "query"
	ResponseModeFragment = "fragment"
	ResponseModeFormPost = "form_post"
)

// SupportedResponseModes lists every response mode, for discovery's
// response_modes_supported.
func SupportedResponseModes() []string {
	return []string{ResponseModeQuery, ResponseModeFragment, ResponseModeFormPost}
}

// defaultMode is rt's response mode when the request names none.
func (rt ResponseType) defaultMode() string {
	if rt.ReturnsTokens() {
		return ResponseModeFragment
	}
	return ResponseModeQuery
}

// responseMode checks the requested response_mode for rt and the trusted
// redirect URI, and returns the mode the response will use.
func responseMode(rt ResponseType, requested, redirectURI string) (string, *httpx.Error) {
	switch requested {
	case "":
		return rt.defaultMode(), nil
	case ResponseModeQuery:
		if rt.ReturnsTokens() {
			return "", oauth2.InvalidRequest("The response_mode query must not be used with response_type %q: tokens never travel in the query; use fragment or form_post.", rt.String())
		}
	case ResponseModeFragment:
	case ResponseModeFormPost:
		if _, ok := formActionSource(redirectURI); !ok {
			return "", oauth2.InvalidRequest("The response_mode form_post needs an http or https redirect URI.")
		}
	default:
		return "", oauth2.InvalidRequest("The response_mode %q is not supported; use %s.",
			httpx.Clip(requested, 32), strings.Join(SupportedResponseModes(), ", "))
	}
	return requested, nil
}

// deliveryMode is the mode of any answer to a request with these raw
// response_type and response_mode values: the requested mode when it is
// valid for the request, else the default of the response type. A response
// type Signet does not know still sends its error to the fragment when it
// names a token, so the client finds it where it looks.
func deliveryMode(rawType, requested, redirectURI string) string {
	rt, ok := ParseResponseType(rawType)
	if !ok {
		rt = looseResponseType(rawType)
	}
	if m, err := responseMode(rt, requested, redirectURI); err == nil {
		return m
	}
	return rt.defaultMode()
}

// looseResponseType reads the known parts of an invalid response_type.
func looseResponseType(raw string) ResponseType {
	var rt ResponseType
	for _, p := range strings.Fields(raw) {
		rt.Code = rt.Code || p == "code"
		rt.Token = rt.Token || p == "token"
		rt.IDToken = rt.IDToken || p == "id_token"
	}
	return rt
}

// Redirect is where the authorization endpoint sends the browser next: to
// the login or consent app, or back to the client with its response.
type Redirect struct {
	// URI is the target: a trusted redirect URI or an app's URL. Its own
	// query is kept (RFC 6749 section 3.1.2); a fragment is dropped.
	URI string
	// Mode is how Params travel: ResponseModeQuery, ResponseModeFragment
	// or ResponseModeFormPost.
	Mode   string
	Params url.Values
}

// URL is the target with the parameters, for the query and fragment modes.
func (rd *Redirect) URL() string {
	if rd.Mode == ResponseModeFragment {
		base, _, _ := strings.Cut(rd.URI, "#")
		return base + "#" + rd.Params.Encode()
	}
	return httpx.WithQuery(rd.URI, rd.Params)
}

// write sends the browser on: a 302 for the query and fragment modes, the
// auto-submitting page for form_post. Neither may be cached: both carry
// one-time values.
func (rd *Redirect) write(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if rd.Mode == ResponseModeFormPost {
		writeFormPost(w, rd)
		return
	}
	http.Redirect(w, r, rd.URL(), http.StatusFound)
}

// clientReply is how every answer to one authorization request reaches
// the client, once its redirect URI is trusted.
//
// RFC 9207 (issuer identification): every response delivered to the
// client, success or error and in every mode, carries iss, the exact
// issuer identifier of discovery. A client talking to several
// authorization servers compares it with the issuer it sent the request
// to, which defeats mix-up attacks (RFC 9207 section 2.4). Putting it here,
// the one place that builds client-bound responses, is what makes "every"
// true; the error page is not a response to the client and has none.
type clientReply struct {
	uri, mode, state, iss string
}

// replyTo is the clientReply of a request with these raw values (the
// request's own, or those its flow carries), from the server whose issuer
// identifier is issuer.
func replyTo(issuer, redirectURI, responseType, responseMode, state string) clientReply {
	return clientReply{uri: redirectURI, mode: deliveryMode(responseType, responseMode, redirectURI), state: state, iss: issuer}
}

// success is the response with params, state echoed when sent and iss.
func (cr clientReply) success(params url.Values) *Redirect {
	if cr.state != "" {
		params.Set("state", cr.state)
	}
	cr.identify(params)
	return &Redirect{URI: cr.uri, Mode: cr.mode, Params: params}
}

// fail is the error response of RFC 6749 section 4.1.2.1 / 4.2.2.1, with
// iss (RFC 9207 section 2: "in the authorization error response as well").
func (cr clientReply) fail(e *httpx.Error) *Redirect {
	params := errorParams(e, cr.state)
	cr.identify(params)
	return &Redirect{URI: cr.uri, Mode: cr.mode, Params: params}
}

// identify sets iss. The issuer is a validated URL from the configuration,
// never empty on a running server; an empty one is left out rather than
// sent as "iss=", which a client would compare and reject anyway.
func (cr clientReply) identify(params url.Values) {
	if cr.iss != "" {
		params.Set("iss", cr.iss)
	}
}

// errorParams are error, error_description and state. The hint joins the
// description, as Hydra does, and both are reduced to the characters
// section 4.1.2.1 allows.
func errorParams(e *httpx.Error, state string) url.Values {
	desc := e.Description
	if e.Hint != "" {
		desc += " " + e.Hint
	}
	v := url.Values{"error": {errorCodeChars(e.Code)}, "error_description": {errorDescriptionChars(desc)}}
	if state != "" {
		v.Set("state", state)
	}
	return v
}

// errorDescriptionChars maps s into NQSCHAR (%x20-21 / %x23-5B / %x5D-7E):
// double quotes become single quotes, anything else outside the set "?".
func errorDescriptionChars(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == '"':
			b.WriteByte('\'')
		case c < 0x20 || c > 0x7e || c == '\\':
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// errorCodeChars keeps the code within NQSCHAR too; our codes already are.
func errorCodeChars(s string) string { return errorDescriptionChars(s) }
