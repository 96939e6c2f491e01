package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deleteTokens is DELETE /admin/oauth2/tokens?client_id= (deleteOAuth2Token):
// every access and refresh token of the client is revoked.
func (c *apiClient) deleteTokens(ctx context.Context, clientID string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/admin/oauth2/tokens", query: url.Values{"client_id": {clientID}}})
	return err
}

func newDeleteTokensCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var id string
	cmd := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token"},
		Short:   "Revoke every access and refresh token of a client",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids := []string{id}
			if err := checkIDs("client ID", ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return deleteEach(cmd.Context(), env, out, "CLIENT ID", ids, api.deleteTokens)
		},
	}
	r.bind(cmd)
	cmd.Flags().StringVar(&id, "client-id", "", "ID of the client whose tokens to revoke (required)")
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}
