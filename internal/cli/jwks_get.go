package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// getKeySet is GET /admin/keys/{set} (getJsonWebKeySet).
func (c *apiClient) getKeySet(ctx context.Context, set string) (keySet, error) {
	var out keySet
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/admin/keys/" + url.PathEscape(set), out: &out})
	return out, err
}

func newGetJWKSCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var public bool
	cmd := &cobra.Command{
		Use:     "jwks SET",
		Aliases: []string{"jwk"},
		Short:   "Show a JSON Web Key Set",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkIDs("key set ID", args); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			s, err := api.getKeySet(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return showKeySet(env, out, args[0], s, public)
		},
	}
	r.bind(cmd)
	cmd.Flags().BoolVar(&public, "public", false, "show only the public half of the keys")
	return cmd
}
