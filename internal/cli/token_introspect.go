package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// introspect is POST /admin/oauth2/introspect (RFC 7662 on the admin port).
func (c *apiClient) introspect(ctx context.Context, token string, scope []string) (json.RawMessage, error) {
	form := url.Values{"token": {token}}
	if len(scope) > 0 {
		form.Set("scope", strings.Join(scope, " "))
	}
	var raw json.RawMessage
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/admin/oauth2/introspect", form: form, out: &raw})
	return raw, err
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
	var scope []string
	cmd := &cobra.Command{
		Use:   "token TOKEN",
		Short: "Introspect an access or refresh token (RFC 7662)",
		Long: "Ask the admin API whether a token is active and what it grants.\n\n" +
			"Pass - as TOKEN to read it from standard input, keeping it out of shell history.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			tok, err := tokenArg(env, args[0])
			if err != nil {
				return err
			}
			raw, err := api.introspect(cmd.Context(), tok, scope)
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
	cmd.Flags().StringSliceVar(&scope, "scope", nil, "scopes the token must hold to count as active")
	return cmd
}
