package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// RFC 9701 for `signet introspect token --jwt`: the CLI asks for
// "Accept: application/token-introspection+jwt", verifies the JWT with the
// server's public keys (the access-token set, which signs it) and prints
// the RFC 7662 object it carries. On the admin port the keys come from
// GET /admin/keys/hydra.jwt.access-token; on the public port (--public,
// authenticated as a client) from /.well-known/jwks.json. A JWT that does
// not verify, or has another "typ", is an error: the point of asking for
// a JWT is the signature.

const (
	mediaIntrospectionJWT = "application/token-introspection+jwt"
	typIntrospectionJWT   = "token-introspection+jwt"
	accessTokenKeySet     = "hydra.jwt.access-token"
)

// introspectionJWTAlgs are the algorithms Signet's keys sign with; "none"
// and HMAC are refused before any key is tried.
var introspectionJWTAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// introspectionOptions say where and how to introspect.
type introspectionOptions struct {
	scope  []string
	jwt    bool
	client *basicAuth // set for the public endpoint
}

func (o introspectionOptions) path() string {
	if o.client != nil {
		return "/oauth2/introspect"
	}
	return "/admin/oauth2/introspect"
}

func (o introspectionOptions) form(token string) url.Values {
	form := url.Values{"token": {token}}
	if len(o.scope) > 0 {
		form.Set("scope", strings.Join(o.scope, " "))
	}
	return form
}

// introspectWith runs the introspection o describes and returns the RFC
// 7662 object (verified out of the JWT when o.jwt).
func (c *apiClient) introspectWith(ctx context.Context, token string, o introspectionOptions) (json.RawMessage, error) {
	if !o.jwt {
		var raw json.RawMessage
		_, err := c.do(ctx, call{method: http.MethodPost, path: o.path(), form: o.form(token), basic: o.client, out: &raw})
		return raw, err
	}
	signed, err := c.introspectionJWT(ctx, token, o)
	if err != nil {
		return nil, err
	}
	keys, err := c.accessTokenKeys(ctx, o.client != nil)
	if err != nil {
		return nil, err
	}
	return verifyIntrospectionJWT(signed, keys)
}

// introspectionJWT posts the request with the RFC 9701 Accept header and
// returns the compact JWS.
func (c *apiClient) introspectionJWT(ctx context.Context, token string, o introspectionOptions) (string, error) {
	req, err := c.newRequest(ctx, call{method: http.MethodPost, path: o.path(), form: o.form(token), basic: o.client})
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", mediaIntrospectionJWT)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("calling %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", readServerError(resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, mediaIntrospectionJWT) {
		return "", fmt.Errorf("the server answered %q, not a JWT introspection response (RFC 9701)", ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes+1))
	if err != nil || len(body) > maxErrorBytes {
		return "", errors.New("the JWT introspection response could not be read or is too large")
	}
	return strings.TrimSpace(string(body)), nil
}

// accessTokenKeys fetches the public keys that sign introspection JWTs.
func (c *apiClient) accessTokenKeys(ctx context.Context, public bool) (jose.JSONWebKeySet, error) {
	path := "/admin/keys/" + url.PathEscape(accessTokenKeySet)
	if public {
		path = "/.well-known/jwks.json"
	}
	var set jose.JSONWebKeySet
	_, err := c.do(ctx, call{method: http.MethodGet, path: path, out: &set})
	return set, err
}

// verifyIntrospectionJWT checks the JWS against keys and returns the
// token_introspection member of its claims.
func verifyIntrospectionJWT(raw string, keys jose.JSONWebKeySet) (json.RawMessage, error) {
	jws, err := jose.ParseSigned(raw, introspectionJWTAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errors.New("the introspection response is not a JWS signed with a supported algorithm")
	}
	hdr := jws.Signatures[0].Header
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != typIntrospectionJWT {
		return nil, fmt.Errorf("the introspection JWT has typ %q, want %q", typ, typIntrospectionJWT)
	}
	candidates := keys.Keys
	if hdr.KeyID != "" {
		candidates = keys.Key(hdr.KeyID)
	}
	for _, k := range candidates {
		payload, err := jws.Verify(k.Public())
		if err != nil {
			continue
		}
		var claims struct {
			Response json.RawMessage `json:"token_introspection"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil || len(claims.Response) == 0 {
			return nil, errors.New("the introspection JWT has no token_introspection claim")
		}
		return claims.Response, nil
	}
	return nil, fmt.Errorf("the introspection JWT's signature does not verify with the server's %s keys", accessTokenKeySet)
}
