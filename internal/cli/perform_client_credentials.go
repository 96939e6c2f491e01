package cli

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// issuedToken is the output of perform client-credentials.
type issuedToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresIn   int64     `json:"expires_in,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Scope       string    `json:"scope,omitempty"`
	// DPoPJKT is the thumbprint of the key the token is bound to (--dpop).
	DPoPJKT string `json:"dpop_jkt,omitempty"`
}

// clientCredentials runs the RFC 6749 section 4.4 grant against the public
// token endpoint, authenticating with client_secret_basic (the default
// method of every client). The CLI speaks the protocol with its own small
// client: x/oauth2 and go-oidc are the test suite's relying parties, not
// dependencies of the binary.
//
// With dpop set, the request carries a DPoP proof (RFC 9449), so the token
// is bound to dpop's key; a use_dpop_nonce answer is retried once with the
// server's nonce.
func (c *apiClient) clientCredentials(ctx context.Context, id, secret string, scope, audience []string, dpop *dpopProver) (*issuedToken, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(scope) > 0 {
		form.Set("scope", strings.Join(scope, " "))
	}
	if len(audience) > 0 {
		form.Set("audience", strings.Join(audience, " "))
	}
	var tok tokenResponse
	k := call{method: http.MethodPost, path: "/oauth2/token", form: form,
		basic: &basicAuth{id: id, secret: secret}, out: &tok}
	if err := c.doWithDPoP(ctx, k, dpop); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, errors.New("the token endpoint answered without an access_token")
	}
	out := &issuedToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn, Scope: tok.Scope}
	if dpop != nil {
		out.DPoPJKT = dpop.jkt
	}
	if tok.ExpiresIn > 0 {
		out.Expiry = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
	}
	return out, nil
}

func newPerformClientCredentialsCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: publicPort}
	var p performClient
	var withDPoP bool
	cmd := &cobra.Command{
		Use:   "client-credentials",
		Short: "Get an access token with the client credentials grant",
		Long: "Get an access token from the public token endpoint with the client credentials grant.\n\n" +
			"-e/--endpoint is the PUBLIC URL here (default: $" + envPublicURL + ", else " + defaultPublicURL + ").\n" +
			"The secret may come from $" + envClientSecret + " to keep it off the command line.",
		Example: "  signet perform client-credentials --client-id my-client --scope read --audience https://api.example",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			var dpop *dpopProver
			if withDPoP {
				if dpop, err = newDPoPProver(); err != nil {
					return err
				}
			}
			tok, err := api.clientCredentials(cmd.Context(), p.id, p.secretOrEnv(env), p.scope, p.audience, dpop)
			if err != nil {
				return err
			}
			expires := ""
			if tok.ExpiresIn > 0 {
				expires = (time.Duration(tok.ExpiresIn) * time.Second).String()
			}
			t := table{
				header: []string{"ACCESS TOKEN", "TOKEN TYPE", "EXPIRES IN", "SCOPE"},
				rows:   [][]string{{tok.AccessToken, tok.TokenType, expires, tok.Scope}},
			}
			return render(env.Stdout, out, tok, t)
		},
	}
	r.bind(cmd)
	p.bind(cmd, "ID of the client (required)", nil)
	cmd.Flags().BoolVar(&withDPoP, "dpop", false, "bind the token to a new P-256 key with a DPoP proof (RFC 9449); the key is not kept")
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}
