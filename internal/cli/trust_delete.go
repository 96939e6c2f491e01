package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deleteTrust is DELETE …/issuers/{id} (deleteTrustedOAuth2JwtGrantIssuer).
func (c *apiClient) deleteTrust(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: trustPath + "/" + url.PathEscape(id)})
	return err
}

func newDeleteTrustCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     "jwt-bearer-issuer ID...",
		Aliases: []string{"jwt-bearer-issuers"},
		Short:   "Delete trust relationships; their assertions are refused from the next request on",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkIDs("trust relationship ID", ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return deleteEach(cmd.Context(), env, out, "TRUST RELATIONSHIP ID", ids, api.deleteTrust)
		},
	}
	r.bind(cmd)
	return cmd
}
