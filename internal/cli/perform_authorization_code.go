package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/client"
)

// `signet perform authorization-code` signs a person in through a browser
// as a relying party on this machine would (RFC 6749 section 4.1 with PKCE,
// OpenID Connect Core section 3.1): it listens on a loopback redirect URI,
// prints the authorization URL, exchanges the code, verifies the ID token
// against the provider's JWKS and prints the tokens and claims. It uses no
// OAuth library, so what it checks is written out in perform_*.go.

const (
	defaultCallbackPort = 5555
	defaultFlowTimeout  = 5 * time.Minute
	// tempClientName marks the clients --create-client leaves behind.
	tempClientName = "signet perform authorization-code"
)

// authCodeFlags are the command's flags.
type authCodeFlags struct {
	remote
	rp            performClient // the relying party: which client acts, what it asks for
	createClient  bool
	adminEndpoint string
	port          int
	portSet       bool
	redirect      string
	noOpen        bool
	timeout       time.Duration
	prompt        string
	maxAge        int
	// par pushes the request first (RFC 9126, perform_par.go).
	par bool
}

func newPerformAuthorizationCodeCmd(env Env) *cobra.Command {
	f := &authCodeFlags{remote: remote{env: env, port: publicPort}}
	cmd := &cobra.Command{
		Use:   "authorization-code",
		Short: "Sign in through a browser with the authorization code flow and verify the ID token",
		Long: "Act as an OpenID Connect client on this machine: listen for the callback on\n" +
			"http://127.0.0.1:" + strconv.Itoa(defaultCallbackPort) + "/callback, print the URL to open (and open it where a\n" +
			"browser exists), check state, exchange the code with PKCE (S256), verify the\n" +
			"ID token against the provider's JWKS, and print the tokens and the claims.\n\n" +
			"-e/--endpoint is the PUBLIC URL here (default: $" + envPublicURL + ", else " + defaultPublicURL + ").\n" +
			"The client (--client-id) needs the callback among its redirect URIs; Signet\n" +
			"matches a loopback redirect URI on any port (RFC 8252), so a client registered\n" +
			"with http://127.0.0.1:5555/callback also works with --port 0. --create-client\n" +
			"creates such a client through the admin API and keeps it for later runs.",
		Example: "  signet perform authorization-code --create-client\n" +
			"  signet perform authorization-code --client-id my-app --scope openid,offline_access,email",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.portSet = cmd.Flags().Changed("port")
			return f.run(cmd.Context(), env)
		},
	}
	f.remote.bind(cmd)
	f.rp.bind(cmd, "ID of the client (required unless --create-client)", []string{"openid", "offline_access"})
	fs := cmd.Flags()
	fs.BoolVar(&f.createClient, "create-client", false, "create a client for this callback through the admin API (kept after the run)")
	fs.StringVar(&f.adminEndpoint, "admin-endpoint", "", "URL of the admin API for --create-client (default: $"+envAdminURL+", else "+defaultAdminURL+")")
	fs.IntVar(&f.port, "port", defaultCallbackPort, "port on 127.0.0.1 to receive the callback on; 0 picks a free one")
	fs.StringVar(&f.redirect, "redirect", "", "redirect URI to send instead of http://127.0.0.1:PORT/callback (its path is served on --port)")
	fs.BoolVar(&f.noOpen, "no-open", false, "only print the URL; do not try to open a browser")
	fs.DurationVar(&f.timeout, "timeout", defaultFlowTimeout, "how long to wait for the sign-in")
	fs.StringVar(&f.prompt, "prompt", "", "OpenID Connect prompt, e.g. login or consent")
	fs.IntVar(&f.maxAge, "max-age", -1, "OpenID Connect max_age in seconds; negative leaves it out")
	fs.BoolVar(&f.par, "par", false, "push the request to /oauth2/par first (RFC 9126); the browser then carries only client_id and request_uri")
	return cmd
}

// check refuses contradictory flags before anything is sent.
func (f *authCodeFlags) check() error {
	switch {
	case f.createClient && f.rp.id != "":
		return errors.New("--client-id and --create-client exclude each other: use an existing client, or create one")
	case f.createClient && f.rp.secret != "":
		return errors.New("--client-secret does not go with --create-client: the server generates the new client's secret")
	case !f.createClient && f.rp.id == "":
		return errors.New("give --client-id (a client whose redirect URIs include the callback), or --create-client to create one")
	case f.timeout <= 0:
		return fmt.Errorf("--timeout %s: must be positive", f.timeout)
	}
	return nil
}

