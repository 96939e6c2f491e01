package cli

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/trust"
)

// listTrust is GET …/issuers (listTrustedOAuth2JwtGrantIssuers); the next
// page is announced in the Link header, as for clients.
func (c *apiClient) listTrust(ctx context.Context, issuer string, pf *pageFlags) (*page[*trust.GrantView], error) {
	q := url.Values{}
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	return listPage[*trust.GrantView](ctx, c, trustPath, q, pf)
}

func newListTrustCmd(env Env) *cobra.Command {
	var issuer string
	cmd := newListCmd(env, listCmd{
		use: "jwt-bearer-issuers", aliases: []string{"jwt-bearer-issuer"}, noun: "relationships",
		short: "List the trust relationships of the jwt-bearer grant, one page at a time",
		run: func(ctx context.Context, api *apiClient, out format, pf *pageFlags) error {
			p, err := api.listTrust(ctx, issuer, pf)
			if err != nil {
				return err
			}
			return showPage(env, out, p, trustTable(p.Items), "trust relationships")
		},
	})
	cmd.Flags().StringVar(&issuer, "issuer", "", "show only the relationships of this issuer")
	return cmd
}
