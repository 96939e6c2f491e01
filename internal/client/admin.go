package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// Admin serves /admin/clients on the admin port. Its exported methods hold
// the logic and are what tests and dynamic registration call; the handlers
// only parse, call them and render.
type Admin struct {
	Store  Store
	Hasher secret.Hasher
	// Keyring seals the secrets of client_secret_jwt clients (their HMAC
	// key); the token endpoint opens them with the same keyring.
	Keyring *secret.Keyring
	// DefaultScope is oidc.dynamic_client_registration.default_scope, the
	// scope of a client registered without one (through either door, as in
	// Hydra). Nil or empty means "offline_access offline openid".
	DefaultScope func() []string
	Now          func() time.Time
	Rand         io.Reader
}

// Routes registers the client endpoints. oauth and generic are the two error
// shapes (errorOAuth2 and genericError); the contract picks one per route.
func (a *Admin) Routes(mux httpx.Mux, oauth, generic func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("POST /admin/clients", oauth(a.handleCreate))
	mux.Handle("GET /admin/clients", oauth(a.handleList))
	mux.Handle("GET /admin/clients/{id}", oauth(a.handleGet))
	mux.Handle("PUT /admin/clients/{id}", oauth(a.handleUpdate))
	mux.Handle("PATCH /admin/clients/{id}", oauth(a.handlePatch))
	mux.Handle("DELETE /admin/clients/{id}", generic(a.handleDelete))
	mux.Handle("PUT /admin/clients/{id}/lifespans", generic(a.handleLifespans))
	mux.Handle("POST /admin/clients/{id}/secrets/rotate", oauth(a.handleRotate))
	mux.Handle("DELETE /admin/clients/{id}/secrets/rotate", oauth(a.handleDeleteRotated))
}

func (a *Admin) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var c Client
	if err := httpx.DecodeJSON(r, &c, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.Create(r.Context(), &c)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusCreated, out)
	return nil
}

func (a *Admin) handleGet(w http.ResponseWriter, r *http.Request) error {
	c, err := a.get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, View(c))
	return nil
}