// authCodeSetup is what the flags resolve to before any request is sent.
type authCodeSetup struct {
	out        format
	plan       callbackPlan
	pub, admin *apiClient // admin only with --create-client
}

// resolve checks every flag and endpoint, so a typo costs no request.
func (f *authCodeFlags) resolve(env Env) (*authCodeSetup, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	s := &authCodeSetup{}
	var err error
	if s.out, err = f.output(); err != nil {
		return nil, err
	}
	if s.plan, err = planCallback(f.port, f.portSet, f.redirect); err != nil {
		return nil, err
	}
	if s.pub, err = f.remote.client(); err != nil {
		return nil, err
	}
	if f.createClient {
		if s.admin, err = f.adminAPI(env); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (f *authCodeFlags) run(ctx context.Context, env Env) error {
	s, err := f.resolve(env)
	if err != nil {
		return err
	}
	disc, err := s.pub.discover(ctx)
	if err != nil {
		return err
	}
	algs, err := idTokenAlgs(disc.IDTokenSigningAlgs)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.plan.listen)
	if err != nil {
		return fmt.Errorf("listening for the callback on %s: %w (is another sign-in running? --port chooses another port)", s.plan.listen, err)
	}
	srv := startCallback(l, s.plan.path)
	defer srv.close()
	redirectURI := s.plan.redirectURI(l.Addr())

	res := &authorizationCodeResult{ClientID: f.rp.id}
	secret := f.rp.secretOrEnv(env)
	if f.createClient {
		if secret, err = f.createTempClient(ctx, env, s.admin, redirectURI, res); err != nil {
			return err
		}
	}
	req := newAuthRequest(res.ClientID, redirectURI, f.rp.scope, f.rp.audience)
	req.prompt, req.maxAge = f.prompt, f.maxAge
	authURL, err := req.url(disc.AuthorizationEndpoint)
	if f.par && err == nil {
		authURL, err = s.pub.pushAuthorization(ctx, disc, req, secret)
	}
	if err != nil {
		return err
	}
	f.announce(env, redirectURI, authURL)

	a, err := srv.wait(ctx, f.timeout)
	if err != nil {
		return err
	}
	subject, err := completeSignIn(ctx, env.Stderr, s.pub, signIn{disc: disc, algs: algs, req: req, secret: secret}, a.rawQuery, res)
	a.reply <- outcome{subject: subject, err: err} // the browser's page
	if err != nil {
		return err
	}
	return res.write(env.Stdout, s.out)
}

// announce tells the user where to go. The URL is printed only once the
// listener is up, so whoever follows it (a person, or a test) finds the
// callback served.
func (f *authCodeFlags) announce(env Env, redirectURI, authURL string) {
	w := env.Stderr
	fmt.Fprintf(w, "Listening for the callback on %s\n", redirectURI)
	fmt.Fprintf(w, "Open this URL in a browser to sign in:\n\n  %s\n\n", authURL)
	if !f.noOpen {
		if msg := openBrowser(env, authURL); msg != "" {
			fmt.Fprintln(w, msg)
		}
	}
	fmt.Fprintf(w, "Waiting up to %s for the sign-in (Ctrl-C cancels)...\n", f.timeout)
}

// createTempClient registers a confidential client for this callback and
// the requested scopes. It is kept: deleting it would revoke the tokens
// just printed, and a kept client can be reused with --client-id.
func (f *authCodeFlags) createTempClient(ctx context.Context, env Env, admin *apiClient, redirectURI string, res *authorizationCodeResult) (string, error) {
	created, err := admin.createClient(ctx, &client.Client{
		Name:                    tempClientName,
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   strings.Join(f.rp.scope, " "),
		Audience:                f.rp.audience,
		RedirectURIs:            []string{redirectURI},
		TokenEndpointAuthMethod: "client_secret_basic",
	})
	if err != nil {
		return "", fmt.Errorf("creating a client (--create-client): %w", err)
	}
	if created.ID == "" || created.Secret == "" {
		return "", errors.New("creating a client (--create-client): the admin API returned no client_id or client_secret")
	}
	res.ClientID, res.ClientSecret = created.ID, created.Secret
	fmt.Fprintf(env.Stderr, "Created client %s for %s. It is kept (its secret is in the output); delete it with: signet delete client %s\n",
		sanitizeLine(created.ID), redirectURI, sanitizeLine(created.ID))
	return created.Secret, nil
}

// adminAPI is the admin API for --create-client: --admin-endpoint, else
// $SIGNET_ADMIN_URL, else the loopback default.
func (f *authCodeFlags) adminAPI(env Env) (*apiClient, error) {
	if f.adminEndpoint == "" {
		return (&remote{env: env, port: adminPort}).client()
	}
	u, err := parseEndpoint(f.adminEndpoint)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint %q (from --admin-endpoint): %w", f.adminEndpoint, err)
	}
	return newAPIClient(u), nil
}

