package cli

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// Where the remote commands find the server when neither -e/--endpoint nor
// the environment says otherwise: the default ports of serve on loopback.
const (
	envAdminURL      = "SIGNET_ADMIN_URL"
	envPublicURL     = "SIGNET_PUBLIC_URL"
	defaultAdminURL  = "http://127.0.0.1:4445"
	defaultPublicURL = "http://127.0.0.1:4444"
)

// port says which of the two listeners a command talks to.
type port int

const (
	adminPort port = iota
	publicPort
)

// remote holds the flags every command that talks to a running server
// shares: where the server is and how to print the answer. Each command owns
// its own remote value, bound to its own flag set, so nothing is shared
// between invocations.
type remote struct {
	env      Env
	port     port
	endpoint string
	format   string
}

// bind registers -e/--endpoint and --format on cmd.
func (r *remote) bind(cmd *cobra.Command) {
	envKey, def, what := r.source()
	cmd.Flags().StringVarP(&r.endpoint, "endpoint", "e", "",
		fmt.Sprintf("URL of the %s API (default: $%s, else %s)", what, envKey, def))
	cmd.Flags().StringVar(&r.format, "format", string(formatTable),
		"output format: table, json or json-pretty")
}

func (r *remote) source() (envKey, def, what string) {
	if r.port == publicPort {
		return envPublicURL, defaultPublicURL, "public"
	}
	return envAdminURL, defaultAdminURL, "admin"
}

// baseURL resolves the endpoint: the flag wins, then the environment, then
// the loopback default. The error names where a bad value came from.
func (r *remote) baseURL() (*url.URL, error) {
	envKey, def, what := r.source()
	raw, from := r.endpoint, "--endpoint"
	if raw == "" && r.env.Getenv != nil {
		raw, from = r.env.Getenv(envKey), "$"+envKey
	}
	if raw == "" {
		raw, from = def, "the default"
	}
	u, err := parseEndpoint(raw)
	if err != nil {
		return nil, fmt.Errorf("%s endpoint %q (from %s): %w", what, raw, from, err)
	}
	return u, nil
}

// parseEndpoint accepts an absolute http(s) URL, optionally with a path
// prefix (for a server behind a reverse proxy), and nothing else: a query
// or fragment would be silently lost when paths are appended.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme must be http or https")
	case u.Host == "":
		return nil, fmt.Errorf("missing host")
	case u.User != nil:
		return nil, fmt.Errorf("credentials in the URL are not supported")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("must not carry a query or fragment")
	}
	return u, nil
}

// client builds the API client for this command's endpoint.
func (r *remote) client() (*apiClient, error) {
	u, err := r.baseURL()
	if err != nil {
		return nil, err
	}
	return newAPIClient(u), nil
}

// output validates --format before any request is sent, so a typo never
// costs a server round trip (or, worse, a created client nobody sees).
func (r *remote) output() (format, error) {
	return parseFormat(r.format)
}

// setup resolves both the client and the output format.
func (r *remote) setup() (*apiClient, format, error) {
	f, err := r.output()
	if err != nil {
		return nil, "", err
	}
	c, err := r.client()
	if err != nil {
		return nil, "", err
	}
	return c, f, nil
}

// checkIDs rejects IDs that cannot name a resource in a URL path: empty
// ones, and "." or ".." which HTTP servers and proxies resolve as path
// segments instead of passing them through.
func checkIDs(kind string, ids []string) error {
	for _, id := range ids {
		if id == "" || id == "." || id == ".." {
			return fmt.Errorf("%q is not a valid %s", id, kind)
		}
	}
	return nil
}
