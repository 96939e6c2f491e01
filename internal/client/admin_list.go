package client

import (
	"net/http"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// listParams is the query GET /admin/clients accepts: page_size,
// page_token and the client_name and owner filters.
func listParams() httpx.ListParams {
	return httpx.ListParams{
		DefaultSize: storage.DefaultPageSize, MaxSize: storage.MaxPageSize,
		Filters: []string{"client_name", "owner"},
	}
}

func (a *Admin) handleList(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParseListQuery(r, listParams())
	if err != nil {
		return err
	}
	f := Filter{Name: q.Filters["client_name"], Owner: q.Filters["owner"]}
	clients, next, err := a.Store.ListClients(r.Context(), f, storage.Page{Size: q.Size, Token: q.Token})
	if err != nil {
		return storeError(err, "listing clients")
	}
	out := make([]*Client, 0, len(clients))
	for _, c := range clients {
		out = append(out, View(c))
	}
	httpx.SetPageLinks(w, r.URL.Path, q, next.Next)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
