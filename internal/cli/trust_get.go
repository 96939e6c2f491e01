package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/trust"
)

// getTrust is GET …/issuers/{id} (getTrustedOAuth2JwtGrantIssuer).
func (c *apiClient) getTrust(ctx context.Context, id string) (*trust.GrantView, error) {
	var out trust.GrantView
	_, err := c.do(ctx, call{method: http.MethodGet, path: trustPath + "/" + url.PathEscape(id), out: &out})
	return &out, err
}

func newGetTrustCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     "jwt-bearer-issuer ID...",
		Aliases: []string{"jwt-bearer-issuers"},
		Short:   "Show one or more trust relationships of the jwt-bearer grant",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkIDs("trust relationship ID", ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			gs := make([]*trust.GrantView, 0, len(ids))
			for _, id := range ids {
				g, err := api.getTrust(cmd.Context(), id)
				if err != nil {
					return fmt.Errorf("getting trust relationship %q: %w", id, err)
				}
				gs = append(gs, g)
			}
			// One ID prints one object, several an array, as get client does.
			var v any = gs
			if len(gs) == 1 {
				v = gs[0]
			}
			return render(env.Stdout, out, v, trustTable(gs))
		},
	}
	r.bind(cmd)
	return cmd
}

// trustTable shows the columns an operator checks: who is trusted, about
// whom, with which key, for what and until when.
func trustTable(gs []*trust.GrantView) table {
	t := table{header: []string{"ID", "ISSUER", "SUBJECT", "KEY ID", "SCOPE", "EXPIRES AT"}}
	for _, g := range gs {
		sub := g.Subject
		if g.AllowAnySubject {
			sub = "(any)"
		}
		t.rows = append(t.rows, []string{g.ID, g.Issuer, sub, g.PublicKey.KeyID,
			strings.Join(g.Scope, " "), g.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	return t
}