// signIn is what completing the sign-in needs from before the callback.
type signIn struct {
	disc   *discovery
	algs   []jose.SignatureAlgorithm
	req    *authRequest
	secret string
}

// completeSignIn checks the callback, exchanges the code and verifies the
// ID token, filling res. It returns the ID token's subject for the page.
func completeSignIn(ctx context.Context, log io.Writer, pub *apiClient, s signIn, rawQuery string, res *authorizationCodeResult) (string, error) {
	code, err := readCallback(rawQuery, s.req.state, s.disc.Issuer)
	if err != nil {
		return "", err
	}
	fmt.Fprintln(log, "Callback received; exchanging the code at the token endpoint.")
	tok, err := pub.exchangeCode(ctx, s.req.clientID, s.secret, code, s.req.redirectURI, s.req.pkce.verifier)
	if err != nil {
		return "", err
	}
	now := time.Now()
	res.setToken(tok, now)
	if tok.IDToken == "" {
		if slices.Contains(s.req.scope, "openid") {
			if !slices.Contains(strings.Fields(tok.Scope), "openid") {
				return "", fmt.Errorf("no ID token: openid was requested but not granted (granted scope: %q); was it unticked at consent?", tok.Scope)
			}
			return "", errors.New("the token endpoint sent no id_token although openid was granted")
		}
		fmt.Fprintln(log, "No ID token: the scope does not include openid.")
		return "", nil
	}
	keys, err := pub.keySet(ctx)
	if err != nil {
		return "", err
	}
	v, err := verifyIDToken(tok.IDToken, keys, idTokenRules{
		Issuer: s.disc.Issuer, ClientID: s.req.clientID, Nonce: s.req.nonce,
		Algs: s.algs, AccessToken: tok.AccessToken, Now: now,
	})
	if err != nil {
		return "", fmt.Errorf("verifying the ID token: %w", err)
	}
	res.IDTokenClaims = v.Claims
	fmt.Fprintf(log, "ID token verified: %s signature by key %q; iss, aud, exp, iat and nonce checked.\n", v.Algorithm, sanitizeLine(v.KeyID))
	return v.Subject, nil
}

// callbackPlan is where the callback is received: the address to listen
// on, the path to serve, and the redirect URI to send ("" derives it from
// the listener, which matters for --port 0).
type callbackPlan struct {
	listen, path, redirect string
}

// planCallback resolves --port and --redirect. A loopback --redirect with a
// port is listened on at that port unless --port was given too.
func planCallback(port int, portSet bool, redirect string) (callbackPlan, error) {
	if port < 0 || port > 65535 {
		return callbackPlan{}, fmt.Errorf("--port %d: want 0 (any free port) to 65535", port)
	}
	p := callbackPlan{listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), path: "/callback"}
	if redirect == "" {
		return p, nil
	}
	u, err := url.Parse(redirect)
	switch {
	case err != nil:
		return p, fmt.Errorf("--redirect %q: not a URL", redirect)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return p, fmt.Errorf("--redirect %q: want an absolute http or https URL", redirect)
	case u.Fragment != "" || u.User != nil:
		return p, fmt.Errorf("--redirect %q: must carry no fragment and no credentials", redirect)
	}
	p.redirect, p.path = u.String(), u.Path
	if p.path == "" {
		p.path = "/"
	}
	if h := u.Hostname(); !portSet && u.Port() != "" && (h == "127.0.0.1" || h == "::1" || h == "localhost") {
		p.listen = net.JoinHostPort("127.0.0.1", u.Port())
	}
	return p, nil
}

// redirectURI is the redirect URI for a listener at addr.
func (p callbackPlan) redirectURI(addr net.Addr) string {
	if p.redirect != "" {
		return p.redirect
	}
	return "http://" + addr.String() + p.path
}
