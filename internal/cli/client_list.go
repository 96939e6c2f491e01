package cli

import (
	"context"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/spf13/cobra"
)

// listClients is GET /admin/clients (listOAuth2Clients). The next page is
// announced the way the contract does it, in a Link header with rel="next".
func (c *apiClient) listClients(ctx context.Context, pf *pageFlags) (*page[*client.Client], error) {
	return listPage[*client.Client](ctx, c, "/admin/clients", nil, pf)
}

func newListClientsCmd(env Env) *cobra.Command {
	return newListCmd(env, listCmd{
		use: "clients", aliases: []string{"client"}, noun: "clients",
		short: "List OAuth 2.0 clients, one page at a time",
		run: func(ctx context.Context, api *apiClient, out format, pf *pageFlags) error {
			p, err := api.listClients(ctx, pf)
			if err != nil {
				return err
			}
			return showPage(env, out, p, clientTable(p.Items), "clients")
		},
	})
}
