package oauth2

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// Client authentication at the token, revocation (and later PAR/device)
// endpoints: RFC 6749 section 2.3.1 (client_secret_basic and
// client_secret_post) and public clients identified by client_id alone
// (token_endpoint_auth_method "none"; the grant or endpoint decides whether
// public clients are allowed).
//
// Not supported yet: client_secret_jwt and private_key_jwt (RFC 7523
// section 2.2); a client_assertion is refused as invalid_client.

// Token endpoint authentication methods (the client's
// token_endpoint_auth_method).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// Bounds on presented credentials: checked before any storage access or
// hashing, so oversized input costs nothing.
const (
	MaxClientIDLen     = 255
	MaxClientSecretLen = 1024
	maxBasicHeaderLen  = 4 * (MaxClientIDLen*3 + MaxClientSecretLen*3 + 1 + 2) / 3
)

// basicChallenge is sent with every 401 that follows an HTTP Basic attempt
// (RFC 6749 section 5.2).
const basicChallenge = `Basic realm="signet"`

// authFailed is the one hint for every credential failure, so a caller
// cannot tell an unknown client from a wrong secret, an expired secret or
// a different registered method. The precise cause goes to the debug log.
const authFailed = "The client does not exist, its credentials are wrong or expired, or it is registered for another authentication method."

// ClientAuth authenticates the client of a request.
type ClientAuth struct {
	Clients client.Store
	Hasher  secret.Hasher
	// Cache remembers successful verifications; nil disables it.
	Cache *SecretCache
	// Now decides whether a secret has expired.
	Now func() time.Time
}

// credentials are what the request presented, before any lookup.
type credentials struct {
	id, secret, method string
}

// Authenticate returns the authenticated client or an invalid_request /
// invalid_client error. It makes exactly one client read, and hashes the
// secret only on a cache miss.
func (a *ClientAuth) Authenticate(ctx context.Context, r *http.Request, form url.Values) (*client.Client, error) {
	cred, err := parseCredentials(r, form)
	if err != nil {
		return nil, err
	}
	c, err := a.check(ctx, cred)
	if err != nil {
		var he *httpx.Error
		if cred.method == AuthMethodBasic && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			he.WithHeader("WWW-Authenticate", basicChallenge)
		}
		return nil, err
	}
	return c, nil
}

// parseCredentials finds the one authentication method the request used.
func parseCredentials(r *http.Request, form url.Values) (credentials, error) {
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return credentials{}, InvalidClient("JWT client assertions (private_key_jwt, client_secret_jwt) are not supported.")
	}
	if authz := r.Header.Get("Authorization"); authz != "" {
		if scheme, payload, _ := strings.Cut(authz, " "); strings.EqualFold(scheme, "Basic") {
			return parseBasic(payload, form)
		}
	}
	id := form.Get("client_id")
	if id == "" {
		return credentials{}, InvalidClient("No client authentication was included: use HTTP Basic, or client_id and client_secret in the body.")
	}
	if sec := form.Get("client_secret"); sec != "" {
		return credentials{id: id, secret: sec, method: AuthMethodPost}, nil
	}
	return credentials{id: id, method: AuthMethodNone}, nil
}

// parseBasic decodes RFC 6749 section 2.3.1 Basic credentials: the client
// id and secret are each application/x-www-form-urlencoded before being
// joined with ":" and base64-encoded, so both are URL-decoded here (an id
// containing ":" arrives as "%3A").
func parseBasic(payload string, form url.Values) (credentials, error) {
	// RFC 6749 section 2.3: "The client MUST NOT use more than one
	// authentication method in each request."
	if form.Has("client_secret") {
		return credentials{}, InvalidRequest("The client used more than one authentication method (HTTP Basic and client_secret in the body).")
	}
	payload = strings.TrimSpace(payload)
	if len(payload) > maxBasicHeaderLen {
		return credentials{}, InvalidRequest("The Authorization header is too long.")
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return credentials{}, InvalidRequest("The Authorization header is not valid base64.")
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return credentials{}, InvalidRequest("The Authorization header must hold client_id:client_secret.")
	}
	id, err1 := url.QueryUnescape(encID)
	sec, err2 := url.QueryUnescape(encSecret)
	if err1 != nil || err2 != nil {
		return credentials{}, InvalidRequest("The client credentials in the Authorization header are not correctly form-urlencoded.")
	}
	if id == "" {
		return credentials{}, InvalidRequest("The Authorization header holds an empty client_id.")
	}
	if fid := form.Get("client_id"); fid != "" && fid != id {
		return credentials{}, InvalidRequest("The client_id in the body differs from the one in the Authorization header.")
	}
	return credentials{id: id, secret: sec, method: AuthMethodBasic}, nil
}

// check looks the client up and verifies the presented credentials.
func (a *ClientAuth) check(ctx context.Context, cred credentials) (*client.Client, error) {
	if len(cred.id) > MaxClientIDLen || len(cred.secret) > MaxClientSecretLen {
		return nil, InvalidClient(authFailed).Because(errors.New("credentials exceed the length bounds"))
	}
	c, err := a.Clients.GetClient(ctx, cred.id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, InvalidClient(authFailed).Because(errors.New("unknown client"))
	}
	if err != nil {
		return nil, ServerError(fmt.Errorf("load client: %w", err))
	}
	registered := registeredMethod(c)
	if registered != cred.method {
		return nil, InvalidClient(authFailed).Because(fmt.Errorf("client is registered for %q, request used %q", registered, cred.method))
	}
	if cred.method == AuthMethodNone {
		return c, nil
	}
	if c.SecretExpiresAt != 0 && a.Now().Unix() >= c.SecretExpiresAt {
		return nil, InvalidClient(authFailed).Because(errors.New("client secret expired"))
	}
	if err := a.verifySecret(c.SecretHash, cred.secret); err != nil {
		return nil, InvalidClient(authFailed).Because(err)
	}
	return c, nil
}

// verifySecret consults the cache, then the slow hash; only a success is
// remembered.
func (a *ClientAuth) verifySecret(hash, presented string) error {
	if hash == "" || presented == "" {
		return errors.New("client has no secret or none was presented")
	}
	if a.Cache.Verified(hash, presented) {
		return nil
	}
	if err := a.Hasher.Verify(hash, presented); err != nil {
		return err
	}
	a.Cache.Remember(hash, presented)
	return nil
}

// registeredMethod is the client's token_endpoint_auth_method, defaulting
// to client_secret_basic as Hydra and RFC 7591 section 2 do.
func registeredMethod(c *client.Client) string {
	if c.TokenEndpointAuthMethod == "" {
		return AuthMethodBasic
	}
	return c.TokenEndpointAuthMethod
}

// IsPublic reports whether the client authenticates by id only.
func IsPublic(c *client.Client) bool { return registeredMethod(c) == AuthMethodNone }
