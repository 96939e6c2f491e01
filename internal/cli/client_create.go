package cli

import (
	"context"
	"net/http"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/spf13/cobra"
)

// createClient is POST /admin/clients (createOAuth2Client).
func (c *apiClient) createClient(ctx context.Context, in *client.Client) (*client.Client, error) {
	var out client.Client
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/admin/clients", in: in, out: &out})
	return &out, err
}

func newCreateClientCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var f clientFlags
	cmd := &cobra.Command{
		Use:     "client",
		Aliases: []string{"clients"},
		Short:   "Create an OAuth 2.0 client",
		Long: "Create an OAuth 2.0 client through the admin API.\n\n" +
			"The client secret is shown only in this command's output; the server keeps only a hash.",
		Example: "  signet create client --name app --grant-type authorization_code,refresh_token \\\n" +
			"    --response-type code --scope openid --scope offline_access --redirect-uri https://app.example/cb",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			in, err := f.toClient()
			if err != nil {
				return err
			}
			created, err := api.createClient(cmd.Context(), in)
			if err != nil {
				return err
			}
			return render(env.Stdout, out, created, clientTable([]*client.Client{created}))
		},
	}
	r.bind(cmd)
	f.bind(cmd)
	return cmd
}
