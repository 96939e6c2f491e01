package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// createKeySetRequest is the contract's createJsonWebKeySet body. kid is
// always sent; an empty one asks the server to choose.
type createKeySetRequest struct {
	Alg string `json:"alg"`
	Use string `json:"use"`
	KID string `json:"kid"`
}

// createKeySet is POST /admin/keys/{set} (createJsonWebKeySet).
func (c *apiClient) createKeySet(ctx context.Context, set string, in createKeySetRequest) (keySet, error) {
	var out keySet
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/admin/keys/" + url.PathEscape(set), in: in, out: &out})
	return out, err
}

func newCreateJWKSCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var in createKeySetRequest
	var public bool
	cmd := &cobra.Command{
		Use:     "jwks SET",
		Aliases: []string{"jwk"},
		Short:   "Generate a new key in a JSON Web Key Set",
		Example: "  signet create jwks my-set --alg ES256 --use sig --public",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := args[0]
			if err := checkIDs("key set ID", args); err != nil {
				return err
			}
			if in.Use != "sig" && in.Use != "enc" {
				return fmt.Errorf("--use must be sig or enc, not %q", in.Use)
			}
			if in.Alg == "" {
				return fmt.Errorf("--alg must name an algorithm, e.g. RS256, ES256 or EdDSA")
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			created, err := api.createKeySet(cmd.Context(), set, in)
			if err != nil {
				return err
			}
			return showKeySet(env, out, set, created, public)
		},
	}
	r.bind(cmd)
	cmd.Flags().StringVar(&in.Alg, "alg", "RS256", "algorithm of the new key: RS256, RS512, ES256, ES512, EdDSA, HS256 or HS512")
	cmd.Flags().StringVar(&in.Use, "use", "sig", "what the key is for: sig or enc")
	cmd.Flags().StringVar(&in.KID, "key-id", "", "key ID of the new key (default: chosen by the server)")
	cmd.Flags().BoolVar(&public, "public", false, "show only the public half of the keys")
	return cmd
}
