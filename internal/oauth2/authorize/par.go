package authorize

// Pushed Authorization Requests: RFC 9126.
//
// POST /oauth2/par takes an authorization request in the body, with client
// authentication exactly as at the token endpoint (section 2.1), checks
// it exactly as /oauth2/auth would (ParseRequest and Validate, the same
// functions), stores it, and answers 201 with a one-time request_uri
// urn:ietf:params:oauth:request_uri:<reference> and its lifetime
// (section 2.2). A request object ("request") may be pushed, and then
// only its claims are the request (section 3); a "request_uri" may not
// be pushed (section 2.1).
//
// /oauth2/auth then takes client_id and that request_uri (section 4). The
// reference is an opaque string with a MAC (token.OpaqueFormat), so a
// forged one is refused without a database read; a genuine one is consumed
// by one conditional statement (PushedStore) that matches only an
// unexpired request of the same client and removes it, so a replay,
// another client's request_uri and an expired one are all refused, and of
// concurrent uses exactly one wins. The parameters then come only from the pushed request. These
// errors are shown on the error page: without the pushed request there is
// no redirect URI to trust.
//
// With oauth2.pushed_authorization_requests.required, or a client's
// require_pushed_authorization_requests (section 6), /oauth2/auth refuses
// requests that were not pushed (section 5), with invalid_request sent to
// the redirect URI when the query's one is registered.
//
// A DPoP proof sent with the push binds the authorization code to its key
// (RFC 9449 section 10.1, par_dpop.go).
//
// The stored parameters never include client credentials (client_secret,
// client_assertion): they are dropped before the request is stored.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// pushedURIPrefix starts every request_uri the PAR endpoint issues
// (RFC 9126 section 2.2).
const pushedURIPrefix = "urn:ietf:params:oauth:request_uri:"

// PushedRefPrefix starts the opaque reference after pushedURIPrefix; wire
// the endpoint's token.OpaqueFormat with it.
const PushedRefPrefix = "signet_par_"

// defaultPushedRequestTTL is oauth2.pushed_authorization_requests.ttl's
// default: RFC 9126 section 2.2 suggests 5 to 600 seconds; 90 leaves time
// for a slow redirect and little for a stolen request_uri.
const defaultPushedRequestTTL = 90 * time.Second

// PushedStore keeps pushed requests; *sqlstore.Store implements it. The
// digest is token.Digest of the opaque reference; params is the form
// encoding of the request's parameters.
type PushedStore interface {
	// CreatePushedRequest stores a request: one write.
	// storage.ErrNotFound when the client does not exist.
	CreatePushedRequest(ctx context.Context, digest []byte, clientID, params string, expiresAt time.Time) error
	// ConsumePushedRequest removes the request and returns its
	// parameters, atomically: of concurrent callers exactly one succeeds.
	// storage.ErrNotFound when the digest is unknown, already used,
	// expired at now, or was pushed by another client than clientID.
	ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (string, error)
}

// PushedResponse is RFC 9126 section 2.2's success body.
type PushedResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// PAR is the pushed authorization request endpoint.
type PAR struct {
	Auth   oauth2.ClientAuthenticator
	Store  PushedStore
	Format token.OpaqueFormat // Prefix PushedRefPrefix
	// Objects resolves a pushed request object; a pushed "request" is
	// refused when it is nil.
	Objects *RequestObjects
	Config  func() *config.Config
	Now     func() time.Time
	// DPoP checks a DPoP proof sent with the push (par_dpop.go); nil when
	// DPoP is disabled. DPoPURL is this endpoint's public URL.
	DPoP    *oauth2.DPoPVerifier
	DPoPURL string
}

// clientCredentialParams are read by client authentication and never
// stored with the request.
var clientCredentialParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// Handle serves POST /oauth2/par; mount it with httpx.Renderer.OAuth.
func (p *PAR) Handle(w http.ResponseWriter, r *http.Request) error {
	form, err := httpx.ParseForm(r, httpx.MaxFormBody, oauth2.ParamResource)
	if err != nil {
		return err
	}
	c, err := p.Auth.Authenticate(r.Context(), r, form)
	if err != nil {
		return err
	}
	jkt, err := p.proofKey(r.Context(), r)
	if err != nil {
		return err
	}
	resp, err := p.Push(r.Context(), form, c, p.Config(), jkt)
	if err != nil {
		return err
	}
	p.dpopNonce(w)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, resp)
	return nil
}

