package cli

import (
	"context"
	"fmt"
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
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     "client ID...",
		Aliases: []string{"clients"},
		Short:   "Show one or more OAuth 2.0 clients",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkIDs("client ID", ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			cs := make([]*client.Client, 0, len(ids))
			for _, id := range ids {
				c, err := api.getClient(cmd.Context(), id)
				if err != nil {
					return fmt.Errorf("getting client %q: %w", id, err)
				}
				cs = append(cs, c)
			}
			return render(env.Stdout, out, oneOrMany(cs), clientTable(cs))
		},
	}
	r.bind(cmd)
	return cmd
}
