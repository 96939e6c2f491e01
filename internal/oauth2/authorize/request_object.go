package authorize

// Request objects: RFC 9101 (JWT-Secured Authorization Request) and OpenID
// Connect Core 1.0 section 6. The authorization request's parameters come
// signed in a JWT, by value ("request") or by reference ("request_uri").
//
// What is checked, in order; every failure is invalid_request_object
// (invalid_request_uri when the reference itself is the problem):
//   - "request" and "request_uri" are not both sent (RFC 9101 section 5);
//   - a request_uri is one of the client's registered request_uris, exactly
//     (OIDC Core 6.2 lets the server require registration; Signet always
//     does, so require_request_uri_registration is true); it is https
//     outside --dev, fetched through the outbound client that honours
//     clients.http.disallow_private_ip_ranges, with a timeout and a size
//     bound, no redirects, and one error for every failure;
//   - the object is signed with request_object_signing_alg when the client
//     registered one, otherwise with any asymmetric algorithm; "none" is
//     accepted only from a client that registered "none" (and then nothing
//     else is); HMAC is never accepted (a public key is never an HMAC
//     secret, and Signet keeps no client secret for request objects);
//   - the keys are the client's jwks or jwks_uri (cached; an unknown kid
//     refetches once, see assertion.Fetcher);
//   - iss, when present, is the client_id; aud, when present, contains the
//     issuer identifier; exp, when present, has not passed and lies at most
//     maxRequestObjectLifetime ahead; nbf and iat are not in the future
//     (RFC 9101 section 6.3 and 10.2 leave these to the server; FAPI 2.0
//     requires exp and aud, which a client sends anyway);
//   - client_id inside the object equals the query's (RFC 9101 section 5:
//     client_id is required outside the object, and section 6.3 requires
//     the two to match);
//   - "request" and "request_uri" must not appear inside the object.
//
// Which parameters are used (RFC 9101 section 6.3 vs OIDC Core 6.1): for an
// OpenID Connect request (the query's scope contains openid) parameters
// outside the object are kept and those inside win, as OIDC Core says,
// so a pre-signed object can travel with a fresh state and nonce. For a
// plain OAuth request only the object's parameters are used, plus the
// query's client_id, as RFC 9101 says.
//
// Not supported: encrypted request objects (JWE), the "claims" parameter
// inside the object (ignored like every unknown parameter), HMAC-signed
// objects.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// Parameter names of RFC 9101.
const (
	paramRequest    = "request"
	paramRequestURI = "request_uri"
)

// Bounds on request objects fetched by reference.
const (
	// RequestURITimeout bounds one request_uri fetch end to end; it is
	// the Timeout of RequestObjects.HTTP.
	RequestURITimeout = 5 * time.Second
	// maxRequestObjectLen bounds a request object, by value or fetched.
	// It is the JWT parser's bound; a request object by value is bounded
	// tighter still by httpx.MaxParamLen.
	maxRequestObjectLen = assertion.MaxLength
	// maxRequestObjectLifetime bounds exp: a signed request is made for
	// one authorization, and one hour is generous for a pre-signed one.
	maxRequestObjectLifetime = time.Hour
	// maxObjectParams bounds the members of one object.
	maxObjectParams = 100
)

// KeyFetcher returns the keys at a client's jwks_uri.
type KeyFetcher = assertion.KeyFetcher

// RequestObjects resolves request objects. HTTP fetches request_uri values;
// in production it is httpx.NewOutboundClient with RequestURITimeout, so
// a fetch is bounded in time and private addresses are refused when
// clients.http.disallow_private_ip_ranges is set.
type RequestObjects struct {
	JWKS KeyFetcher
	HTTP *http.Client
	Now  func() time.Time
}

// RequestObjectSigningAlgs lists the algorithms request objects may be
// signed with, for discovery's request_object_signing_alg_values_supported:
// every asymmetric algorithm, and "none" for clients that register it.
func RequestObjectSigningAlgs() []string {
	var out []string
	for _, a := range assertion.AsymmetricAlgorithms() {
		out = append(out, string(a))
	}
	return append(out, "none")
}

// InvalidRequestObject is RFC 9101 section 6.3's invalid_request_object.
func InvalidRequestObject(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_request_object",
		"The request parameter contains an invalid Request Object.").WithHint(hint, args...)
}

// InvalidRequestURI is RFC 9101 section 6.3's invalid_request_uri.
func InvalidRequestURI(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_request_uri",
		"The request_uri in the Authorization Request returns an error or contains invalid data.").WithHint(hint, args...)
}

// hasRequestObject reports whether q carries a request object, by value or
// by a reference that is not a pushed request's.
func hasRequestObject(q url.Values) bool {
	return q.Has(paramRequest) || (q.Has(paramRequestURI) && !isPushedURI(q.Get(paramRequestURI)))
}

