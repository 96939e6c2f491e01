package trust

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// Admin serves /admin/trust/grants/jwt-bearer/issuers on the admin port.
// Its exported methods hold the logic; the handlers parse, call them and
// render. Every route answers errors in the contract's genericError shape.
type Admin struct {
	Store Store
	Now   func() time.Time
	// Rand makes grant IDs (random UUIDs, as Hydra's).
	Rand io.Reader
}

// issuersPath is the collection every route hangs off.
const issuersPath = "/admin/trust/grants/jwt-bearer/issuers"

// Routes registers the four endpoints; generic renders genericError.
func (a *Admin) Routes(mux httpx.Mux, generic func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("POST "+issuersPath, generic(a.handleCreate))
	mux.Handle("GET "+issuersPath, generic(a.handleList))
	mux.Handle("GET "+issuersPath+"/{id}", generic(a.handleGet))
	mux.Handle("DELETE "+issuersPath+"/{id}", generic(a.handleDelete))
}

func (a *Admin) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var req Request
	if err := httpx.DecodeJSON(r, &req, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	g, err := a.Create(r.Context(), &req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, View(g))
	return nil
}

func (a *Admin) handleGet(w http.ResponseWriter, r *http.Request) error {
	g, err := a.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, View(g))
	return nil
}

func (a *Admin) handleDelete(w http.ResponseWriter, r *http.Request) error {
	if err := a.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Create validates req and stores the trust relationship it describes.
// A relationship for the same issuer, subject (or any subject) and kid is
// a 409: delete the old one first, so that which key and scope apply is
// never ambiguous.
func (a *Admin) Create(ctx context.Context, req *Request) (*Grant, error) {
	now := a.Now().UTC().Truncate(time.Microsecond)
	g, err := req.Validate(now)
	if err != nil {
		return nil, err
	}
	if g.ID, err = secret.NewUUID(a.Rand); err != nil {
		return nil, err
	}
	g.CreatedAt = now
	if err := a.Store.CreateTrustGrant(ctx, g); err != nil {
		return nil, storeError(err, "creating trust grant")
	}
	return g, nil
}

// Get returns one relationship, expired ones included (they stay visible
// until deleted, as in Hydra), or a 404.
func (a *Admin) Get(ctx context.Context, id string) (*Grant, error) {
	if len(id) > maxIdentLen {
		return nil, notFound() // no stored grant can have this id
	}
	g, err := a.Store.GetTrustGrant(ctx, id)
	if err != nil {
		return nil, storeError(err, "reading trust grant")
	}
	return g, nil
}

// Delete removes one relationship; assertions it vouched for are refused
// from the next request on.
func (a *Admin) Delete(ctx context.Context, id string) error {
	if len(id) > maxIdentLen {
		return notFound()
	}
	if err := a.Store.DeleteTrustGrant(ctx, id); err != nil {
		return storeError(err, "deleting trust grant")
	}
	return nil
}

func notFound() error {
	return httpx.NotFound("The requested trust relationship does not exist.")
}

// storeError maps the storage sentinels to admin API errors; anything else
// is internal and rendered as a 500 carrying the request id.
func storeError(err error, doing string) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return notFound()
	case errors.Is(err, storage.ErrConflict):
		return httpx.Conflict("A trust relationship for this issuer, subject and key ID already exists; delete it first to change its scope, key or expiry.")
	case errors.Is(err, storage.ErrInvalidValue):
		return httpx.BadRequest("A value of the trust relationship cannot be stored: text must be valid UTF-8 without NUL characters.")
	case errors.Is(err, storage.ErrBadPageToken):
		return httpx.BadRequest("The page_token is not one this server issued; start again without it.")
	default:
		return fmt.Errorf("%s: %w", doing, err)
	}
}
