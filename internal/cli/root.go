package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/spf13/cobra"
)

// Env is what a command may read from outside: the process environment and
// its standard streams. Passing it explicitly keeps commands testable.
type Env struct {
	Getenv  func(string) string
	Environ func() []string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	root := newRoot(env)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintln(env.Stderr, "Error:", err)
		return 1
	}
	return 0
}

// exitError carries a specific exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "signet",
		Short:         "Signet is an OAuth 2.0 and OpenID Connect provider",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(env), newMigrateCmd(env), newJanitorCmd(env), newRotateCmd(env), newVersionCmd(env))
	for _, c := range adminCommands(env) {
		root.AddCommand(c)
	}
	return root
}

func newVersionCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := app.BuildInfo()
			fmt.Fprintf(env.Stdout, "signet %s\n", b.Version)
			fmt.Fprintf(env.Stdout, "commit:     %s\n", orUnknown(b.Commit))
			fmt.Fprintf(env.Stdout, "built:      %s\n", orUnknown(b.BuildDate))
			fmt.Fprintf(env.Stdout, "go:         %s %s\n", b.GoVersion, b.Platform)
			return nil
		},
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
