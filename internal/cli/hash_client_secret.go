package cli

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/secret"
)

// maxPipedSecret bounds the line read from standard input.
const maxPipedSecret = 4096

// newHashClientSecretCmd is `signet hash client-secret`: the hash to put in
// clients.declared[].client_secret_hash, so that a configuration file
// never holds the plaintext (docs/instances.md). The secret is read from
// standard input, not from an argument, which other users of the machine
// could see in the process list.
func newHashClientSecretCmd(env Env) *cobra.Command {
	var h secret.Hasher
	cmd := &cobra.Command{
		Use:   "client-secret",
		Short: "Hash a client secret read from standard input, for clients.declared[].client_secret_hash",
		Example: `  printf '%s' "$SECRET" | signet hash client-secret
  printf '%s' "$SECRET" | signet hash client-secret --algorithm bcrypt`,
		// Not cobra.NoArgs, whose message would echo a secret given here.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return errors.New("the secret is read from standard input, never from an argument, which the process list shows")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			plain, err := readSecretLine(env)
			if err != nil {
				return err
			}
			h.Rand = rand.Reader
			hash, err := h.Hash(plain)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Stdout, hash)
			return err
		},
	}
	cmd.Flags().StringVar(&h.Algorithm, "algorithm", "pbkdf2", "pbkdf2 or bcrypt (oauth2.hashers.algorithm)")
	cmd.Flags().IntVar(&h.PBKDF2Iterations, "iterations", 25000, "pbkdf2 iterations (oauth2.hashers.pbkdf2.iterations)")
	cmd.Flags().IntVar(&h.BCryptCost, "cost", 10, "bcrypt cost (oauth2.hashers.bcrypt.cost)")
	return cmd
}

// readSecretLine reads the secret: the first line of standard input,
// without its line ending.
func readSecretLine(env Env) (string, error) {
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 0, 256), maxPipedSecret)
	switch {
	case sc.Scan() && sc.Text() != "":
		return sc.Text(), nil
	case errors.Is(sc.Err(), bufio.ErrTooLong):
		return "", fmt.Errorf("the secret on standard input is longer than %d bytes", maxPipedSecret)
	case sc.Err() != nil:
		return "", fmt.Errorf("reading the secret from standard input: %w", sc.Err())
	}
	return "", errors.New("no secret on standard input: pipe it in, e.g. printf '%s' \"$SECRET\" | signet hash client-secret")
}
