package authorize

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// The authorization request of RFC 6749 section 4.1.1, with the OpenID
// Connect Core 1.0 section 3.1.2.1 parameters (nonce, prompt, max_age,
// id_token_hint, login_hint, acr_values, ui_locales, display), PKCE
// (RFC 7636 section 4.3, oauth2/pkce.go) and Hydra's "audience".
//
// Error routing, RFC 6749 section 4.1.2.1: a missing or unknown client_id
// and a missing, invalid or mismatching redirect_uri are never redirected
// (the caller shows urls.error); every later error is redirected to the
// trusted redirect URI with error, error_description and state. That is
// why ParseRequest fails only for client_id and redirect_uri problems and
// keeps the first other problem for Validate to report once the redirect
// URI is trusted.
//
// Response types and their rules are in response_type.go, response modes
// in response_mode.go. A response type that returns an ID token from this
// endpoint needs a nonce (OIDC Core 3.2.2.1, 3.3.2.11) and the openid
// scope.
//
// Not supported: request objects ("request", "request_uri": OIDC Core
// section 6, refused with request_not_supported / request_uri_not_supported
// rather than silently ignored, because ignoring them would drop what the
// client signed). RFC 6749 section 3.1: other unknown parameters are ignored.

// Bounds on authorization request parameters. Values are already at most
// httpx.MaxParamLen (8 KiB) when they come through httpx.ParseStrictValues;
// these are tighter where a parameter is copied into challenges, tokens or
// redirects.
const (
	maxClientIDLen     = 255 // as client registration
	maxAuthzStringLen  = 2048
	maxAuthzListItems  = 100
	maxAuthzScopeLen   = 4096
	maxResponseTypeLen = 64
	maxAgeDigits       = 10 // about 317 years
)

// Request holds the parsed parameters of GET/POST /oauth2/auth.
type Request struct {
	ClientID string
	// RedirectURI is as requested; "" when omitted. Validate returns the
	// one to use.
	RedirectURI  string
	ResponseType string
	ResponseMode string
	Scope        []string // deduplicated, in request order
	State        string
	Nonce        string
	// CodeChallengeMethod is as sent; Validate resolves the RFC default.
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string // none, login, consent, select_account
	// MaxAge is the max_age in seconds; nil when absent.
	MaxAge      *int64
	IDTokenHint string
	LoginHint   string
	ACRValues   []string
	UILocales   []string
	Display     string // page, popup, touch, wap, or ""
	Audience    []string
	// Resources are RFC 8707 resource indicators; the flow asks for them
	// as audience (TargetAudience).
	Resources []string
	// DPoPJKT binds the code to a DPoP key (RFC 9449 section 10; dpop_jkt.go).
	DPoPJKT string

	// problem is the first invalid parameter other than client_id and
	// redirect_uri, reported by Validate as a redirectable error.
	problem *httpx.Error
}

// Error is an authorization endpoint error with its routing.
type Error struct {
	Err *httpx.Error
	// Redirectable is true once the redirect URI is trusted: the error goes
	// back to the client. Otherwise it goes to the error page.
	Redirectable bool
	// State is the request's state, to be echoed in the redirect.
	State string
	// Mode is the response mode the error travels in (deliveryMode).
	Mode string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Options are the server settings Validate applies.
type Options struct {
	// ScopeStrategy decides whether the client's scope covers a requested
	// one (oauth2.ScopeStrategyFor(strategies.scope)); nil means oauth2.Exact.
	ScopeStrategy oauth2.ScopeStrategy
	// PKCEEnforced and PKCEEnforcedForPublicClients are oauth2.pkce.*.
	PKCEEnforced                 bool
	PKCEEnforcedForPublicClients bool
	// PKCEAllowPlain permits code_challenge_method=plain (and its default).
	PKCEAllowPlain bool
	// MinStateLength requires state of at least this many bytes; 0 makes
	// state optional. Hydra requires 8 (fosite's minimum entropy).
	MinStateLength int
}

// ParseRequest reads the authorization request parameters. Its error is a
// non-redirectable *Error about client_id or redirect_uri.
func ParseRequest(q url.Values) (*Request, error) {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return nil, pageError(oauth2.InvalidRequest("The parameter %s is included more than once.", k))
		}
	}
	r := &Request{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri")}
	switch {
	case r.ClientID == "":
		return nil, pageError(oauth2.InvalidRequest("The client_id parameter is required."))
	case len(r.ClientID) > maxClientIDLen || !printableASCII(r.ClientID):
		return nil, pageError(oauth2.InvalidRequest("The client_id is not a valid client identifier."))
	case len(r.RedirectURI) > maxRedirectURILen:
		return nil, pageError(oauth2.InvalidRequest("The redirect_uri is longer than %d bytes.", maxRedirectURILen))
	}
	p := &paramReader{q: q}
	r.State = p.str("state", maxAuthzStringLen)
	if len(q["state"]) > 1 || len(r.State) > maxAuthzStringLen {
		r.State = "" // echo no state rather than one of several, or a huge one
	}
	r.ResponseType = p.str("response_type", maxResponseTypeLen)
	r.ResponseMode = p.str("response_mode", maxResponseTypeLen)
	r.Scope = p.scope()
	r.Nonce = p.str("nonce", maxAuthzStringLen)
	r.CodeChallenge = p.str("code_challenge", maxAuthzStringLen)
	r.CodeChallengeMethod = p.str("code_challenge_method", maxResponseTypeLen)
	r.Prompt = p.prompt()
	r.MaxAge = p.maxAge()
	r.IDTokenHint = p.str("id_token_hint", httpx.MaxParamLen)
	r.LoginHint = p.str("login_hint", maxAuthzStringLen)
	r.ACRValues = p.list("acr_values", maxAuthzStringLen)
	r.UILocales = p.list("ui_locales", maxAuthzStringLen)
	r.Display = p.oneOf("display", "page", "popup", "touch", "wap")
	r.Audience = p.list("audience", httpx.MaxParamLen)
	r.Resources = p.resources()
	r.DPoPJKT = p.dpopJKT()
	p.unsupported("request", "request_not_supported", "Request objects (the request parameter) are not supported.")
	p.unsupported("request_uri", "request_uri_not_supported", "Request objects by reference (the request_uri parameter) are not supported.")
	r.problem = p.problem
	return r, nil
}

