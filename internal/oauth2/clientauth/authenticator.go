package clientauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// Client authentication at the token, revocation (and later PAR/device)
// endpoints: RFC 6749 section 2.3.1 (client_secret_basic and
// client_secret_post), public clients identified by client_id alone
// (token_endpoint_auth_method "none"; the grant or endpoint decides whether
// public clients are allowed), and JWT assertions (private_key_jwt,
// client_secret_jwt; RFC 7523 section 2.2, in assertion.go).
//
// Rotated secrets: after POST /admin/clients/{id}/secrets/rotate the
// earlier secrets (c.Credentials.Rotated) keep authenticating until they
// are removed. The current secret is tried first, then at most
// maxRotatedSecrets rotated ones, all under one verification slot. A wrong
// secret therefore costs one slow hash per stored secret: bounded, and
// only while a rotation is in progress; an unknown client still costs
// exactly one (the dummy hash).

// Token endpoint authentication methods (the client's
// token_endpoint_auth_method).
const (
	MethodBasic = "client_secret_basic"
	MethodPost  = "client_secret_post"
	MethodNone  = "none"
	// methodAssertion marks credentials that are a client_assertion,
	// before the client's registered JWT method is known.
	methodAssertion = "client_assertion"
)

// Bounds on presented credentials: checked before any storage access or
// hashing, so oversized input costs nothing. The client_id bound is
// oauth2.MaxClientIDLen, shared with the admin token endpoint.
const (
	MaxSecretLen      = 1024
	maxBasicHeaderLen = 4 * (oauth2.MaxClientIDLen*3 + MaxSecretLen*3 + 1 + 2) / 3
)

// basicChallenge is sent with every 401 that follows an HTTP Basic attempt
// (RFC 6749 section 5.2).
const basicChallenge = `Basic realm="signet"`

// authFailed is the one hint for every credential failure, so a caller
// cannot tell an unknown client from a wrong secret, an expired secret or
// a different registered method. The precise cause goes to the debug log.
const authFailed = "The client does not exist, its credentials are wrong or expired, or it is registered for another authentication method."

// SecretHasher is what client authentication needs from secret.Hasher;
// declared here so tests can substitute a slow or blocking hasher.
type SecretHasher interface {
	Hash(secret string) (string, error)
	Verify(hash, secret string) error
}

var _ SecretHasher = secret.Hasher{}

// Deps are the inputs of New.
type Deps struct {
	Clients client.Store
	// Hasher verifies secrets; it also makes the dummy hash, so refusals
	// cost what verifying a secret of a newly registered client costs.
	Hasher SecretHasher
	// Cache remembers successful verifications; nil disables it.
	Cache *SecretCache
	// Now decides whether a secret has expired.
	Now func() time.Time
	// MaxConcurrentHashes bounds slow verifications running at once;
	// 0 means max(1, GOMAXPROCS/2), leaving half the CPUs to other work.
	MaxConcurrentHashes int
	// HashWait bounds the wait for a verification slot before answering
	// 503; 0 means DefaultHashWait.
	HashWait time.Duration
	// Assertions verifies private_key_jwt and client_secret_jwt; nil
	// refuses every client_assertion (unit tests of other parts).
	Assertions *Assertions
}

// DefaultHashWait is how long a request may queue for a verification slot.
const DefaultHashWait = 2 * time.Second

// dummySecret is hashed once at construction. Its value needs no secrecy:
// a request verified against the dummy hash is refused whatever the result.
const dummySecret = "signet: no such client"

// Authenticator authenticates the client of a request; it implements
// oauth2.ClientAuthenticator for the token and revocation endpoints. Make
// it with New.
type Authenticator struct {
	clients client.Store
	hasher  SecretHasher
	cache   *SecretCache
	now     func() time.Time
	gate    hashGate
	// assertions is nil when JWT client authentication is off.
	assertions *Assertions
	// dummyHash stands in for the stored hash on every refusal of a
	// secret-bearing request, so an unknown client, a wrong method or an
	// expired secret take as long as a wrong secret and do not reveal which
	// client ids exist.
	dummyHash string
}

// New checks deps and hashes the dummy secret once.
func New(d Deps) (*Authenticator, error) {
	if d.Clients == nil || d.Hasher == nil || d.Now == nil {
		return nil, errors.New("clientauth: client auth needs Clients, Hasher and Now")
	}
	if d.MaxConcurrentHashes < 0 || d.HashWait < 0 {
		return nil, errors.New("clientauth: MaxConcurrentHashes and HashWait must not be negative")
	}
	slots := d.MaxConcurrentHashes
	if slots == 0 {
		slots = max(1, runtime.GOMAXPROCS(0)/2)
	}
	wait := d.HashWait
	if wait == 0 {
		wait = DefaultHashWait
	}
	dummy, err := d.Hasher.Hash(dummySecret)
	if err != nil {
		return nil, fmt.Errorf("clientauth: hashing the dummy client secret: %w", err)
	}
	return &Authenticator{clients: d.Clients, hasher: d.Hasher, cache: d.Cache, now: d.Now,
		gate: newHashGate(slots, wait), dummyHash: dummy, assertions: d.Assertions}, nil
}

