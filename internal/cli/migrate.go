package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/spf13/cobra"
)

// migrateFlags are shared by every migrate subcommand (Hydra's form:
// `migrate sql [DSN] [-e] [--yes]`).
type migrateFlags struct {
	fromEnv bool
	yes     bool
}

// newMigrateCmd is `signet migrate sql [up|down|status]` and
// `signet migrate status`.
func newMigrateCmd(env Env) *cobra.Command {
	var f migrateFlags
	root := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update the database schema",
	}
	root.PersistentFlags().BoolVarP(&f.fromEnv, "read-from-env", "e", false, "read the database DSN from the DSN environment variable")
	root.PersistentFlags().BoolVarP(&f.yes, "yes", "y", false, "apply without asking for confirmation")

	up := func(cmd *cobra.Command, args []string) error { return migrateUp(cmd.Context(), env, f, args) }
	status := func(cmd *cobra.Command, args []string) error { return migrateStatus(cmd.Context(), env, f, args) }
	sql := &cobra.Command{
		Use:   "sql [DSN]",
		Short: "Apply every pending migration (the same as `migrate sql up`)",
		Args:  cobra.MaximumNArgs(1),
		RunE:  up,
	}
	sql.AddCommand(
		&cobra.Command{Use: "up [DSN]", Short: "Apply every pending migration", Args: cobra.MaximumNArgs(1), RunE: up},
		&cobra.Command{Use: "down [DSN]", Short: "Roll back the newest applied migration (one step)", Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error { return migrateDown(cmd.Context(), env, f, args) }},
		&cobra.Command{Use: "status [DSN]", Short: "List applied and pending migrations", Args: cobra.MaximumNArgs(1), RunE: status},
	)
	root.AddCommand(sql, &cobra.Command{
		Use: "status [DSN]", Short: "List applied and pending migrations", Args: cobra.MaximumNArgs(1), RunE: status,
	})
	return root
}

// resolveDSN takes the DSN from the argument, or with -e from $DSN.
func resolveDSN(env Env, f migrateFlags, args []string) (string, error) {
	switch {
	case len(args) == 1 && f.fromEnv:
		return "", errors.New("give the DSN as an argument or with -e, not both")
	case len(args) == 1:
		return args[0], nil
	case f.fromEnv:
		if dsn := env.Getenv("DSN"); dsn != "" {
			return dsn, nil
		}
		return "", errors.New("-e was given but the DSN environment variable is empty")
	default:
		return "", errors.New("give the database DSN as an argument, or use -e to read it from the DSN environment variable")
	}
}

func openForMigration(ctx context.Context, env Env, f migrateFlags, args []string) (*sqlstore.Store, error) {
	dsn, err := resolveDSN(env, f, args)
	if err != nil {
		return nil, err
	}
	return sqlstore.Open(ctx, dsn, sqlstore.Options{SkipSchemaCheck: true, Log: newLogger(logDefaults(), env.Stderr)})
}

func migrateUp(ctx context.Context, env Env, f migrateFlags, args []string) error {
	s, err := openForMigration(ctx, env, f, args)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.Stdout, "The database schema is up to date; nothing to apply.")
		return nil
	}
	if !f.yes && !confirm(env, fmt.Sprintf("Apply %d pending migration(s) to the %s database?", n, s.Dialect())) {
		return errors.New("aborted: nothing was applied (use --yes to skip this question)")
	}
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Applied %d migration(s).\n", n)
	return nil
}

func migrateDown(ctx context.Context, env Env, f migrateFlags, args []string) error {
	s, err := openForMigration(ctx, env, f, args)
	if err != nil {
		return err
	}
	defer s.Close()
	if !f.yes && !confirm(env, fmt.Sprintf("Roll back the newest migration of the %s database? Data in dropped tables is lost.", s.Dialect())) {
		return errors.New("aborted: nothing was rolled back (use --yes to skip this question)")
	}
	if err := s.MigrateDown(ctx); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Rolled back one migration.")
	return nil
}

func migrateStatus(ctx context.Context, env Env, f migrateFlags, args []string) error {
	s, err := openForMigration(ctx, env, f, args)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATUS\tAPPLIED AT")
	for _, m := range st {
		state, at := "pending", "-"
		if m.Applied {
			state, at = "applied", m.AppliedAt.Format("2006-01-02 15:04:05Z07:00")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
	}
	return tw.Flush()
}

// confirm asks a yes/no question on stdin; anything but y/yes is no, and so
// is a closed stdin (CI), so nothing is applied unattended without --yes.
func confirm(env Env, question string) bool {
	fmt.Fprintf(env.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
