package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/spf13/cobra"
)

// getClient is GET /admin/clients/{id} (getOAuth2Client).
func (c *apiClient) getClient(ctx context.Context, id string) (*client.Client, error) {
	var out client.Client
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/admin/clients/" + url.PathEscape(id), out: &out})
	return &out, err
}

func newGetClientCmd(env Env) *cobra.Command {
	return newIDsCmd(env, idsCmd{
		use: "client ID...", aliases: []string{"clients"}, kind: "client ID",
		short: "Show one or more OAuth 2.0 clients",
		run: func(ctx context.Context, api *apiClient, out format, ids []string) error {
			cs, err := getEach(ctx, "client", ids, api.getClient)
			if err != nil {
				return err
			}
			return render(env.Stdout, out, oneOrMany(cs), clientTable(cs))
		},
	})
}
