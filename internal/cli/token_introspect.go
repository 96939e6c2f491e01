package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// introspection holds the members of the contract's introspectedOAuth2Token
// that the table shows; the JSON output is the server's answer verbatim.
type introspection struct {
	Active   bool   `json:"active"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Exp      int64  `json:"exp"`
	TokenUse string `json:"token_use"`
}

func introspectionTable(raw json.RawMessage) (table, error) {
	var in introspection
	if err := json.Unmarshal(raw, &in); err != nil {
		return table{}, fmt.Errorf("the introspection answer is not a JSON object: %w", err)
	}
	exp := ""
	if in.Exp > 0 {
		exp = time.Unix(in.Exp, 0).UTC().Format(time.RFC3339)
	}
	return table{
		header: []string{"ACTIVE", "SUBJECT", "CLIENT ID", "SCOPE", "EXPIRES AT", "TOKEN USE"},
		rows:   [][]string{{strconv.FormatBool(in.Active), in.Subject, in.ClientID, in.Scope, exp, in.TokenUse}},
	}, nil
}

func newIntrospectTokenCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var o introspectionOptions
	var public bool
	var p performClient
	cmd := &cobra.Command{
		Use:   "token TOKEN",
		Short: "Introspect an access or refresh token (RFC 7662)",
		Long: "Ask the admin API whether a token is active and what it grants.\n\n" +
			"Pass - as TOKEN to read it from standard input, keeping it out of shell history.\n\n" +
			"--jwt asks for a signed answer (RFC 9701) and verifies it with the server's keys.\n" +
			"--public asks the public endpoint instead, as the client --client-id (secret from\n" +
			"--client-secret or $" + envClientSecret + "); -e/--endpoint is then the PUBLIC URL\n" +
			"(default: $" + envPublicURL + ", else " + defaultPublicURL + ").",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if public {
				if p.id == "" {
					return fmt.Errorf("--public needs --client-id")
				}
				r.port, o.client = publicPort, &basicAuth{id: p.id, secret: p.secretOrEnv(env)}
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			tok, err := tokenArg(env, args[0])
			if err != nil {
				return err
			}
			raw, err := api.introspectWith(cmd.Context(), tok, o)
			if err != nil {
				return err
			}
			t, err := introspectionTable(raw)
			if err != nil {
				return err
			}
			return render(env.Stdout, out, raw, t)
		},
	}
	r.bind(cmd)
	fs := cmd.Flags()
	fs.StringSliceVar(&o.scope, "scope", nil, "scopes the token must hold to count as active")
	fs.BoolVar(&o.jwt, "jwt", false, "ask for a signed JWT answer (RFC 9701) and verify it")
	fs.BoolVar(&public, "public", false, "introspect on the public port, authenticated as a client")
	fs.StringVar(&p.id, "client-id", "", "client to authenticate as, with --public")
	fs.StringVar(&p.secret, "client-secret", "", "secret of the client (default: $"+envClientSecret+")")
	return cmd
}
