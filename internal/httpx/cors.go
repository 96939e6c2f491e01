package httpx

// Cross-Origin Resource Sharing (the Fetch Standard, section 3.2) for the
// two ports, with Hydra's semantics: serve.<port>.cors.* decides, and on
// the public endpoints a browser calls with a client's credentials (token,
// revocation, userinfo) that client's allowed_cors_origins count as well.
//
// A refused origin gets no Access-Control-* headers and the normal answer:
// the browser, not Signet, keeps the page from reading it. Nothing about the
// decision is ever rendered as an error.

import (
	"bytes"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CORSOptions is one port's serve.*.cors configuration.
type CORSOptions struct {
	Enabled            bool
	AllowedOrigins     []string
	AllowedMethods     []string
	AllowedHeaders     []string
	ExposedHeaders     []string
	AllowCredentials   bool
	MaxAge             int
	Debug              bool
	OptionsPassthrough bool
}

// Hydra's defaults for the lists a configuration leaves empty.
func defaultCORSMethods() []string {
	return []string{"POST", "GET", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD", "OPTIONS", "TRACE"}
}

func defaultCORSHeaders() []string {
	return []string{"Accept", "Content-Type", "Content-Length", "Accept-Language", "Content-Language", "Authorization"}
}

func defaultCORSExposed() []string {
	return []string{"Cache-Control", "Expires", "Last-Modified", "Pragma", "Content-Length", "Content-Language", "Content-Type"}
}

// CORSPolicy is CORSOptions compiled once per configuration snapshot.
type CORSPolicy struct {
	enabled     bool
	origins     OriginList
	methods     map[string]bool
	headers     map[string]bool // canonical header names
	anyHeader   bool
	exposed     string
	credentials bool
	maxAge      string
	debug       bool
	passthrough bool
}

// NewCORSPolicy applies Hydra's defaults and compiles the origin patterns.
// An empty allowed_origins allows every origin, as in Hydra.
func NewCORSPolicy(o CORSOptions) *CORSPolicy {
	p := &CORSPolicy{enabled: o.Enabled, credentials: o.AllowCredentials, debug: o.Debug,
		passthrough: o.OptionsPassthrough, methods: map[string]bool{}, headers: map[string]bool{}}
	if len(o.AllowedOrigins) == 0 {
		p.origins = ParseOrigins([]string{"*"})
	} else {
		p.origins = ParseOrigins(o.AllowedOrigins)
	}
	methods, headers, exposed := o.AllowedMethods, o.AllowedHeaders, o.ExposedHeaders
	if len(methods) == 0 {
		methods = defaultCORSMethods()
	}
	if len(headers) == 0 {
		headers = defaultCORSHeaders()
	}
	if len(exposed) == 0 {
		exposed = defaultCORSExposed()
	}
	for _, m := range methods {
		p.methods[strings.ToUpper(m)] = true
	}
	for _, h := range headers {
		if h == "*" {
			p.anyHeader = true
		}
		p.headers[http.CanonicalHeaderKey(strings.TrimSpace(h))] = true
	}
	p.exposed = strings.Join(exposed, ", ")
	if o.MaxAge > 0 {
		p.maxAge = strconv.Itoa(o.MaxAge)
	}
	return p
}

// AllowsEveryOrigin says whether the configured list lets any origin in.
func (p *CORSPolicy) AllowsEveryOrigin() bool { return p.origins.any }

// ClientOrigins returns the allowed_cors_origins of the client a request
// acts for, or nil when the request names no known client. It must leave
// the request readable by the handler (see PeekFormValue).
type ClientOrigins func(r *http.Request) []string

// CORS applies one port's policy in front of its route table.
type CORS struct {
	// Policy returns the current policy; it is read once per request, so a
	// reloaded configuration applies to the next request.
	Policy func() *CORSPolicy
	// Paths, when not nil, limits CORS to these exact paths; a path's
	// ClientOrigins (nil for none) adds its client's origins. When nil,
	// every path is covered with the configured origins only (the admin
	// port, as in Hydra).
	Paths map[string]ClientOrigins
	Log   *slog.Logger
}

// maxOriginLen bounds the Origin header we compare; real origins are short.
const maxOriginLen = 1024

// Handler answers preflight requests itself (204, the handler is not
// reached unless options_passthrough is set) and adds the response headers
// to actual requests from allowed origins.
func (c CORS) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := c.Policy()
		clients, covered := c.covers(r.URL.Path)
		if p == nil || !p.enabled || !covered {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			c.preflight(w, r, p, clients != nil)
			if !p.passthrough {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		} else {
			c.actual(w, r, p, clients)
		}
		next.ServeHTTP(w, r)
	})
}