// Resolve returns the authorization request parameters q stands for: q
// itself merged with, or replaced by, the request object's parameters (see
// the file comment). issuer is the audience the object may name; allowHTTP
// permits http request_uri values (--dev).
func (o *RequestObjects) Resolve(ctx context.Context, q url.Values, c *client.Client, issuer string, allowHTTP bool) (url.Values, *httpx.Error) {
	if q.Has(paramRequest) && q.Has(paramRequestURI) {
		return nil, oauth2.InvalidRequest("Send either request or request_uri, not both.")
	}
	raw := q.Get(paramRequest)
	if q.Has(paramRequestURI) {
		var err *httpx.Error
		if raw, err = o.fetch(ctx, q.Get(paramRequestURI), c, allowHTTP); err != nil {
			return nil, err
		}
	}
	claims, err := o.verify(ctx, raw, c)
	if err != nil {
		return nil, err
	}
	if err := checkObjectClaims(claims, c.ID, issuer, o.Now()); err != nil {
		return nil, err
	}
	params, err := objectParams(claims.Payload, c.ID)
	if err != nil {
		return nil, err
	}
	return mergeParams(q, params), nil
}

// fetch reads the object at uri, which must be registered by c.
func (o *RequestObjects) fetch(ctx context.Context, uri string, c *client.Client, allowHTTP bool) (string, *httpx.Error) {
	if !slices.Contains(c.RequestURIs, uri) {
		return "", InvalidRequestURI("The request_uri is not one of the client's registered request_uris.")
	}
	if u, err := url.Parse(uri); err != nil || (u.Scheme != "https" && !(allowHTTP && u.Scheme == "http")) {
		return "", InvalidRequestURI("The request_uri must use https.")
	}
	// One message for every failure, so that a registered request_uri
	// pointing inside our network cannot be used to map it.
	failed := func(cause error) *httpx.Error {
		return InvalidRequestURI("The request object could not be fetched from the request_uri.").Because(cause)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return "", failed(err)
	}
	req.Header.Set("Accept", "application/oauth-authz-req+jwt, application/jwt")
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return "", failed(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", failed(fmt.Errorf("status %d", resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestObjectLen+1))
	if err != nil {
		return "", failed(err)
	}
	if len(body) > maxRequestObjectLen {
		return "", InvalidRequestURI("The request object at the request_uri is larger than %d bytes.", maxRequestObjectLen)
	}
	return strings.TrimSpace(string(body)), nil
}

// verify checks raw's signature per c's registration and returns its
// claims (authentic, but not yet checked).
func (o *RequestObjects) verify(ctx context.Context, raw string, c *client.Client) (*assertion.Claims, *httpx.Error) {
	if raw == "" {
		return nil, InvalidRequestObject("The request object is empty.")
	}
	if c.RequestObjectSigningAlg == "none" {
		claims, err := assertion.ParseUnsecured(raw)
		if err != nil {
			return nil, InvalidRequestObject("The client registered request_object_signing_alg none: %s", assertion.Message(err)).Because(err)
		}
		return claims, nil
	}
	algs := assertion.AsymmetricAlgorithms()
	if reg := c.RequestObjectSigningAlg; reg != "" {
		algs = slices.DeleteFunc(algs, func(a jose.SignatureAlgorithm) bool { return string(a) != reg })
	}
	tok, err := assertion.Parse(raw, algs)
	if err != nil {
		return nil, InvalidRequestObject("%s", assertion.Message(err)).Because(err)
	}
	keys, herr := o.clientKeys(ctx, c, tok.KeyID())
	if herr != nil {
		return nil, herr
	}
	claims, err := tok.VerifySignature(keys)
	if err != nil {
		return nil, InvalidRequestObject("The request object's signature does not verify with the client's keys.").Because(err)
	}
	return claims, nil
}

// clientKeys are c's registered jwks, or those at its jwks_uri.
func (o *RequestObjects) clientKeys(ctx context.Context, c *client.Client, kid string) (assertion.Keys, *httpx.Error) {
	keys, err := assertion.ClientKeys(ctx, o.JWKS, c.JWKS, c.JWKSURI, kid)
	switch {
	case errors.Is(err, assertion.ErrNoClientKeys):
		return assertion.Keys{}, InvalidRequestObject("The client has registered no jwks or jwks_uri to verify request objects with.")
	case err != nil:
		return assertion.Keys{}, InvalidRequestObject("The client's keys could not be read.").Because(err)
	}
	return keys, nil
}

// checkObjectClaims applies the claim rules of the file comment.
func checkObjectClaims(c *assertion.Claims, clientID, issuer string, now time.Time) *httpx.Error {
	leeway := assertion.Leeway
	switch {
	case c.Issuer != "" && c.Issuer != clientID:
		return InvalidRequestObject("The request object's iss claim must be the client_id.")
	case len(c.Audience) > 0 && !audienceNames(c.Audience, issuer):
		return InvalidRequestObject("The request object's aud claim must contain the issuer identifier %q.", issuer)
	case !c.Expiry.IsZero() && !now.Before(c.Expiry.Add(leeway)):
		return InvalidRequestObject("The request object has expired.")
	case !c.Expiry.IsZero() && c.Expiry.After(now.Add(maxRequestObjectLifetime+leeway)):
		return InvalidRequestObject("The request object's exp claim is more than %s ahead.", maxRequestObjectLifetime)
	case !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore):
		return InvalidRequestObject("The request object is not valid yet (nbf).")
	case !c.IssuedAt.IsZero() && now.Add(leeway).Before(c.IssuedAt):
		return InvalidRequestObject("The request object's iat claim is in the future.")
	}
	return nil
}

