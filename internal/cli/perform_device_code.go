package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/client"
)

// signet perform device-code: the device authorization grant (RFC 8628)
// as a device would run it. It asks for a user code, prints where to enter
// it, and polls the token endpoint at the interval the server gives,
// slowing down by five seconds at every slow_down (section 3.5).

const (
	// tempDeviceClientName marks the clients --create-client leaves behind.
	tempDeviceClientName = "signet perform device-code"
	defaultPollInterval  = 5 * time.Second
	slowDownStep         = 5 * time.Second
)

// deviceCodeFlags are the command's flags.
type deviceCodeFlags struct {
	remote
	rp            performClient
	createClient  bool
	adminEndpoint string
	timeout       time.Duration
}

// deviceAuthorization is the server's section 3.2 answer.
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func newPerformDeviceCodeCmd(env Env) *cobra.Command {
	f := &deviceCodeFlags{remote: remote{env: env, port: publicPort}}
	cmd := &cobra.Command{
		Use:   "device-code",
		Short: "Get tokens with the device authorization grant (RFC 8628)",
		Long: "Ask for a user code, print where to enter it, and poll until the user has signed in and consented.\n\n" +
			"-e/--endpoint is the PUBLIC URL here (default: $" + envPublicURL + ", else " + defaultPublicURL + ").\n" +
			"Without --client-secret (or $" + envClientSecret + ") the client authenticates as a public client.\n" +
			"--create-client registers a public client for the device grant through the admin API (kept after the run).",
		Example: "  signet perform device-code --create-client\n" +
			"  signet perform device-code --client-id my-tv --scope openid,offline_access",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd.Context(), env) },
	}
	f.remote.bind(cmd)
	f.rp.bind(cmd, "ID of the client (required unless --create-client)", []string{"openid", "offline_access"})
	fs := cmd.Flags()
	fs.BoolVar(&f.createClient, "create-client", false, "create a public device client through the admin API (kept after the run)")
	fs.StringVar(&f.adminEndpoint, "admin-endpoint", "", "URL of the admin API for --create-client (default: $"+envAdminURL+", else "+defaultAdminURL+")")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to wait for the user")
	return cmd
}

func (f *deviceCodeFlags) check() error {
	switch {
	case f.createClient && f.rp.id != "":
		return errors.New("--client-id and --create-client exclude each other")
	case !f.createClient && f.rp.id == "":
		return errors.New("give --client-id (a client with the device_code grant type), or --create-client to create one")
	case f.timeout <= 0:
		return fmt.Errorf("--timeout %s: must be positive", f.timeout)
	}
	return nil
}

func (f *deviceCodeFlags) run(ctx context.Context, env Env) error {
	if err := f.check(); err != nil {
		return err
	}
	api, out, err := f.setup()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	id, secret := f.rp.id, f.rp.secretOrEnv(env)
	if f.createClient {
		if id, err = f.createDeviceClient(ctx, env); err != nil {
			return err
		}
		secret = ""
		fmt.Fprintf(env.Stderr, "Created the public client %s (reuse it with --client-id).\n", id)
	}
	da, err := api.deviceAuth(ctx, id, secret, f.rp.scope, f.rp.audience)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Open %s and enter the code %s\n(or open %s)\nWaiting up to %s (Ctrl-C cancels)...\n",
		da.VerificationURI, da.UserCode, da.VerificationURIComplete, f.timeout)
	tok, err := api.pollDevice(ctx, id, secret, da, time.After)
	if err != nil {
		return err
	}
	expires := ""
	if tok.ExpiresIn > 0 {
		expires = (time.Duration(tok.ExpiresIn) * time.Second).String()
	}
	t := table{
		header: []string{"ACCESS TOKEN", "TOKEN TYPE", "EXPIRES IN", "SCOPE", "REFRESH TOKEN", "ID TOKEN"},
		rows:   [][]string{{tok.AccessToken, tok.TokenType, expires, tok.Scope, tok.RefreshToken, tok.IDToken}},
	}
	return render(env.Stdout, out, tok, t)
}

// createDeviceClient registers a public client for the device grant.
func (f *deviceCodeFlags) createDeviceClient(ctx context.Context, env Env) (string, error) {
	admin := &remote{env: env, port: adminPort, endpoint: f.adminEndpoint}
	api, err := admin.client()
	if err != nil {
		return "", err
	}
	created, err := api.createClient(ctx, &client.Client{
		Name: tempDeviceClientName, GrantTypes: []string{client.GrantDeviceCode, client.GrantRefreshToken},
		Scope: strings.Join(f.rp.scope, " "), Audience: f.rp.audience, TokenEndpointAuthMethod: "none",
	})
	if err != nil {
		return "", fmt.Errorf("creating a client (--create-client): %w", err)
	}
	return created.ID, nil
}

// clientForm authenticates with Basic when there is a secret, else by
// client_id in the form (a public client).
func clientForm(form url.Values, id, secret string) *basicAuth {
	if secret != "" {
		return &basicAuth{id: id, secret: secret}
	}
	form.Set("client_id", id)
	return nil
}

// deviceAuth is the section 3.1 request.
func (c *apiClient) deviceAuth(ctx context.Context, id, secret string, scope, audience []string) (*deviceAuthorization, error) {
	form := url.Values{}
	if len(scope) > 0 {
		form.Set("scope", strings.Join(scope, " "))
	}
	if len(audience) > 0 {
		form.Set("audience", strings.Join(audience, " "))
	}
	var da deviceAuthorization
	k := call{method: http.MethodPost, path: "/oauth2/device/auth", form: form, basic: clientForm(form, id, secret), out: &da}
	if _, err := c.do(ctx, k); err != nil {
		return nil, err
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, errors.New("the device authorization endpoint answered without device_code, user_code or verification_uri")
	}
	return &da, nil
}

// pollDevice polls until the tokens come, the user refuses, the code
// expires or ctx ends. It waits the interval before every poll, as
// section 3.4 asks, and grows it at every slow_down. after is time.After
// (tests pass one that records the waits and returns at once).
func (c *apiClient) pollDevice(ctx context.Context, id, secret string, da *deviceAuthorization,
	after func(time.Duration) <-chan time.Time) (*tokenResponse, error) {
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = defaultPollInterval
	}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gave up waiting for the user: %w", ctx.Err())
		case <-after(interval):
		}
		form := url.Values{"grant_type": {client.GrantDeviceCode}, "device_code": {da.DeviceCode}}
		var tok tokenResponse
		_, err := c.do(ctx, call{method: http.MethodPost, path: "/oauth2/token", form: form,
			basic: clientForm(form, id, secret), out: &tok})
		var se *serverError
		switch {
		case errors.As(err, &se) && se.Code == "authorization_pending":
			continue
		case errors.As(err, &se) && se.Code == "slow_down":
			interval += slowDownStep
			continue
		case err != nil:
			return nil, err
		case tok.AccessToken == "":
			return nil, errors.New("the token endpoint answered without an access_token")
		}
		return &tok, nil
	}
}