func (c CORS) covers(path string) (ClientOrigins, bool) {
	if c.Paths == nil {
		return nil, true
	}
	f, ok := c.Paths[path]
	return f, ok
}

// preflight answers OPTIONS with Access-Control-Request-Method. A preflight
// carries no credentials, so on a path whose client decides (clientAware)
// the client is unknown: like Hydra, the preflight then allows the origin
// and the actual request, which names its client, decides. That leaks
// nothing: a preflight's answer holds no data.
func (c CORS) preflight(w http.ResponseWriter, r *http.Request, p *CORSPolicy, clientAware bool) {
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	origin, ok := requestOrigin(r)
	if !ok {
		c.debug(r, p, origin, "preflight refused: no single Origin header")
		return
	}
	if !p.origins.Allows(origin) && !clientAware {
		c.debug(r, p, origin, "preflight refused: origin not allowed")
		return
	}
	method := strings.ToUpper(r.Header.Get("Access-Control-Request-Method"))
	if !p.methodAllowed(method) {
		c.debug(r, p, origin, "preflight refused: method "+Clip(method, 20)+" not allowed")
		return
	}
	requested, ok := p.headersAllowed(r.Header.Values("Access-Control-Request-Headers"))
	if !ok {
		c.debug(r, p, origin, "preflight refused: a requested header is not allowed")
		return
	}
	p.allowOrigin(h, origin)
	h.Set("Access-Control-Allow-Methods", method)
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	if p.maxAge != "" {
		h.Set("Access-Control-Max-Age", p.maxAge)
	}
	c.debug(r, p, origin, "preflight allowed")
}

// actual adds the headers that let the page read the answer, when the
// origin is configured or, failing that, allowed by the request's client.
func (c CORS) actual(w http.ResponseWriter, r *http.Request, p *CORSPolicy, clients ClientOrigins) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if len(r.Header.Values("Origin")) == 0 {
		return // same-origin or not a browser: nothing to decide
	}
	origin, ok := requestOrigin(r)
	switch {
	case !ok:
		c.debug(r, p, origin, "refused: no single Origin header")
		return
	case !p.methodAllowed(r.Method):
		c.debug(r, p, origin, "refused: method not allowed")
		return
	case p.origins.Allows(origin):
	case clients != nil && ParseOrigins(clients(r)).Allows(origin):
	default:
		c.debug(r, p, origin, "refused: origin allowed neither by the configuration nor by the client")
		return
	}
	p.allowOrigin(h, origin)
	if p.exposed != "" {
		h.Set("Access-Control-Expose-Headers", p.exposed)
	}
	c.debug(r, p, origin, "allowed")
}

// allowOrigin writes Access-Control-Allow-Origin, and the credentials flag.
// "*" is sent only when every origin is allowed and credentials are not:
// with credentials the Fetch Standard forbids "*", so the origin is echoed
// (and Vary: Origin, always set, keeps caches from mixing answers).
func (p *CORSPolicy) allowOrigin(h http.Header, origin string) {
	if p.origins.any && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

func (p *CORSPolicy) methodAllowed(m string) bool {
	return m == http.MethodOptions || p.methods[m]
}

// headersAllowed checks every name of Access-Control-Request-Headers and
// returns them canonicalised for Access-Control-Allow-Headers.
func (p *CORSPolicy) headersAllowed(values []string) ([]string, bool) {
	var out []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			canon := http.CanonicalHeaderKey(name)
			if !p.anyHeader && !p.headers[canon] {
				return nil, false
			}
			out = append(out, canon)
		}
	}
	return out, true
}