// credentials are what the request presented, before any lookup.
type credentials struct {
	id, secret, method string
	// assertion is the client_assertion (method methodAssertion).
	assertion string
	// endpoint is the path called, which an assertion may name as aud.
	endpoint string
}

// Authenticate returns the authenticated client or an invalid_request /
// invalid_client error, or temporarily_unavailable (503) when too many
// secret verifications are running. It makes at most one client read, and
// hashes the secret only on a cache miss.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, form url.Values) (*client.Client, error) {
	cred, err := parseCredentials(r, form)
	if err != nil {
		return nil, err
	}
	cred.endpoint = r.URL.Path
	c, err := a.check(ctx, cred)
	if err != nil {
		var he *httpx.Error
		if cred.method == MethodBasic && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			he.WithHeader("WWW-Authenticate", basicChallenge)
		}
		return nil, err
	}
	return c, nil
}

// parseCredentials finds the one authentication method the request used.
func parseCredentials(r *http.Request, form url.Values) (credentials, error) {
	scheme, payload, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	basic := strings.EqualFold(scheme, "Basic")
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return parseAssertion(form, basic)
	}
	if basic {
		return parseBasic(payload, form)
	}
	id := form.Get("client_id")
	if id == "" {
		return credentials{}, oauth2.InvalidClient("No client authentication was included: use HTTP Basic, or client_id and client_secret in the body.")
	}
	if sec := form.Get("client_secret"); sec != "" {
		return credentials{id: id, secret: sec, method: MethodPost}, nil
	}
	return credentials{id: id, method: MethodNone}, nil
}

// parseAssertion reads RFC 7523 section 2.2 credentials: the type must be
// the jwt-bearer URN and the assertion present, and no secret may come
// with them (RFC 6749 section 2.3: one method per request).
func parseAssertion(form url.Values, basic bool) (credentials, error) {
	switch typ := form.Get("client_assertion_type"); {
	case typ == "":
		return credentials{}, oauth2.InvalidRequest("A client_assertion needs client_assertion_type %s.", AssertionType)
	case typ != AssertionType:
		return credentials{}, oauth2.InvalidRequest("The client_assertion_type %q is not supported; use %s.", httpx.Clip(typ, 64), AssertionType)
	case form.Get("client_assertion") == "":
		return credentials{}, oauth2.InvalidRequest("The client_assertion is missing or empty.")
	case basic:
		return credentials{}, oauth2.InvalidRequest("The client used more than one authentication method (HTTP Basic and a client_assertion).")
	case form.Get("client_secret") != "":
		return credentials{}, oauth2.InvalidRequest("The client used more than one authentication method (client_secret and a client_assertion).")
	}
	return credentials{id: form.Get("client_id"), method: methodAssertion, assertion: form.Get("client_assertion")}, nil
}

// parseBasic decodes RFC 6749 section 2.3.1 Basic credentials: the client
// id and secret are each application/x-www-form-urlencoded before being
// joined with ":" and base64-encoded, so both are URL-decoded here (an id
// containing ":" arrives as "%3A").
func parseBasic(payload string, form url.Values) (credentials, error) {
	// RFC 6749 section 2.3: "The client MUST NOT use more than one
	// authentication method in each request."
	// An empty client_secret in the body is no second method: some client
	// libraries always send the field.
	if slices.ContainsFunc(form["client_secret"], func(v string) bool { return v != "" }) {
		return credentials{}, oauth2.InvalidRequest("The client used more than one authentication method (HTTP Basic and client_secret in the body).")
	}
	payload = strings.TrimSpace(payload)
	if len(payload) > maxBasicHeaderLen {
		return credentials{}, oauth2.InvalidRequest("The Authorization header is too long.")
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return credentials{}, oauth2.InvalidRequest("The Authorization header is not valid base64.")
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return credentials{}, oauth2.InvalidRequest("The Authorization header must hold client_id:client_secret.")
	}
	id, err1 := url.QueryUnescape(encID)
	sec, err2 := url.QueryUnescape(encSecret)
	if err1 != nil || err2 != nil {
		return credentials{}, oauth2.InvalidRequest("The client credentials in the Authorization header are not correctly form-urlencoded.")
	}
	if id == "" {
		return credentials{}, oauth2.InvalidRequest("The Authorization header holds an empty client_id.")
	}
	if fid := form.Get("client_id"); fid != "" && fid != id {
		return credentials{}, oauth2.InvalidRequest("The client_id in the body differs from the one in the Authorization header.")
	}
	return credentials{id: id, secret: sec, method: MethodBasic}, nil
}

