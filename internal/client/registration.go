package client

// OpenID Connect Dynamic Client Registration 1.0 (section 3), RFC 7591
// (section 3) and the RFC 7592 management protocol (section 2):
//
//	POST   /oauth2/register        anonymous; 201 with client_secret (if any),
//	                               registration_access_token, registration_client_uri
//	GET    /oauth2/register/{id}   Bearer <registration_access_token>
//	PUT    /oauth2/register/{id}   Bearer …; full replacement; a new token
//	DELETE /oauth2/register/{id}   Bearer …; 204
//
// served on the public port when oidc.dynamic_client_registration.enabled
// is true, and answering 404 otherwise (as Hydra does; read per request, so
// a configuration reload takes effect at once). The metadata rules are the
// admin API's (Defaults, Validate, settleSecret) plus registration_policy.go.
//
// The registration access token is rotated on every update (RFC 7592
// section 2.2 allows it; Hydra does the same) and not on reads, which stay
// free of side effects. Not supported: initial access tokens (RFC 7591
// section 3, open registration only), software statements, and
// client_id_issued_at in responses (Hydra sends none either).

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// Registration serves dynamic client registration. Admin holds the store,
// hasher, keyring, clock and randomness, so both doors apply one rule set.
type Registration struct {
	Admin  *Admin
	Config func() *config.Config
}

// Routes registers the four endpoints. DELETE answers errors in the
// contract's genericError shape, the others in errorOAuth2.
func (g *Registration) Routes(mux httpx.Mux, oauth, generic func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("POST /oauth2/register", oauth(g.handleRegister))
	mux.Handle("GET /oauth2/register/{id}", oauth(g.handleRead))
	mux.Handle("PUT /oauth2/register/{id}", oauth(g.handleUpdate))
	mux.Handle("DELETE /oauth2/register/{id}", generic(g.handleDelete))
}

func (g *Registration) handleRegister(w http.ResponseWriter, r *http.Request) error {
	if err := g.enabled(); err != nil {
		return err
	}
	var c Client
	if err := httpx.DecodeJSON(r, &c, httpx.MaxFormBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := g.Register(r.Context(), &c)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusCreated, out)
	return nil
}

