package cli

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// revoke is POST /oauth2/revoke (RFC 7009) on the public port. A
// confidential client authenticates with HTTP Basic; a public client (no
// secret) names itself in the form, as RFC 6749 §2.3.1 allows.
func (c *apiClient) revoke(ctx context.Context, token, clientID, secret string) error {
	k := call{method: http.MethodPost, path: "/oauth2/revoke", form: url.Values{"token": {token}}}
	if secret != "" {
		k.basic = &basicAuth{id: clientID, secret: secret}
	} else {
		k.form.Set("client_id", clientID)
	}
	_, err := c.do(ctx, k)
	return err
}

func newRevokeTokenCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: publicPort}
	var id, secret string
	cmd := &cobra.Command{
		Use:   "token TOKEN",
		Short: "Revoke an access or refresh token (RFC 7009)",
		Long: "Revoke a token at the public revocation endpoint, as the client it was issued to.\n\n" +
			"-e/--endpoint is the PUBLIC URL here (default: $" + envPublicURL + ", else " + defaultPublicURL + ").\n" +
			"Pass - as TOKEN to read it from standard input. Prints nothing on success:\n" +
			"the server answers the same for unknown tokens, as RFC 7009 §2.2 requires.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// --format is accepted for symmetry; there is nothing to print.
			api, _, err := r.setup()
			if err != nil {
				return err
			}
			tok, err := tokenArg(env, args[0])
			if err != nil {
				return err
			}
			return api.revoke(cmd.Context(), tok, id, clientSecret(env, secret))
		},
	}
	r.bind(cmd)
	cmd.Flags().StringVar(&id, "client-id", "", "ID of the client the token was issued to (required)")
	cmd.Flags().StringVar(&secret, "client-secret", "", "secret of that client (default: $"+envClientSecret+"; none for public clients)")
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}
