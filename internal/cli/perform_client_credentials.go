package cli

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// issuedToken is the output of perform client-credentials.
type issuedToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresIn   int64     `json:"expires_in,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Scope       string    `json:"scope,omitempty"`
}

// clientCredentials runs the RFC 6749 §4.4 grant against the public token
// endpoint with golang.org/x/oauth2, the same library relying parties use,
// so the CLI exercises the server the way they do. x/oauth2 tries
// client_secret_basic first and falls back to client_secret_post.
func (c *apiClient) clientCredentials(ctx context.Context, id, secret string, scope, audience []string) (*issuedToken, error) {
	cfg := clientcredentials.Config{
		ClientID:     id,
		ClientSecret: secret,
		TokenURL:     c.resolve("/oauth2/token", nil).String(),
		Scopes:       scope,
	}
	if len(audience) > 0 {
		cfg.EndpointParams = url.Values{"audience": {strings.Join(audience, " ")}}
	}
	// x/oauth2 takes its HTTP client only from the context.
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, c.http))
	if err != nil {
		return nil, tokenEndpointError(err)
	}
	scopeOut, _ := tok.Extra("scope").(string)
	return &issuedToken{
		AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		ExpiresIn: expiresIn(tok), Expiry: tok.Expiry.UTC(), Scope: scopeOut,
	}, nil
}

// expiresIn reads expires_in as the server sent it. clientcredentials keeps
// only the derived Expiry in the Token, and a lifetime the server stated is
// more useful to print than one recomputed against the local clock.
func expiresIn(tok *oauth2.Token) int64 {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// tokenEndpointError turns x/oauth2's error into the CLI's error shape.
func tokenEndpointError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	se := &serverError{Status: re.Response.StatusCode, Code: re.ErrorCode, Description: re.ErrorDescription}
	if se.Code == "" {
		se.Description = snippet(re.Body)
	}
	return se
}

func newPerformClientCredentialsCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: publicPort}
	var p performClient
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
			tok, err := api.clientCredentials(cmd.Context(), p.id, p.secretOrEnv(env), p.scope, p.audience)
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
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}
