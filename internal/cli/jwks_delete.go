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
	return newIDsCmd(env, idsCmd{
		use: "jwks SET...", aliases: []string{"jwk"}, kind: "key set ID",
		short: "Delete one or more JSON Web Key Sets",
		run: func(ctx context.Context, api *apiClient, out format, ids []string) error {
			return deleteEach(ctx, env, out, "SET ID", ids, api.deleteKeySet)
		},
	})
}
