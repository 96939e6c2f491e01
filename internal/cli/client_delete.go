package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deleteClient is DELETE /admin/clients/{id} (deleteOAuth2Client).
func (c *apiClient) deleteClient(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/admin/clients/" + url.PathEscape(id)})
	return err
}

func newDeleteClientCmd(env Env) *cobra.Command {
	return newIDsCmd(env, idsCmd{
		use: "client ID...", aliases: []string{"clients"}, kind: "client ID",
		short: "Delete one or more OAuth 2.0 clients and every token issued to them",
		run: func(ctx context.Context, api *apiClient, out format, ids []string) error {
			return deleteEach(ctx, env, out, "CLIENT ID", ids, api.deleteClient)
		},
	})
}
