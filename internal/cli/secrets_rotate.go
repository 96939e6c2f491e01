package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

const (
	defaultResealBatch = 100
	maxResealBatch     = 10000
)

// newRotateCmd is the `signet rotate` verb. Rotating signing keys needs no
// command of its own: `signet create jwks` adds a key that signs at once,
// and keys.rotation.* does it on a schedule.
func newRotateCmd(env Env) *cobra.Command {
	return verb("rotate", "Finish a rotation of secrets.system", newRotateSecretsCmd(env))
}

// newRotateSecretsCmd is `signet rotate secrets`: the last step of a
// secrets.system rotation (docs/key-rotation.md).
func newRotateSecretsCmd(env Env) *cobra.Command {
	var (
		files  []string
		batch  int
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Re-encrypt stored keys and client secrets with the first secrets.system entry",
		Long: `Finish a rotation of secrets.system. With the new secret first in the list and
the old ones after it (on every running instance), this re-encrypts with the
first secret every value stored encrypted: the private halves of all JSON Web
Keys, and the secrets of client_secret_jwt clients, rotated ones included.

It reads the configuration as "signet serve" does (-c files, then environment
variables such as DSN and SECRETS_SYSTEM), works in batches, and is safe to
run while Signet serves and to run again: values already encrypted with the
first secret are left alone, and a value changed meanwhile (through the admin
API) is not overwritten. It exits non-zero when such a value was skipped (run
it again) or when a value opens with no configured secret (it names them).

Removing the old secret afterwards is safe for stored values. Opaque tokens,
codes, login and consent challenges and session cookies are not stored
encrypted; docs/key-rotation.md says how long to keep the old secret for them.`,
		Example: `  SECRETS_SYSTEM=new-secret,old-secret signet rotate secrets -c /etc/signet/signet.yaml
  signet rotate secrets -c /etc/signet/signet.yaml --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 || batch > maxResealBatch {
				return fmt.Errorf("--batch-size must be between 1 and %d (got %d)", maxResealBatch, batch)
			}
			return runRotateSecrets(cmd.Context(), env, files, batch, dryRun)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&files, "config", "c", nil, "configuration file (YAML or JSON); repeatable, later files win")
	fl.IntVar(&batch, "batch-size", defaultResealBatch, fmt.Sprintf("values read per query (1 to %d)", maxResealBatch))
	fl.BoolVar(&dryRun, "dry-run", false, "count what would be re-encrypted, write nothing")
	return cmd
}

func runRotateSecrets(ctx context.Context, env Env, files []string, batch int, dryRun bool) error {
	cfg, _, err := config.Loader{Rand: rand.Reader, SkipValidation: true}.Load(files, env.Environ(), false)
	if err != nil {
		return err
	}
	keyring, err := secret.NewKeyring(cfg.Secrets.System, rand.Reader)
	if err != nil {
		return fmt.Errorf("secrets.system: %w", err)
	}
	if err := checkJanitorDSN(cfg.DSN); err != nil {
		return err
	}
	s, err := sqlstore.Open(ctx, cfg.DSN, sqlstore.Options{Log: newLogger(logDefaults(), env.Stderr)})
	if err != nil {
		return err
	}
	defer s.Close()
	if len(cfg.Secrets.System) == 1 {
		fmt.Fprintln(env.Stdout, "secrets.system holds one secret: checking that every stored value opens with it.")
	}
	var stores resealStores = s
	if dryRun {
		stores = dryRunStores{s}
	}
	keys, clients, err := resealAll(ctx, stores, keyring, batch, env.Stdout, env.Stderr)
	if err != nil {
		return err
	}
	return resealOutcome(env.Stdout, keys, clients, dryRun)
}

// resealStores is what the command needs of the database.
type resealStores interface {
	jwk.ResealStore
	client.ResealStore
}

// resealAll re-encrypts the keys, then the client secrets, printing a
// progress line per batch to out and each unreadable value to errOut.
func resealAll(ctx context.Context, s resealStores, k *secret.Keyring, batch int, out, errOut io.Writer) (keys, clients secret.ResealCount, err error) {
	report := func(what string) secret.ResealReport {
		return secret.ResealReport{
			OnProgress: func(c secret.ResealCount) {
				fmt.Fprintf(out, "%s: %d checked, %d re-encrypted so far\n", what, c.Checked, c.Resealed)
			},
			OnUnreadable: func(name string) {
				fmt.Fprintf(errOut, "%s: no configured secret opens %s\n", what, name)
			},
		}
	}
	if keys, err = jwk.ResealKeys(ctx, s, k, batch, report("keys")); err != nil {
		return keys, clients, err
	}
	clients, err = client.ResealClients(ctx, s, k, batch, report("client secrets"))
	return keys, clients, err
}

// resealOutcome prints the totals and fails when the old secret cannot be
// removed yet.
func resealOutcome(w io.Writer, keys, clients secret.ResealCount, dryRun bool) error {
	done := "re-encrypted"
	if dryRun {
		done = "to re-encrypt"
	}
	for _, row := range []struct {
		what string
		c    secret.ResealCount
	}{{"private keys", keys}, {"client secrets", clients}} {
		fmt.Fprintf(w, "%-15s %d checked, %d %s, %d already current, %d changed meanwhile, %d unreadable\n",
			row.what+":", row.c.Checked, row.c.Resealed, done, row.c.Current, row.c.Raced, row.c.Unreadable)
	}
	total := keys.Add(clients)
	switch {
	case total.Unreadable > 0:
		return fmt.Errorf("%d stored value(s) open with no configured secret (listed above): put back the secret that sealed them, or replace those keys and client secrets", total.Unreadable)
	case total.Raced > 0:
		return fmt.Errorf("%d value(s) changed while this ran and were left alone: run the command again", total.Raced)
	case dryRun:
		fmt.Fprintln(w, "Dry run: nothing was written.")
	default:
		fmt.Fprintln(w, "Every stored value is encrypted with the first secret of secrets.system.")
	}
	return nil
}

// dryRunStores reads from the database and pretends every swap succeeds.
type dryRunStores struct{ *sqlstore.Store }

func (dryRunStores) SwapSealedKey(context.Context, string, string, []byte, []byte) (bool, error) {
	return true, nil
}

func (dryRunStores) SwapCredentials(context.Context, string, client.Credentials, client.Credentials) (bool, error) {
	return true, nil
}