// audienceNames reports whether aud names the issuer; the identifier is
// compared with and without a trailing slash, which clients disagree on.
func audienceNames(aud []string, issuer string) bool {
	want := strings.TrimRight(issuer, "/")
	for _, a := range aud {
		if strings.TrimRight(a, "/") == want {
			return true
		}
	}
	return false
}

// registeredClaims are JWT claims, not authorization parameters.
var registeredClaims = map[string]bool{"iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "sub": true}

// entryParams are the parameters that pick the endpoint's entry; an object
// never carries them.
var entryParams = map[string]bool{paramLoginVerifier: true, paramConsentVerifier: true}

// objectParams turns the object's members into parameters: strings as
// they are, integers (max_age) in decimal, arrays of strings for resource
// (RFC 8707). Other JSON types are refused
// for the parameters this endpoint reads and ignored otherwise (RFC 6749
// section 3.1: unknown parameters are ignored; "claims" is an object).
func objectParams(payload []byte, clientID string) (url.Values, *httpx.Error) {
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&members); err != nil {
		return nil, InvalidRequestObject("The request object's payload is not a JSON object.")
	}
	if len(members) > maxObjectParams {
		return nil, InvalidRequestObject("The request object has more than %d members.", maxObjectParams)
	}
	out := url.Values{}
	for k, raw := range members {
		switch {
		case k == paramRequest || k == paramRequestURI:
			return nil, InvalidRequestObject("A request object must not contain %s (RFC 9101 section 4).", k)
		case registeredClaims[k] || entryParams[k]:
			continue
		}
		vs, err := paramValues(k, raw)
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			out[k] = vs
		}
	}
	if id := out.Get("client_id"); id != "" && id != clientID {
		return nil, InvalidRequestObject("The client_id inside the request object differs from the client_id of the request.")
	}
	out.Set("client_id", clientID)
	return out, nil
}

// readParams are the parameters ParseRequest reads; their values must have
// the right JSON type inside an object.
var readParams = map[string]bool{"client_id": true, "redirect_uri": true, "response_type": true, "response_mode": true,
	"scope": true, "state": true, "nonce": true, "code_challenge": true, "code_challenge_method": true, "prompt": true,
	"max_age": true, "id_token_hint": true, "login_hint": true, "acr_values": true, "ui_locales": true, "display": true,
	"audience": true, "resource": true, "dpop_jkt": true}

// paramValues converts one member; none for a member to ignore. RFC 8707's
// resource may be an array of strings, as it may repeat in a query.
func paramValues(name string, raw json.RawMessage) ([]string, *httpx.Error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if len(s) > httpx.MaxParamLen {
			return nil, InvalidRequestObject("The request object's %s is longer than %d bytes.", httpx.Clip(name, 32), httpx.MaxParamLen)
		}
		return []string{s}, nil
	}
	var list []string
	if name == oauth2.ParamResource && json.Unmarshal(raw, &list) == nil {
		if len(list) == 0 || len(list) > httpx.MaxRepeats {
			return nil, InvalidRequestObject("The request object's resource must hold 1 to %d URIs.", httpx.MaxRepeats)
		}
		for _, v := range list {
			if len(v) > httpx.MaxParamLen {
				return nil, InvalidRequestObject("A resource in the request object is longer than %d bytes.", httpx.MaxParamLen)
			}
		}
		return list, nil
	}
	var n json.Number
	if name == "max_age" && json.Unmarshal(raw, &n) == nil {
		if _, err := n.Int64(); err == nil {
			return []string{n.String()}, nil
		}
	}
	if readParams[name] {
		return nil, InvalidRequestObject("The request object's %s must be a string.", name)
	}
	return nil, nil
}

// mergeParams applies the rule of the file comment: OIDC requests keep the
// query's parameters under the object's; plain OAuth requests use only the
// object's. request and request_uri never survive.
func mergeParams(q, object url.Values) url.Values {
	out := url.Values{}
	if slices.Contains(oauth2.SplitScope(q.Get("scope")), "openid") {
		for k, vs := range q {
			if k != paramRequest && k != paramRequestURI {
				out[k] = slices.Clone(vs)
			}
		}
	}
	for k, vs := range object {
		out[k] = vs
	}
	return out
}
