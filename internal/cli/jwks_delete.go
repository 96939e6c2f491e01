package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deleteKeySet is DELETE /admin/keys/{set} (deleteJsonWebKeySet).
func (c *apiClient) deleteKeySet(ctx context.Context, set string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/admin/keys/" + url.PathEscape(set)})
	return err
}

func newDeleteJWKSCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     "jwks SET...",
		Aliases: []string{"jwk"},
		Short:   "Delete one or more JSON Web Key Sets",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, sets []string) error {
			if err := checkIDs("key set ID", sets); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return deleteEach(cmd.Context(), env, out, "SET ID", sets, api.deleteKeySet)
		},
	}
	r.bind(cmd)
	return cmd
}
