package cli

import (
	"context"
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
	return newIDsCmd(env, idsCmd{
		use: "jwt-bearer-issuer ID...", aliases: []string{"jwt-bearer-issuers"}, kind: "trust relationship ID",
		short: "Show one or more trust relationships of the jwt-bearer grant",
		run: func(ctx context.Context, api *apiClient, out format, ids []string) error {
			gs, err := getEach(ctx, "trust relationship", ids, api.getTrust)
			if err != nil {
				return err
			}
			// One ID prints one object, several an array, as get client does.
			return render(env.Stdout, out, oneOrMany(gs), trustTable(gs))
		},
	})
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