func (a *Admin) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	var c Client
	if err := httpx.DecodeJSON(r, &c, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.Update(r.Context(), r.PathValue("id"), &c)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

func (a *Admin) handleDelete(w http.ResponseWriter, r *http.Request) error {
	old, err := a.get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := refuseManaged(old); err != nil {
		return err
	}
	if err := a.Store.DeleteClient(r.Context(), old.ID); err != nil {
		return storeError(err, "deleting client")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *Admin) handleLifespans(w http.ResponseWriter, r *http.Request) error {
	var l Lifespans
	if err := httpx.DecodeJSON(r, &l, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.SetLifespans(r.Context(), r.PathValue("id"), l)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

// Create stores a new client from c, which it modifies: the id is generated
// if empty, defaults are applied, the secret is settled and server-owned
// fields are reset. It returns the response view, holding the plaintext
// secret if one was set. A taken id is a 409.
func (a *Admin) Create(ctx context.Context, c *Client) (*Client, error) {
	// Registration credentials belong to dynamic registration, never to
	// an admin caller.
	c.RegistrationAccessToken, c.RegistrationClientURI = "", ""
	if err := a.prepareCreate(c); err != nil {
		return nil, err
	}
	if err := a.Store.CreateClient(ctx, stored(c)); err != nil {
		return nil, storeError(err, "creating client")
	}
	return View(c), nil
}

// prepareCreate readies a new client for storage: id, timestamps,
// defaults, validation and secret.
func (a *Admin) prepareCreate(c *Client) error {
	if c.ID == "" {
		id, err := secret.NewUUID(a.Rand)
		if err != nil {
			return err
		}
		c.ID = id
	}
	now := a.now()
	c.CreatedAt, c.UpdatedAt = now, now
	c.Credentials = Credentials{}
	return a.prepare(c, nil)
}

// Update replaces every field of client id with c (PUT semantics). c.ID
// must be empty or equal id. An empty c.Secret keeps the stored secret.
// The fields of c win over any concurrent change of them; what c cannot
// set (the stored credentials, a rotation among them) is taken from the
// client as stored when c is written, never from an earlier read.
func (a *Admin) Update(ctx context.Context, id string, c *Client) (*Client, error) {
	if c.ID != "" && c.ID != id {
		return nil, invalidMetadata("The client_id in the body must be empty or match the client_id in the path.")
	}
	return a.modify(ctx, id, "updating client", func(old *Client) (*Client, error) {
		if err := refuseManaged(old); err != nil {
			return nil, err
		}
		next := *c // prepareReplace changes it; a retry starts from the body again
		return &next, a.prepareReplace(old, &next)
	})
}

// SetLifespans replaces all of client id's token lifespans.
func (a *Admin) SetLifespans(ctx context.Context, id string, l Lifespans) (*Client, error) {
	return a.modify(ctx, id, "updating client", func(old *Client) (*Client, error) {
		if err := refuseManaged(old); err != nil {
			return nil, err
		}
		next := *old
		next.Lifespans = l
		return &next, a.prepareReplace(old, &next)
	})
}

// prepareReplace readies next, the new state of old, for storage. The
// server-owned fields, the stored credentials among them, come from old:
// no request body can set them, and a body that leaves them out must not
// drop them.
func (a *Admin) prepareReplace(old, next *Client) error {
	next.ID = old.ID
	next.CreatedAt = old.CreatedAt
	next.UpdatedAt = a.now()
	next.RegistrationAccessToken = ""
	next.RegistrationClientURI = old.RegistrationClientURI
	next.Credentials = old.Credentials
	return a.prepare(next, old)
}

// prepare applies defaults, validates and settles the secret; old is the
// stored client (nil on create).
func (a *Admin) prepare(c, old *Client) error {
	if c.Scope == "" && a.DefaultScope != nil {
		c.Scope = strings.Join(a.DefaultScope(), " ")
	}
	Defaults(c)
	if err := Validate(c); err != nil {
		return err
	}
	return a.settleSecret(c, old)
}

func (a *Admin) get(ctx context.Context, id string) (*Client, error) {
	if len(id) > maxIDLen {
		return nil, notFound() // no stored client can have this id
	}
	c, err := a.Store.GetClient(ctx, id)
	if err != nil {
		return nil, storeError(err, "reading client")
	}
	return c, nil
}

// now is the server's timestamp format: UTC, microseconds, which every
// supported database keeps exactly.
func (a *Admin) now() time.Time {
	return a.Now().UTC().Truncate(time.Microsecond)
}

func notFound() *httpx.Error {
	return httpx.NotFound("The requested OAuth 2.0 client does not exist.")
}

// storeError maps the storage sentinels to admin API errors; anything else
// is internal and rendered as a 500 carrying the request id.
func storeError(err error, doing string) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return notFound()
	case errors.Is(err, storage.ErrConflict):
		return httpx.Conflict("An OAuth 2.0 client with this client_id already exists.")
	case errors.Is(err, storage.ErrInvalidValue):
		return httpx.BadRequest("A value of the client cannot be stored: text must be valid UTF-8 without NUL characters.")
	case errors.Is(err, storage.ErrBadPageToken):
		return httpx.BadRequest("The page_token is not one this server issued; start again without it.")
	default:
		return fmt.Errorf("%s: %w", doing, err)
	}
}

// stored is the copy handed to the Store: never the plaintext secret nor
// a registration access token (only its digest, in Credentials).
func stored(c *Client) *Client {
	s := *c
	s.Secret, s.RegistrationAccessToken = "", ""
	return &s
}

// View is the client as the API shows it: never the secret hash, and lists
// as [] rather than null (hydra-client-go expects arrays). Set Secret to ""
// as well unless the response is the one that hands a new secret out.
func View(c *Client) *Client {
	v := *c
	v.SecretHash = ""
	for _, p := range []*[]string{&v.RedirectURIs, &v.GrantTypes, &v.ResponseTypes, &v.Audience, &v.AllowedCORSOrigins, &v.Contacts} {
		if *p == nil {
			*p = []string{}
		}
	}
	return &v
}

func writeClient(w http.ResponseWriter, status int, c *Client) {
	// The body may hold a fresh secret; no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, c)
}
