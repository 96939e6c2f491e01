package trust

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

// listQuery is a parsed GET …/issuers query.
type listQuery struct {
	Issuer string
	Page   storage.Page
}

// parseListQuery reads page_size (or the SDK's MaxItems and DefaultItems),
// page_token and issuer, refusing other parameters so that a misspelt
// filter is not silently ignored.
func parseListQuery(r *http.Request) (listQuery, error) {
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		return listQuery{}, err
	}
	q := listQuery{Page: storage.Page{Size: storage.DefaultPageSize}}
	// hydra-client-go v2.2 sends MaxItems and DefaultItems (its generator
	// turned Hydra's pagination docs into parameters; Hydra ignores them).
	// They are honoured as page sizes, weaker than page_size, so SDK
	// callers get what they asked for within the contract's bounds.
	for _, name := range []string{"DefaultItems", "MaxItems", "page_size"} {
		v, ok := vals[name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > storage.MaxPageSize {
			return listQuery{}, httpx.BadRequest("The parameter %s must be an integer from 1 to %d.", name, storage.MaxPageSize)
		}
		q.Page.Size = n
	}
	for k, v := range vals {
		switch k {
		case "page_size", "MaxItems", "DefaultItems":
		case "page_token":
			if len(v[0]) > maxPageToken {
				return listQuery{}, httpx.BadRequest("The parameter page_token is not a token this server issued.")
			}
			q.Page.Token = v[0]
		case "issuer":
			q.Issuer = v[0]
		default:
			return listQuery{}, httpx.BadRequest("The query parameter %q is not supported; use page_size, page_token or issuer.", httpx.Clip(k, 64))
		}
	}
	return q, nil
}

func (a *Admin) handleList(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r)
	if err != nil {
		return err
	}
	out := []GrantView{}
	var next storage.PageResult
	// No stored issuer is longer than maxIdentLen: such a filter matches
	// nothing, without asking the store.
	if len(q.Issuer) <= maxIdentLen {
		grants, res, err := a.Store.ListTrustGrants(r.Context(), q.Issuer, q.Page)
		if err != nil {
			return storeError(err, "listing trust grants")
		}
		for _, g := range grants {
			out = append(out, View(g))
		}
		next = res
	}
	w.Header().Set("Link", linkHeader(r.URL.Path, q, next.Next))
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// linkHeader builds the RFC 8288 Link header as the clients list does:
// rel="first" always, rel="next" while there are more pages, the issuer
// filter carried into both.
func linkHeader(path string, q listQuery, next string) string {
	link := func(token, rel string) string {
		v := url.Values{}
		v.Set("page_size", strconv.Itoa(q.Page.Size))
		if token != "" {
			v.Set("page_token", token)
		}
		if q.Issuer != "" {
			v.Set("issuer", q.Issuer)
		}
		return "<" + path + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	parts := []string{link("", "first")}
	if next != "" {
		parts = append(parts, link(next, "next"))
	}
	return strings.Join(parts, ",")
}
