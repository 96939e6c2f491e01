package cli

import "github.com/spf13/cobra"

// performClient holds the flags the perform commands share: which client
// acts and what it asks for. Both commands bind them through here, so
// `perform client-credentials` and `perform authorization-code` read the
// same way on a command line.
type performClient struct {
	id, secret      string
	scope, audience []string
}

// bind registers --client-id, --client-secret, --scope and --audience.
// idHelp says when --client-id is needed; scope is the default of --scope.
func (p *performClient) bind(cmd *cobra.Command, idHelp string, scope []string) {
	fs := cmd.Flags()
	fs.StringVar(&p.id, "client-id", "", idHelp)
	fs.StringVar(&p.secret, "client-secret", "", "secret of the client (default: $"+envClientSecret+")")
	fs.StringSliceVar(&p.scope, "scope", scope, "scopes to request")
	fs.StringSliceVar(&p.audience, "audience", nil, "audiences to request")
}

// secretOrEnv is --client-secret, else $SIGNET_CLIENT_SECRET.
func (p *performClient) secretOrEnv(env Env) string { return clientSecret(env, p.secret) }