// Validate checks the request against the client (nil when client_id is
// unknown) and returns the redirect URI to answer to. On error, redirectURI
// is the trusted redirect URI when err.Redirectable, else "".
func (r *Request) Validate(c *client.Client, opts Options) (redirectURI string, err *Error) {
	if c == nil || c.ID != r.ClientID {
		return "", pageError(oauth2.InvalidClient("The requested OAuth 2.0 client does not exist."))
	}
	uri, matchErr := MatchRedirectURI(r.RedirectURI, c.RedirectURIs)
	if matchErr != nil {
		he, ok := matchErr.(*httpx.Error)
		if !ok {
			he = oauth2.InvalidRequest("The redirect_uri is invalid.")
		}
		return "", pageError(he)
	}
	// From here on the redirect URI is trusted.
	if e := r.check(c, opts, uri); e != nil {
		return uri, &Error{Err: e, Redirectable: true, State: r.State,
			Mode: deliveryMode(r.ResponseType, r.ResponseMode, uri)}
	}
	return uri, nil
}

// check runs the redirectable checks in the order a client developer
// would fix them.
func (r *Request) check(c *client.Client, opts Options, redirectURI string) *httpx.Error {
	if r.problem != nil {
		return r.problem
	}
	rt, err := checkResponseType(r.ResponseType, c)
	if err != nil {
		return err
	}
	if _, err := responseMode(rt, r.ResponseMode, redirectURI); err != nil {
		return err
	}
	if len(r.State) < opts.MinStateLength {
		return oauth2.InvalidRequest("The state parameter must be at least %d characters long.", opts.MinStateLength)
	}
	if err := checkIDTokenRequest(rt, r.Nonce, r.Scope); err != nil {
		return err
	}
	covers := opts.ScopeStrategy
	if covers == nil {
		covers = oauth2.Exact
	}
	allowed := oauth2.SplitScope(c.Scope)
	for _, s := range r.Scope {
		if !covers(allowed, s) {
			return oauth2.InvalidScope("The client is not allowed to request scope %q.", httpx.Clip(s, 64))
		}
	}
	if rt.Code {
		if err := checkPKCE(r, c, opts); err != nil {
			return err
		}
	}
	if err := oauth2.CheckAudience(r.Audience, c.Audience); err != nil {
		return asHTTPError(err)
	}
	if err := oauth2.CheckResources(r.Resources, c.Audience); err != nil {
		return asHTTPError(err)
	}
	return nil
}

// checkIDTokenRequest applies OIDC Core 3.2.2.1 and 3.3.2.11 to a response
// type that returns an ID token from this endpoint: nonce is REQUIRED (it
// is the client's only replay defence for a token it receives through the
// browser), and the request must be an OpenID Connect one.
func checkIDTokenRequest(rt ResponseType, nonce string, scope []string) *httpx.Error {
	switch {
	case !rt.IDToken:
		return nil
	case nonce == "":
		return oauth2.InvalidRequest("The nonce parameter is required when response_type %q returns an ID token from the authorization endpoint.", rt.String())
	case !slices.Contains(scope, "openid"):
		return oauth2.InvalidScope("The response_type %q returns an ID token, so the scope must include openid.", rt.String())
	}
	return nil
}