// Push validates the request form of the authenticated client c and
// stores it. proofJKT is the thumbprint of the key of a DPoP proof sent
// with the push, or "" (par_dpop.go).
func (p *PAR) Push(ctx context.Context, form url.Values, c *client.Client, cfg *config.Config, proofJKT string) (*PushedResponse, error) {
	if form.Has(paramRequestURI) {
		return nil, oauth2.InvalidRequest("The request_uri parameter must not be pushed (RFC 9126 section 2.1).")
	}
	if id := form.Get("client_id"); id != "" && id != c.ID {
		return nil, oauth2.InvalidRequest("The client_id differs from the authenticated client.")
	}
	params := url.Values{}
	for k, vs := range form {
		params[k] = vs
	}
	for _, k := range clientCredentialParams {
		params.Del(k)
	}
	params.Set("client_id", c.ID)
	if params.Has(paramRequest) {
		if p.Objects == nil {
			return nil, httpx.NewError(http.StatusBadRequest, "request_not_supported", "Request objects are not supported.")
		}
		// RFC 9126 section 3: with a request object, the authorization
		// parameters are the object's claims; the form holds only client
		// authentication besides it, and anything else there is ignored.
		only := url.Values{"client_id": {c.ID}, paramRequest: {params.Get(paramRequest)}}
		resolved, herr := p.Objects.Resolve(ctx, only, c, cfg.IssuerURL(), cfg.Dev)
		if herr != nil {
			return nil, herr
		}
		params = resolved
	}
	if err := bindProofKey(params, proofJKT); err != nil {
		return nil, err
	}
	req, err := ParseRequest(params)
	if err != nil {
		return nil, asAuthorizeError(err)
	}
	if _, aerr := req.Validate(c, requestOptions(cfg)); aerr != nil {
		return nil, aerr.Err
	}
	return p.store(ctx, c.ID, params, pushedTTL(cfg))
}

// store saves params under a new reference.
func (p *PAR) store(ctx context.Context, clientID string, params url.Values, ttl time.Duration) (*PushedResponse, error) {
	ref, err := p.Format.New()
	if err != nil {
		return nil, oauth2.ServerError(err)
	}
	err = p.Store.CreatePushedRequest(ctx, token.Digest(ref), clientID, params.Encode(), p.Now().Add(ttl))
	if err != nil {
		return nil, oauth2.ServerError(fmt.Errorf("storing a pushed request: %w", err))
	}
	return &PushedResponse{RequestURI: pushedURIPrefix + ref, ExpiresIn: int64(ttl / time.Second)}, nil
}

// pushedTTL is oauth2.pushed_authorization_requests.ttl or its default.
func pushedTTL(cfg *config.Config) time.Duration {
	if ttl := cfg.OAuth2.PushedAuthorizationRequests.TTL; ttl > 0 {
		return ttl
	}
	return defaultPushedRequestTTL
}

// requiresPAR reports whether c must push its authorization requests.
func requiresPAR(cfg *config.Config, c *client.Client) bool {
	return cfg.OAuth2.PushedAuthorizationRequests.Required || c.RequirePushedAuthorizationRequests
}

// isPushedURI reports whether a request_uri is a PAR reference rather
// than a URL to fetch.
func isPushedURI(uri string) bool { return strings.HasPrefix(uri, pushedURIPrefix) }

// consumePushed redeems a pushed request_uri for the client clientID and
// returns the pushed parameters. Its errors are for the error page.
func (a *Endpoint) consumePushed(ctx context.Context, uri, clientID string) (url.Values, error) {
	if a.Pushed == nil {
		// PAR is switched off (oauth2.pushed_authorization_requests.enabled).
		// Without request objects no request_uri is supported at all (OIDC
		// Core 3.1.2.6); with them, this one is simply not a usable
		// reference (RFC 9101 section 6.3).
		if a.Objects == nil {
			return nil, httpx.NewError(http.StatusBadRequest, "request_uri_not_supported",
				"The request_uri parameter is not supported.").WithHint("Pushed authorization requests are not enabled.")
		}
		return nil, InvalidRequestURI("Pushed authorization requests are not enabled.")
	}
	digest, err := a.PushedFormat.Check(strings.TrimPrefix(uri, pushedURIPrefix))
	if err != nil {
		return nil, InvalidRequestURI("The request_uri was not issued by this server.")
	}
	raw, err := a.Pushed.ConsumePushedRequest(ctx, digest, clientID, a.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, InvalidRequestURI("The request_uri is unknown, was used already, has expired, or was pushed by another client.")
	}
	if err != nil {
		return nil, fmt.Errorf("consuming a pushed request: %w", err)
	}
	q, err := httpx.ParseStrictValues(raw, oauth2.ParamResource)
	if err != nil {
		return nil, fmt.Errorf("decoding a pushed request: %w", err)
	}
	return q, nil
}

// asAuthorizeError unwraps ParseRequest's *Error for a JSON response.
func asAuthorizeError(err error) error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err
}