// check looks the client up and verifies the presented credentials.
func (a *Authenticator) check(ctx context.Context, cred credentials) (*client.Client, error) {
	if err := checkPresented(cred); err != nil {
		return nil, err
	}
	if cred.method == methodAssertion {
		if a.assertions == nil {
			return nil, oauth2.InvalidClient("JWT client assertions (private_key_jwt, client_secret_jwt) are not enabled.")
		}
		// No slow hash: signature and HMAC checks cost microseconds, so
		// there is no dummy work to balance.
		return a.assertions.authenticate(ctx, a.clients, cred)
	}
	c, err := a.clients.GetClient(ctx, cred.id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, oauth2.ServerError(fmt.Errorf("load client: %w", err))
	}
	if cred.method == MethodNone {
		// No secret, no hash: unknown and confidential clients are refused
		// equally fast, so the timing tells nothing either.
		return checkPublic(c, err)
	}
	if refusal := a.refusal(c, err, cred.method); refusal != nil {
		return nil, a.refuseAfterDummy(ctx, cred.secret, refusal)
	}
	if err := a.verifySecret(ctx, storedHashes(c), cred.secret); err != nil {
		return nil, err
	}
	return c, nil
}

// checkPresented refuses, before any storage access or hashing, what could
// never authenticate: oversized input and an empty secret sent as a secret.
// It depends only on the request, so it reveals nothing about clients.
func checkPresented(cred credentials) error {
	if len(cred.id) > oauth2.MaxClientIDLen || len(cred.secret) > MaxSecretLen {
		return oauth2.InvalidClient(authFailed).Because(errors.New("credentials exceed the length bounds"))
	}
	if (cred.method == MethodBasic || cred.method == MethodPost) && cred.secret == "" {
		return oauth2.InvalidClient(authFailed).Because(errors.New("an empty client secret was presented"))
	}
	return nil
}

// checkPublic accepts a client registered for method none.
func checkPublic(c *client.Client, lookupErr error) (*client.Client, error) {
	if lookupErr != nil {
		return nil, oauth2.InvalidClient(authFailed).Because(errors.New("unknown client"))
	}
	if m := registeredMethod(c); m != MethodNone {
		return nil, oauth2.InvalidClient(authFailed).Because(fmt.Errorf("client is registered for %q, request used %q", m, MethodNone))
	}
	return c, nil
}

// refusal says why a secret-bearing request must fail before its secret is
// compared with the client's hash, or nil when the comparison decides.
func (a *Authenticator) refusal(c *client.Client, lookupErr error, method string) error {
	switch {
	case lookupErr != nil:
		return errors.New("unknown client")
	case registeredMethod(c) != method:
		return fmt.Errorf("client is registered for %q, request used %q", registeredMethod(c), method)
	case c.SecretHash == "":
		return errors.New("client has no secret")
	case c.SecretExpiresAt != 0 && a.now().Unix() >= c.SecretExpiresAt:
		return errors.New("client secret expired")
	}
	return nil
}

// refuseAfterDummy spends one slow verification on the dummy hash, through
// the same gate as real ones, then refuses with the usual error. The result
// is neither used nor cached: caching it would make repeated probes of an
// unknown id fast again.
func (a *Authenticator) refuseAfterDummy(ctx context.Context, presented string, reason error) error {
	if err := a.gate.acquire(ctx); err != nil {
		return err
	}
	_ = a.hasher.Verify(a.dummyHash, presented)
	a.gate.release()
	return oauth2.InvalidClient(authFailed).Because(reason)
}

// storedHashes are the hashes a presented secret may match: the current
// one first, then at most maxRotatedSecrets rotated ones, newest first.
func storedHashes(c *client.Client) []string {
	hashes := []string{c.SecretHash}
	for _, r := range c.Credentials.Rotated[:min(len(c.Credentials.Rotated), maxRotatedSecrets)] {
		if r.Hash != "" {
			hashes = append(hashes, r.Hash)
		}
	}
	return hashes
}

// verifySecret consults the cache for every hash, then verifies them in
// order with the slow hasher, under one gate slot; only a success is
// remembered, for the hash it matched. A cache hit never waits for the
// gate, so an attack that fills it does not slow down clients that
// authenticated before.
func (a *Authenticator) verifySecret(ctx context.Context, hashes []string, presented string) error {
	for _, h := range hashes {
		if a.cache.Verified(h, presented) {
			return nil
		}
	}
	if err := a.gate.acquire(ctx); err != nil {
		return err
	}
	defer a.gate.release()
	var err error
	for _, h := range hashes {
		if err = a.hasher.Verify(h, presented); err == nil {
			a.cache.Remember(h, presented)
			return nil
		}
	}
	return oauth2.InvalidClient(authFailed).Because(err)
}

// registeredMethod is the client's token_endpoint_auth_method, defaulting
// to client_secret_basic as Hydra and RFC 7591 section 2 do.
func registeredMethod(c *client.Client) string {
	if c.TokenEndpointAuthMethod == "" {
		return MethodBasic
	}
	return c.TokenEndpointAuthMethod
}
