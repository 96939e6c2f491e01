package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/spf13/cobra"
)

// setClient is PUT /admin/clients/{id} (setOAuth2Client).
func (c *apiClient) setClient(ctx context.Context, id string, in *client.Client) (*client.Client, error) {
	var out client.Client
	_, err := c.do(ctx, call{method: http.MethodPut, path: "/admin/clients/" + url.PathEscape(id), in: in, out: &out})
	return &out, err
}

func newUpdateClientCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var f clientFlags
	cmd := &cobra.Command{
		Use:     "client ID",
		Aliases: []string{"clients"},
		Short:   "Replace an OAuth 2.0 client",
		// Hydra's update client replaces the whole client, and scripts
		// written for it rely on that; say so loudly.
		Long: "Replace an OAuth 2.0 client through the admin API (PUT).\n\n" +
			"The whole client is replaced: every flag not given is reset to its default.\n" +
			"The secret is kept unless --secret sets a new one.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkIDs("client ID", args); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			in, err := f.toClient()
			if err != nil {
				return err
			}
			in.ID = id
			updated, err := api.setClient(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			return render(env.Stdout, out, updated, clientTable([]*client.Client{updated}))
		},
	}
	r.bind(cmd)
	f.bind(cmd)
	return cmd
}
