package httpx

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Admin listings (clients, trust relationships) are keyset-paginated the
// way Hydra's are: page_size and an opaque page_token in the query, the
// next page announced in an RFC 8288 Link header. Every listing parses and
// links alike, so the rules live here once; which filters a listing takes
// is its own.
// https://www.rfc-editor.org/rfc/rfc8288

// maxPageTokenParam bounds page_token; the stores' tokens are far shorter.
const maxPageTokenParam = 1024

// ListParams describes the query one listing accepts.
type ListParams struct {
	// DefaultSize is the page size when none is asked for; page_size must
	// be from 1 to MaxSize.
	DefaultSize, MaxSize int
	// Filters are the filter parameters, in the order the error for an
	// unsupported parameter names them.
	Filters []string
	// SizeAliases are read as page sizes too, under the same bounds: each
	// is weaker than the next, and all are weaker than page_size.
	SizeAliases []string
}

// ListQuery is a parsed listing query.
type ListQuery struct {
	Size  int
	Token string
	// Filters holds the filters given with a non-empty value: an empty
	// one filters nothing.
	Filters map[string]string
}

// ParseListQuery reads a listing's query strictly (ParseQuery's rules),
// refusing any parameter p does not name, so that a misspelt filter is
// not silently ignored and the listing never shows more than was asked.
func ParseListQuery(r *http.Request, p ListParams) (ListQuery, error) {
	vals, err := ParseQuery(r)
	if err != nil {
		return ListQuery{}, err
	}
	q := ListQuery{Size: p.DefaultSize, Filters: map[string]string{}}
	for _, name := range slices.Concat(p.SizeAliases, []string{"page_size"}) {
		v, ok := vals[name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > p.MaxSize {
			return ListQuery{}, BadRequest("The parameter %s must be an integer from 1 to %d.", name, p.MaxSize)
		}
		q.Size = n
	}
	for k, v := range vals {
		switch {
		case k == "page_size" || slices.Contains(p.SizeAliases, k):
		case k == "page_token":
			if len(v[0]) > maxPageTokenParam {
				return ListQuery{}, BadRequest("The parameter page_token is not a token this server issued.")
			}
			q.Token = v[0]
		case slices.Contains(p.Filters, k):
			if v[0] != "" {
				q.Filters[k] = v[0]
			}
		default:
			return ListQuery{}, BadRequest("The query parameter %q is not supported; use %s.", Clip(k, 64), p.accepted())
		}
	}
	return q, nil
}

// accepted lists the documented parameters for an error message:
// "page_size, page_token or issuer". The SDK aliases are left out.
func (p ListParams) accepted() string {
	names := append([]string{"page_size", "page_token"}, p.Filters...)
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + " or " + names[last]
}

// SetPageLinks sets the Link header of a listing served at path:
// rel="first" always and rel="next" while next (the store's token for the
// following page) is non-empty. Both carry q's page size and filters, so
// following them walks the same filtered listing.
func SetPageLinks(w http.ResponseWriter, path string, q ListQuery, next string) {
	link := func(token, rel string) string {
		v := url.Values{}
		v.Set("page_size", strconv.Itoa(q.Size))
		if token != "" {
			v.Set("page_token", token)
		}
		for k, f := range q.Filters {
			v.Set(k, f)
		}
		return "<" + path + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	links := []string{link("", "first")}
	if next != "" {
		links = append(links, link(next, "next"))
	}
	w.Header().Set("Link", strings.Join(links, ","))
}
