package trust

import (
	"net/http"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// listParams is the query GET …/issuers accepts: page_size, page_token and
// the issuer filter. hydra-client-go v2.2 also sends MaxItems and
// DefaultItems (its generator turned Hydra's pagination docs into
// parameters; Hydra ignores them). They are honoured as page sizes, weaker
// than page_size, so SDK callers get what they asked for within the
// contract's bounds.
func listParams() httpx.ListParams {
	return httpx.ListParams{
		DefaultSize: storage.DefaultPageSize, MaxSize: storage.MaxPageSize,
		Filters:     []string{"issuer"},
		SizeAliases: []string{"DefaultItems", "MaxItems"},
	}
}

func (a *Admin) handleList(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParseListQuery(r, listParams())
	if err != nil {
		return err
	}
	issuer := q.Filters["issuer"]
	out := []GrantView{}
	var next storage.PageResult
	// No stored issuer is longer than maxIdentLen: such a filter matches
	// nothing, without asking the store.
	if len(issuer) <= maxIdentLen {
		grants, res, err := a.Store.ListTrustGrants(r.Context(), issuer, storage.Page{Size: q.Size, Token: q.Token})
		if err != nil {
			return storeError(err, "listing trust grants")
		}
		for _, g := range grants {
			out = append(out, View(g))
		}
		next = res
	}
	httpx.SetPageLinks(w, r.URL.Path, q, next.Next)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
