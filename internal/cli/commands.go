package cli

import "github.com/spf13/cobra"

// adminCommands is the verb-noun tree of the commands that talk to a
// running server, mirroring Hydra's CLI: `signet create client`, `signet
// get jwks`, `signet perform client-credentials`… Admin commands use the
// admin URL (-e/--endpoint, else $SIGNET_ADMIN_URL, else
// http://127.0.0.1:4445); perform client-credentials, perform
// authorization-code and revoke token act as a client and use the public
// URL (-e/--endpoint, else $SIGNET_PUBLIC_URL, else http://127.0.0.1:4444).
func adminCommands(env Env) []*cobra.Command {
	return []*cobra.Command{
		verb("create", "Create a client, a key set or a trusted jwt-bearer issuer",
			newCreateClientCmd(env), newCreateJWKSCmd(env), newCreateTrustCmd(env)),
		verb("get", "Show clients, a key set or trusted jwt-bearer issuers",
			newGetClientCmd(env), newGetJWKSCmd(env), newGetTrustCmd(env)),
		verb("list", "List clients or trusted jwt-bearer issuers",
			newListClientsCmd(env), newListTrustCmd(env)),
		verb("update", "Replace a client",
			newUpdateClientCmd(env)),
		verb("delete", "Delete clients, key sets, a client's tokens or trusted jwt-bearer issuers",
			newDeleteClientCmd(env), newDeleteJWKSCmd(env), newDeleteTokensCmd(env), newDeleteTrustCmd(env)),
		verb("perform", "Run an OAuth 2.0 flow as a client",
			newPerformClientCredentialsCmd(env), newPerformAuthorizationCodeCmd(env), newPerformDeviceCodeCmd(env)),
		verb("introspect", "Introspect tokens",
			newIntrospectTokenCmd(env)),
		verb("revoke", "Revoke tokens",
			newRevokeTokenCmd(env)),
		verb("hash", "Hash a client secret for the configuration file",
			newHashClientSecretCmd(env)),
	}
}

// verb groups noun subcommands. Run without one it prints its help; with
// an unknown noun it fails, so a typo in a script is not a silent success.
func verb(name, short string, nouns ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use: name, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(nouns...)
	return cmd
}