// checkPKCE applies RFC 7636 to a request that returns a code; PKCE binds
// the code, so it means nothing for the tokens of an implicit response.
func checkPKCE(r *Request, c *client.Client, opts Options) *httpx.Error {
	method, err := oauth2.ParsePKCEChallenge(r.CodeChallenge, r.CodeChallengeMethod, opts.PKCEAllowPlain)
	if err != nil {
		return asHTTPError(err)
	}
	if method == "" && oauth2.PKCERequired(opts.PKCEEnforced, opts.PKCEEnforcedForPublicClients, oauth2.IsPublic(c)) {
		return oauth2.InvalidRequest("This client must use PKCE: send code_challenge and code_challenge_method=S256.")
	}
	return nil
}

// Redirect is the error response at the trusted redirectURI, in e.Mode
// with e.State, from the server whose issuer identifier is issuer.
func (e *Error) Redirect(redirectURI, issuer string) *Redirect {
	return clientReply{uri: redirectURI, mode: e.Mode, state: e.State, iss: issuer}.fail(e.Err)
}

func pageError(e *httpx.Error) *Error { return &Error{Err: e} }

// asHTTPError returns the *httpx.Error our constructors make.
func asHTTPError(err error) *httpx.Error {
	if he, ok := err.(*httpx.Error); ok {
		return he
	}
	return oauth2.InvalidRequest("The request is invalid.")
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// paramReader reads optional parameters, keeping the first problem.
type paramReader struct {
	q       url.Values
	problem *httpx.Error
}

func (p *paramReader) fail(e *httpx.Error) {
	if p.problem == nil {
		p.problem = e
	}
}

// str returns a single-valued parameter of at most max bytes ("" if bad).
func (p *paramReader) str(key string, max int) string {
	vs := p.q[key]
	switch {
	case len(vs) == 0:
		return ""
	case len(vs) > 1:
		p.fail(oauth2.InvalidRequest("The parameter %s is included more than once.", key))
		return ""
	case len(vs[0]) > max:
		p.fail(oauth2.InvalidRequest("The parameter %s is longer than %d bytes.", key, max))
		return ""
	}
	return vs[0]
}

// list splits a space-delimited parameter, deduplicating items.
func (p *paramReader) list(key string, max int) []string {
	items := oauth2.SplitScope(p.str(key, max))
	if len(items) > maxAuthzListItems {
		p.fail(oauth2.InvalidRequest("The parameter %s has more than %d values.", key, maxAuthzListItems))
		return nil
	}
	return oauth2.Dedupe(items)
}

func (p *paramReader) scope() []string {
	items := p.list("scope", maxAuthzScopeLen)
	for _, s := range items {
		if !oauth2.ValidScopeToken(s) {
			p.fail(oauth2.InvalidScope("The scope %q holds characters RFC 6749 section 3.3 does not allow.", httpx.Clip(s, 64)))
			return nil
		}
	}
	return items
}

// prompt: OIDC Core 3.1.2.1, "If this parameter contains none with any
// other value, an error is returned."
func (p *paramReader) prompt() []string {
	items := p.list("prompt", maxAuthzStringLen)
	for _, v := range items {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, v) {
			p.fail(oauth2.InvalidRequest("The prompt value %q is not supported; use none, login, consent or select_account.", httpx.Clip(v, 32)))
			return nil
		}
	}
	if len(items) > 1 && slices.Contains(items, "none") {
		p.fail(oauth2.InvalidRequest("The prompt value none must not be combined with other values."))
		return nil
	}
	return items
}

// maxAge accepts a non-negative decimal integer: digits only, no sign.
func (p *paramReader) maxAge() *int64 {
	if !p.q.Has("max_age") {
		return nil
	}
	s := p.str("max_age", maxAgeDigits)
	n, err := strconv.ParseInt(s, 10, 64)
	if s == "" || err != nil || strings.ContainsAny(s, "+-") {
		p.fail(oauth2.InvalidRequest("The max_age parameter must be a non-negative integer number of seconds (at most %d digits).", maxAgeDigits))
		return nil
	}
	return &n
}

func (p *paramReader) oneOf(key string, allowed ...string) string {
	v := p.str(key, maxResponseTypeLen)
	if v != "" && !slices.Contains(allowed, v) {
		p.fail(oauth2.InvalidRequest("The %s value %q is not supported; use one of %s.", key, httpx.Clip(v, 32), strings.Join(allowed, ", ")))
		return ""
	}
	return v
}

func (p *paramReader) unsupported(key, code, hint string) {
	if p.q.Has(key) {
		p.fail(httpx.NewError(http.StatusBadRequest, code, "%s", hint))
	}
}
