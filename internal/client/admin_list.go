package client

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// maxPageToken bounds the page_token parameter; the page sizes are
// storage.DefaultPageSize and storage.MaxPageSize (the contract's bounds).
const maxPageToken = 1024

// listQuery is a parsed GET /admin/clients query.
type listQuery struct {
	Filter Filter
	Page   storage.Page
}

// parseListQuery reads page_size, page_token, client_name and owner,
// refusing other parameters so a misspelt filter is not silently ignored.
func parseListQuery(r *http.Request) (listQuery, error) {
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		return listQuery{}, err
	}
	q := listQuery{Page: storage.Page{Size: storage.DefaultPageSize}}
	for k, v := range vals {
		switch k {
		case "page_size":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > storage.MaxPageSize {
				return listQuery{}, httpx.BadRequest("The parameter page_size must be an integer from 1 to %d.", storage.MaxPageSize)
			}
			q.Page.Size = n
		case "page_token":
			if len(v[0]) > maxPageToken {
				return listQuery{}, httpx.BadRequest("The parameter page_token is not a token this server issued.")
			}
			q.Page.Token = v[0]
		case "client_name":
			q.Filter.Name = v[0]
		case "owner":
			q.Filter.Owner = v[0]
		default:
			return listQuery{}, httpx.BadRequest("The query parameter %q is not supported; use page_size, page_token, client_name or owner.", httpx.Clip(k, 64))
		}
	}
	return q, nil
}

func (a *Admin) handleList(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r)
	if err != nil {
		return err
	}
	clients, next, err := a.Store.ListClients(r.Context(), q.Filter, q.Page)
	if err != nil {
		return storeError(err, "listing clients")
	}
	out := make([]*Client, 0, len(clients))
	for _, c := range clients {
		out = append(out, View(c))
	}
	w.Header().Set("Link", linkHeader(r.URL.Path, q, next.Next))
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// linkHeader builds the RFC 8288 Link header: rel="first" always, and
// rel="next" while there are more pages. Filters are carried into both, so
// following the links walks the same filtered listing.
func linkHeader(path string, q listQuery, next string) string {
	link := func(token, rel string) string {
		v := url.Values{}
		v.Set("page_size", strconv.Itoa(q.Page.Size))
		if token != "" {
			v.Set("page_token", token)
		}
		if q.Filter.Name != "" {
			v.Set("client_name", q.Filter.Name)
		}
		if q.Filter.Owner != "" {
			v.Set("owner", q.Filter.Owner)
		}
		return "<" + path + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	parts := []string{link("", "first")}
	if next != "" {
		parts = append(parts, link(next, "next"))
	}
	return strings.Join(parts, ",")
}
