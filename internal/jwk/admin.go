package jwk

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// Admin serves /admin/keys/* (Hydra's jwk admin API). Responses carry
// private keys, so they are never cached.
type Admin struct {
	Manager *Manager
}

// Routes registers the seven admin routes on mux; wrap adapts each handler
// and chooses the error shape (the contract uses errorOAuth2 here).
func (a Admin) Routes(mux httpx.Mux, wrap func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("POST /admin/keys/{set}", wrap(a.createSet))
	mux.Handle("GET /admin/keys/{set}", wrap(a.getSet))
	mux.Handle("PUT /admin/keys/{set}", wrap(a.putSet))
	mux.Handle("DELETE /admin/keys/{set}", wrap(a.deleteSet))
	mux.Handle("GET /admin/keys/{set}/{kid}", wrap(a.getKey))
	mux.Handle("PUT /admin/keys/{set}/{kid}", wrap(a.putKey))
	mux.Handle("DELETE /admin/keys/{set}/{kid}", wrap(a.deleteKey))
}

// createBody is the contract's createJsonWebKeySet.
type createBody struct {
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
}

func (a Admin) createSet(w http.ResponseWriter, r *http.Request) error {
	var body createBody
	if err := httpx.DecodeJSON(r, &body, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	ks, err := a.Manager.Generate(r.Context(), r.PathValue("set"), body.Alg, body.Use, body.Kid)
	if err != nil {
		return adminError(err)
	}
	writeKeys(w, http.StatusCreated, ks)
	return nil
}

func (a Admin) getSet(w http.ResponseWriter, r *http.Request) error {
	ks, err := a.Manager.List(r.Context(), r.PathValue("set"))
	if err != nil {
		return adminError(err)
	}
	writeKeys(w, http.StatusOK, ks)
	return nil
}

// setBody is the contract's jsonWebKeySet as a request; keys stay raw until
// go-jose parses each one, so an error can name the bad key.
type setBody struct {
	Keys []json.RawMessage `json:"keys"`
}

func (a Admin) putSet(w http.ResponseWriter, r *http.Request) error {
	var body setBody
	if err := httpx.DecodeJSON(r, &body, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
		return err
	}
	if len(body.Keys) > maxImportKeys {
		return httpx.BadRequest("A key set must hold 1 to %d keys.", maxImportKeys)
	}
	keys := make([]jose.JSONWebKey, 0, len(body.Keys))
	for _, raw := range body.Keys {
		k, err := ParseKey(raw)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if err := a.Manager.Import(r.Context(), r.PathValue("set"), keys); err != nil {
		return adminError(err)
	}
	writeKeys(w, http.StatusOK, jose.JSONWebKeySet{Keys: keys})
	return nil
}

func (a Admin) deleteSet(w http.ResponseWriter, r *http.Request) error {
	if err := a.Manager.DeleteSet(r.Context(), r.PathValue("set")); err != nil {
		return adminError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a Admin) getKey(w http.ResponseWriter, r *http.Request) error {
	k, err := a.Manager.Get(r.Context(), r.PathValue("set"), r.PathValue("kid"))
	if err != nil {
		return adminError(err)
	}
	writeKeys(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
	return nil
}

func (a Admin) putKey(w http.ResponseWriter, r *http.Request) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw, httpx.MaxJSONBody, httpx.AllowUnknown); err != nil {
		return err
	}
	k, err := ParseKey(raw)
	if err != nil {
		return err
	}
	k, err = a.Manager.ImportOne(r.Context(), r.PathValue("set"), r.PathValue("kid"), k)
	if err != nil {
		return adminError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, k)
	return nil
}

func (a Admin) deleteKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.Manager.Delete(r.Context(), r.PathValue("set"), r.PathValue("kid")); err != nil {
		return adminError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func writeKeys(w http.ResponseWriter, status int, ks jose.JSONWebKeySet) {
	if ks.Keys == nil {
		ks.Keys = []jose.JSONWebKey{}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, status, ks)
}

// adminError maps storage outcomes to the admin API's statuses; *httpx.Error
// values (validation) pass through, anything else is an internal error the
// renderer logs.
func adminError(err error) error {
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.Is(err, storage.ErrNotFound):
		return httpx.NotFound("The requested key or key set does not exist.").Because(err)
	case errors.Is(err, storage.ErrConflict):
		return httpx.Conflict("A key with this kid already exists in the set.").Because(err)
	case errors.Is(err, storage.ErrInvalidValue):
		return httpx.BadRequest("The set name and kid must be UTF-8 without NUL bytes.").Because(err)
	default:
		return err
	}
}
