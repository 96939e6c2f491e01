package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/trust"
)

// trustPath is the collection of RFC 7523 trust relationships.
const trustPath = "/admin/trust/grants/jwt-bearer/issuers"

// maxJWKInput bounds the key read from a file or standard input; the
// server's own bound is smaller, so this only stops a runaway pipe.
const maxJWKInput = 64 << 10

// createTrust is POST …/issuers (trustOAuth2JwtGrantIssuer).
func (c *apiClient) createTrust(ctx context.Context, in *trust.Request) (*trust.GrantView, error) {
	var out trust.GrantView
	_, err := c.do(ctx, call{method: http.MethodPost, path: trustPath, in: in, out: &out})
	return &out, err
}

// trustFlags are the flags of create jwt-bearer-issuer.
type trustFlags struct {
	issuer, subject, jwk, expiresAt string
	anySubject                      bool
	scope                           []string
}

func (f *trustFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.issuer, "issuer", "", "the \"iss\" of the assertions to trust (required)")
	fl.StringVar(&f.subject, "subject", "", "the \"sub\" the issuer may assert (or --allow-any-subject)")
	fl.BoolVar(&f.anySubject, "allow-any-subject", false, "trust the issuer's assertions about any subject")
	fl.StringSliceVar(&f.scope, "scope", nil, "a scope the assertions may request; repeat or separate with commas")
	fl.StringVar(&f.jwk, "jwk", "", "file holding the issuer's public JWK, with a kid; - reads standard input (required)")
	fl.StringVar(&f.expiresAt, "expires-at", "", "when the trust ends, RFC 3339, e.g. 2030-01-01T00:00:00Z (required)")
}

// toRequest checks what the CLI can check alone and reads the key; the
// server validates the rest and names the field it refuses.
func (f *trustFlags) toRequest(stdin io.Reader) (*trust.Request, error) {
	if f.issuer == "" || f.jwk == "" || f.expiresAt == "" {
		return nil, fmt.Errorf("--issuer, --jwk and --expires-at are required")
	}
	if (f.subject == "") == !f.anySubject {
		return nil, fmt.Errorf("give exactly one of --subject and --allow-any-subject")
	}
	exp, err := time.Parse(time.RFC3339, f.expiresAt)
	if err != nil {
		return nil, fmt.Errorf("--expires-at must be an RFC 3339 time such as 2030-01-01T00:00:00Z")
	}
	key, err := readJWK(f.jwk, stdin)
	if err != nil {
		return nil, err
	}
	scope := f.scope
	if scope == nil {
		scope = []string{}
	}
	return &trust.Request{Issuer: f.issuer, Subject: f.subject, AllowAnySubject: f.anySubject,
		Scope: scope, JWK: key, ExpiresAt: exp}, nil
}

// readJWK reads one JSON value from path, or from stdin when path is "-".
func readJWK(path string, stdin io.Reader) (json.RawMessage, error) {
	var r io.Reader
	if path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("--jwk -: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--jwk: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxJWKInput+1))
	if err != nil {
		return nil, fmt.Errorf("--jwk: %w", err)
	}
	if len(b) > maxJWKInput {
		return nil, fmt.Errorf("--jwk: the key is longer than %d bytes", maxJWKInput)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--jwk: the key is not JSON")
	}
	return json.RawMessage(b), nil
}

func newCreateTrustCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	var f trustFlags
	cmd := &cobra.Command{
		Use:     "jwt-bearer-issuer",
		Aliases: []string{"jwt-bearer-issuers"},
		Short:   "Trust an issuer's JWT assertions for the RFC 7523 jwt-bearer grant",
		Long: "Create a trust relationship: assertions signed by --issuer with the key in --jwk, about\n" +
			"--subject (or any subject), may be exchanged for access tokens with at most --scope, until --expires-at.",
		Example: "  signet create jwt-bearer-issuer --issuer https://idp.example --subject alice \\\n" +
			"    --scope read --scope write --jwk idp-key.json --expires-at 2030-01-01T00:00:00Z",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := f.toRequest(env.Stdin)
			if err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			created, err := api.createTrust(cmd.Context(), in)
			if err != nil {
				return err
			}
			return render(env.Stdout, out, created, trustTable([]*trust.GrantView{created}))
		},
	}
	r.bind(cmd)
	f.bind(cmd)
	return cmd
}
