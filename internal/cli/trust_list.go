package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/trust"
)

// trustPage is one page of a listing and the token of the next one.
type trustPage struct {
	Items      []*trust.GrantView `json:"items"`
	NextToken  string             `json:"next_page_token"`
	IsLastPage bool               `json:"is_last_page"`
}

// listTrust is GET …/issuers (listTrustedOAuth2JwtGrantIssuers); the next
// page is announced in the Link header, as for clients.
func (c *apiClient) listTrust(ctx context.Context, issuer string, size int, token string) (*trustPage, error) {
	q := url.Values{}
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	if size > 0 {
		q.Set("page_size", strconv.Itoa(size))
	}
	if token != "" {
		q.Set("page_token", token)
	}
	var items []*trust.GrantView
	h, err := c.do(ctx, call{method: http.MethodGet, path: trustPath, query: q, out: &items})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []*trust.GrantView{}
	}
	next := nextPageToken(h.Values("Link"))
	return &trustPage{Items: items, NextToken: next, IsLastPage: next == ""}, nil
}

func newListTrustCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var size int
	var issuer, token string
	cmd := &cobra.Command{
		Use:     "jwt-bearer-issuers",
		Aliases: []string{"jwt-bearer-issuer"},
		Short:   "List the trust relationships of the jwt-bearer grant, one page at a time",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("page-size") && (size < 1 || size > maxPageSize) {
				return fmt.Errorf("--page-size must be between 1 and %d", maxPageSize)
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			page, err := api.listTrust(cmd.Context(), issuer, size, token)
			if err != nil {
				return err
			}
			if err := render(env.Stdout, out, page, trustTable(page.Items)); err != nil {
				return err
			}
			if out == formatTable && page.NextToken != "" {
				fmt.Fprintf(env.Stderr, "More trust relationships: run again with --page-token %s\n", sanitizeLine(page.NextToken))
			}
			return nil
		},
	}
	r.bind(cmd)
	cmd.Flags().StringVar(&issuer, "issuer", "", "show only the relationships of this issuer")
	cmd.Flags().IntVar(&size, "page-size", 0, "relationships per page, 1 to 1000 (default: the server's, 250)")
	cmd.Flags().StringVar(&token, "page-token", "", "token of the page to show, from a previous listing")
	return cmd
}
