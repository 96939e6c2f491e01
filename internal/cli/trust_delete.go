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
	return newIDsCmd(env, idsCmd{
		use: "jwt-bearer-issuer ID...", aliases: []string{"jwt-bearer-issuers"}, kind: "trust relationship ID",
		short: "Delete trust relationships; their assertions are refused from the next request on",
		run: func(ctx context.Context, api *apiClient, out format, ids []string) error {
			return deleteEach(ctx, env, out, "TRUST RELATIONSHIP ID", ids, api.deleteTrust)
		},
	})
}