// requestOrigin is the one Origin header of r; a repeated or oversized
// header is refused rather than guessed at.
func requestOrigin(r *http.Request) (string, bool) {
	vs := r.Header.Values("Origin")
	if len(vs) != 1 || vs[0] == "" || len(vs[0]) > maxOriginLen {
		if len(vs) > 0 {
			return Clip(vs[0], 100), false
		}
		return "", false
	}
	return vs[0], true
}

// debug logs one decision when serve.*.cors.debug is on. The origin is
// clipped: it is the caller's text.
func (c CORS) debug(r *http.Request, p *CORSPolicy, origin, decision string) {
	if !p.debug || c.Log == nil {
		return
	}
	c.Log.LogAttrs(r.Context(), slog.LevelInfo, "cors",
		slog.String("method", r.Method), slog.String("path", Clip(r.URL.Path, 100)),
		slog.String("origin", Clip(origin, 100)), slog.String("decision", decision),
		slog.String("request_id", RequestID(r.Context())))
}

// OriginList is a compiled list of allowed origins. An entry is "*" (every
// origin), an exact origin ("https://app.example.com"), "scheme://*" (every
// origin of that scheme, Hydra's "https://*"), or an origin with one "*"
// standing for one DNS label or a port ("https://*.example.com",
// "http://localhost:*"). Matching ignores case and a trailing slash.
type OriginList struct {
	any      bool
	exact    map[string]bool
	patterns []originPattern
}

type originPattern struct{ prefix, suffix string }

// ParseOrigins compiles a configuration's or a client's origin list.
// Entries with more than one "*" match nothing (validation refuses them).
func ParseOrigins(list []string) OriginList {
	l := OriginList{exact: map[string]bool{}}
	for _, o := range list {
		o = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
		switch n := strings.Count(o, "*"); {
		case o == "*":
			l.any = true
		case n == 0:
			l.exact[o] = true
		case n == 1:
			prefix, suffix, _ := strings.Cut(o, "*")
			l.patterns = append(l.patterns, originPattern{prefix, suffix})
		}
	}
	return l
}

// Allows says whether origin (the Origin header's value) is in the list.
func (l OriginList) Allows(origin string) bool {
	if l.any {
		return true
	}
	o := strings.ToLower(origin)
	if l.exact[o] {
		return true
	}
	for _, p := range l.patterns {
		if p.matches(o) {
			return true
		}
	}
	return false
}

func (p originPattern) matches(o string) bool {
	if len(o) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(o, p.prefix) || !strings.HasSuffix(o, p.suffix) {
		return false
	}
	middle := o[len(p.prefix) : len(o)-len(p.suffix)]
	if p.suffix == "" && strings.HasSuffix(p.prefix, "://") {
		return !strings.ContainsAny(middle, "/?#@ ") // "https://*": any host of the scheme
	}
	for _, c := range middle {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PeekFormValue returns key from an application/x-www-form-urlencoded POST
// body without consuming it: the bytes read are put back in front of what
// is left of the body, so the handler reads exactly what the client sent,
// and any read error (a body over the limit, a broken connection) reaches
// the handler too. It returns "" for other requests, for bodies over
// MaxFormBody and for malformed or repeated parameters, which the handler
// then refuses in its own words.
func PeekFormValue(r *http.Request, key string) string {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return ""
	}
	body := r.Body
	buf, err := io.ReadAll(io.LimitReader(body, MaxFormBody+1))
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(buf), body), Closer: body}
	if err != nil || len(buf) > MaxFormBody {
		return ""
	}
	vals, perr := ParseStrictValues(string(buf))
	if perr != nil {
		return ""
	}
	return vals.Get(key)
}

type replayBody struct {
	io.Reader
	io.Closer
}

// BasicUser is the client id of an "Authorization: Basic" header, decoded
// as RFC 6749 section 2.3.1 asks ("" when there is none).
func BasicUser(r *http.Request) string {
	user, _, ok := r.BasicAuth()
	if !ok {
		return ""
	}
	if id, err := url.QueryUnescape(user); err == nil {
		return id
	}
	return user
}
