package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/spf13/cobra"
)

// The contract's bounds on page_size; checked here so a typo gets a flag
// error rather than a server round trip.
const maxPageSize = 1000

// clientPage is one page of a listing and the token of the next one.
type clientPage struct {
	Items      []*client.Client `json:"items"`
	NextToken  string           `json:"next_page_token"`
	IsLastPage bool             `json:"is_last_page"`
}

// listClients is GET /admin/clients (listOAuth2Clients). The next page is
// announced the way the contract does it, in a Link header with rel="next".
func (c *apiClient) listClients(ctx context.Context, size int, token string) (*clientPage, error) {
	q := url.Values{}
	if size > 0 {
		q.Set("page_size", strconv.Itoa(size))
	}
	if token != "" {
		q.Set("page_token", token)
	}
	var items []*client.Client
	h, err := c.do(ctx, call{method: http.MethodGet, path: "/admin/clients", query: q, out: &items})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []*client.Client{}
	}
	next := nextPageToken(h.Values("Link"))
	return &clientPage{Items: items, NextToken: next, IsLastPage: next == ""}, nil
}

// nextPageToken finds page_token in the rel="next" entry of RFC 8288 Link
// headers, e.g. `</admin/clients?page_size=2&page_token=abc>; rel="next"`.
func nextPageToken(links []string) string {
	for _, header := range links {
		for _, link := range strings.Split(header, ",") {
			target, params, ok := strings.Cut(link, ";")
			if !ok || !hasRelNext(params) {
				continue
			}
			target = strings.TrimSpace(target)
			target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
			u, err := url.Parse(target)
			if err != nil {
				continue
			}
			return u.Query().Get("page_token")
		}
	}
	return ""
}

func hasRelNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") {
			for _, rel := range strings.Fields(strings.Trim(v, `"`)) {
				if strings.EqualFold(rel, "next") {
					return true
				}
			}
		}
	}
	return false
}

func newListClientsCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var size int
	var token string
	cmd := &cobra.Command{
		Use:     "clients",
		Aliases: []string{"client"},
		Short:   "List OAuth 2.0 clients, one page at a time",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("page-size") && (size < 1 || size > maxPageSize) {
				return fmt.Errorf("--page-size must be between 1 and %d", maxPageSize)
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			page, err := api.listClients(cmd.Context(), size, token)
			if err != nil {
				return err
			}
			if err := render(env.Stdout, out, page, clientTable(page.Items)); err != nil {
				return err
			}
			// The hint goes to stderr so the table on stdout stays
			// exactly one header plus one row per client.
			if out == formatTable && page.NextToken != "" {
				fmt.Fprintf(env.Stderr, "More clients: run again with --page-token %s\n", sanitizeLine(page.NextToken))
			}
			return nil
		},
	}
	r.bind(cmd)
	cmd.Flags().IntVar(&size, "page-size", 0, "clients per page, 1 to 1000 (default: the server's, 250)")
	cmd.Flags().StringVar(&token, "page-token", "", "token of the page to show, from a previous listing")
	return cmd
}