func (g *Registration) handleRead(w http.ResponseWriter, r *http.Request) error {
	out, err := g.Read(r.Context(), r.PathValue("id"), bearerToken(r))
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

func (g *Registration) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	// Authorise before reading the body: a stranger learns nothing from
	// how a body is refused.
	old, err := g.authorize(r.Context(), r.PathValue("id"), bearerToken(r))
	if err != nil {
		return err
	}
	var c Client
	if err := httpx.DecodeJSON(r, &c, httpx.MaxFormBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := g.Update(r.Context(), old.ID, bearerToken(r), &c)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

func (g *Registration) handleDelete(w http.ResponseWriter, r *http.Request) error {
	if err := g.Delete(r.Context(), r.PathValue("id"), bearerToken(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Register creates a client from a registration request. It returns the
// view with the new secret (if the auth method has one), the registration
// access token and the registration client URI: the only time the caller
// sees the secret and the token.
func (g *Registration) Register(ctx context.Context, c *Client) (*Client, error) {
	if err := g.enabled(); err != nil {
		return nil, err
	}
	if c.ID != "" {
		return nil, invalidMetadata("The field client_id is chosen by the server; leave it out of a registration request.")
	}
	if c.Secret != "" {
		return nil, invalidMetadata("The field client_secret is chosen by the server; leave it out of a registration request.")
	}
	if err := checkAdminOnly(c, nil); err != nil {
		return nil, err
	}
	dropServerOwned(c, nil)
	if err := g.Admin.prepareCreate(c); err != nil {
		return nil, err
	}
	c.RegistrationClientURI = g.clientURI(c.ID)
	token, digest, err := g.mintRegistrationToken()
	if err != nil {
		return nil, err
	}
	c.Credentials.RegistrationTokenDigest = digest
	if err := g.Admin.Store.CreateClient(ctx, stored(c)); err != nil {
		return nil, storeError(err, "registering client")
	}
	out := g.publicView(c)
	out.RegistrationAccessToken = token
	return out, nil
}

// Read returns client id to the holder of its registration access token.
func (g *Registration) Read(ctx context.Context, id, token string) (*Client, error) {
	c, err := g.authorize(ctx, id, token)
	if err != nil {
		return nil, err
	}
	return g.publicView(c), nil
}

// Update replaces the registration of client id with c for the holder of
// its registration access token, as RFC 7592 section 2.2 says: every field
// is replaced, and fields left out are reset to their defaults. It returns
// the view with a new registration access token; the one used for this
// request stops working. Of two concurrent updates with the same token one
// wins, and the other finds its token replaced: 401, as if it came second.
func (g *Registration) Update(ctx context.Context, id, token string, c *Client) (*Client, error) {
	if err := g.enabled(); err != nil {
		return nil, err
	}
	if len(id) > maxIDLen || token == "" {
		return nil, invalidToken(token != "")
	}
	if c.ID != "" && c.ID != id {
		return nil, invalidMetadata("The field client_id must be the client's own client_id.")
	}
	newToken, digest, err := g.mintRegistrationToken()
	if err != nil {
		return nil, err
	}
	out, err := updateStored(ctx, g.Admin.Store, g.Admin.Now, id, func(old *Client) (*Client, error) {
		if !tokenMatches(old, token) {
			return nil, invalidToken(true)
		}
		next := *c // changed below; a retry starts from the body again
		if err := g.replaceRegistration(old, &next); err != nil {
			return nil, err
		}
		next.Credentials.RegistrationTokenDigest = digest
		return &next, nil
	})
	if err != nil {
		return nil, g.storeError(err, "updating registered client")
	}
	view := g.publicView(out)
	view.RegistrationAccessToken = newToken
	return view, nil
}

// replaceRegistration readies c, the new registration of old, for storage.
func (g *Registration) replaceRegistration(old, c *Client) error {
	if c.Secret != "" {
		if g.Admin.Hasher.Verify(old.SecretHash, c.Secret) != nil {
			return invalidMetadata("The field client_secret is chosen by the server; send the current secret or leave it out.")
		}
		c.Secret = "" // the current secret: no change
	}
	if c.TokenEndpointAuthMethod == AuthClientSecretJWT && len(old.Credentials.SealedSecret) == 0 {
		// Switching to client_secret_jwt needs the plaintext, which only a
		// new secret gives; the admin API asks for one, but here the server
		// chooses secrets, so it issues one (RFC 7592 section 2.2 allows a
		// new client_secret in the response).
		minted, err := mintFor(AuthClientSecretJWT, g.Admin.Rand)
		if err != nil {
			return err
		}
		c.Secret = minted
	}
	if err := checkAdminOnly(c, old); err != nil {
		return err
	}
	dropServerOwned(c, old)
	return g.Admin.prepareReplace(old, c)
}

// Delete removes client id for the holder of its registration access
// token; the client's tokens go with it (Store.DeleteClient).
func (g *Registration) Delete(ctx context.Context, id, token string) error {
	c, err := g.authorize(ctx, id, token)
	if err != nil {
		return err
	}
	if err := g.Admin.Store.DeleteClient(ctx, c.ID); err != nil {
		return g.storeError(err, "deleting registered client")
	}
	return nil
}

// authorize returns client id if token is its registration access token,
// and the same 401 whatever went wrong otherwise.
func (g *Registration) authorize(ctx context.Context, id, token string) (*Client, error) {
	if err := g.enabled(); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, invalidToken(false)
	}
	if len(id) > maxIDLen {
		return nil, invalidToken(true)
	}
	c, err := g.Admin.get(ctx, id)
	var he *httpx.Error
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil, invalidToken(true)
	}
	if err != nil {
		return nil, err
	}
	if !tokenMatches(c, token) {
		return nil, invalidToken(true)
	}
	return c, nil
}

// storeError maps storage errors after authorisation: a client deleted
// meanwhile is an invalid token like any other missing client.
func (g *Registration) storeError(err error, doing string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return invalidToken(true)
	}
	return updateError(err, doing)
}

func (g *Registration) enabled() error {
	if !g.Config().OIDC.DynamicClientRegistration.Enabled {
		return httpx.NotFound("Dynamic client registration is not enabled (oidc.dynamic_client_registration.enabled).")
	}
	return nil
}

// clientURI is RFC 7592's registration_client_uri of client id.
func (g *Registration) clientURI(id string) string {
	return g.Config().PublicEndpoint("/oauth2/register/" + url.PathEscape(id))
}

// publicView is the client as the registration endpoint shows it: the
// admin view without the operator's metadata (as Hydra hides it), with the
// registration client URI as configured now.
func (g *Registration) publicView(c *Client) *Client {
	v := View(c)
	v.Metadata = nil
	v.RegistrationClientURI = g.clientURI(c.ID)
	return v
}
