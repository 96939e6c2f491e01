package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

// trustLike accepts what GET /admin/trust/grants/jwt-bearer/issuers does.
func trustLike() httpx.ListParams {
	return httpx.ListParams{DefaultSize: 250, MaxSize: 1000, Filters: []string{"issuer"},
		SizeAliases: []string{"DefaultItems", "MaxItems"}}
}

func listQuery(t *testing.T, query string, p httpx.ListParams) (httpx.ListQuery, error) {
	t.Helper()
	return httpx.ParseListQuery(httptest.NewRequest(http.MethodGet, "/admin/list?"+query, nil), p)
}

func TestParseListQueryAccepts(t *testing.T) {
	cases := []struct {
		query   string
		size    int
		token   string
		filters map[string]string
	}{
		{"", 250, "", map[string]string{}},
		{"page_size=1&page_token=abc", 1, "abc", map[string]string{}},
		{"page_size=1000&issuer=https%3A%2F%2Fidp", 1000, "", map[string]string{"issuer": "https://idp"}},
		// An empty filter filters nothing, and is not carried into links.
		{"issuer=", 250, "", map[string]string{}},
		// The SDK's aliases: page_size beats MaxItems, which beats DefaultItems.
		{"DefaultItems=3", 3, "", map[string]string{}},
		{"DefaultItems=3&MaxItems=4", 4, "", map[string]string{}},
		{"MaxItems=4&page_size=1", 1, "", map[string]string{}},
	}
	for _, c := range cases {
		q, err := listQuery(t, c.query, trustLike())
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		if q.Size != c.size || q.Token != c.token || len(q.Filters) != len(c.filters) {
			t.Errorf("%q = %+v, want size %d token %q filters %v", c.query, q, c.size, c.token, c.filters)
		}
		for k, v := range c.filters {
			if q.Filters[k] != v {
				t.Errorf("%q: filter %s = %q, want %q", c.query, k, q.Filters[k], v)
			}
		}
	}
}

func TestParseListQueryRefuses(t *testing.T) {
	clientsLike := httpx.ListParams{DefaultSize: 250, MaxSize: 1000, Filters: []string{"client_name", "owner"}}
	cases := []struct {
		query  string
		params httpx.ListParams
		want   string
	}{
		{"page_size=0", trustLike(), "The parameter page_size must be an integer from 1 to 1000."},
		{"page_size=1001", trustLike(), "The parameter page_size must be an integer from 1 to 1000."},
		{"page_size=ten", trustLike(), "The parameter page_size must be an integer from 1 to 1000."},
		{"page_size=99999999999999999999", trustLike(), "The parameter page_size must be an integer from 1 to 1000."},
		{"MaxItems=0", trustLike(), "The parameter MaxItems must be an integer from 1 to 1000."},
		{"MaxItems=5", clientsLike, `The query parameter "MaxItems" is not supported; use page_size, page_token, client_name or owner.`},
		{"limit=5", trustLike(), `The query parameter "limit" is not supported; use page_size, page_token or issuer.`},
		{"page_token=" + strings.Repeat("t", 1025), trustLike(), "The parameter page_token is not a token this server issued."},
		{"page_size=1&page_size=2", trustLike(), `The parameter "page_size" is included more than once.`},
		{"issuer=%zz", trustLike(), "The parameters are not correctly URL-encoded."},
		{"issuer=%ff", trustLike(), "A parameter is not valid UTF-8."},
	}
	for _, c := range cases {
		_, err := listQuery(t, c.query, c.params)
		var e *httpx.Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Description != c.want {
			t.Errorf("%q: %v, want 400 %q", c.query, err, c.want)
		}
	}
}

func TestSetPageLinks(t *testing.T) {
	q := httpx.ListQuery{Size: 2, Token: "ignored", Filters: map[string]string{"owner": "o w", "client_name": "a&b"}}
	cases := []struct{ next, want string }{
		{"", `</admin/clients?client_name=a%26b&owner=o+w&page_size=2>; rel="first"`},
		{"tok", `</admin/clients?client_name=a%26b&owner=o+w&page_size=2>; rel="first",` +
			`</admin/clients?client_name=a%26b&owner=o+w&page_size=2&page_token=tok>; rel="next"`},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		httpx.SetPageLinks(w, "/admin/clients", q, c.next)
		if got := w.Header().Get("Link"); got != c.want {
			t.Errorf("next %q: Link\n %s\nwant\n %s", c.next, got, c.want)
		}
	}
}
