package cli

import (
	"fmt"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/spf13/cobra"
)

// newServeCmd is `signet serve all|public|admin`.
func newServeCmd(env Env) *cobra.Command {
	var (
		files []string
		dev   bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the public API (port 4444), the admin API (port 4445), or both",
		Long: `Run Signet. "serve all" runs both APIs in one process; "serve public" and
"serve admin" run one each, for deployments that expose them differently.

Configuration comes from the files given with -c (later files win) and from
environment variables named after the keys (urls.self.issuer is
URLS_SELF_ISSUER). With no configuration at all and --dev, Signet runs on an
SQLite file in the working directory with a generated system secret.`,
	}
	cmd.PersistentFlags().StringArrayVarP(&files, "config", "c", nil, "configuration file (YAML or JSON); repeatable, later files win")
	cmd.PersistentFlags().BoolVar(&dev, "dev", false, "development mode: allow an http issuer and generate a system secret if none is set (never in production)")
	// Accepted so that Hydra's command lines work unchanged; Signet sends no telemetry.
	cmd.PersistentFlags().Bool("sqa-opt-out", false, "accepted for compatibility; Signet collects no usage statistics")

	for _, which := range []struct{ name, short string }{
		{"all", "Run the public and the admin API"},
		{"public", "Run only the public API"},
		{"admin", "Run only the admin API"},
	} {
		serving := app.Serving{Public: which.name != "admin", Admin: which.name != "public"}
		cmd.AddCommand(&cobra.Command{
			Use:   which.name,
			Short: which.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runServe(cmd, env, files, dev, serving)
			},
		})
	}
	return cmd
}

func runServe(cmd *cobra.Command, env Env, files []string, dev bool, serving app.Serving) error {
	environ := env.Environ()
	cfg, warnings, err := config.Load(files, environ, dev)
	if err != nil {
		return err
	}
	log, level := newLevelLogger(cfg.Log, env.Stderr)
	reloader := newReloader(files, environ, dev, log, level, warnings)
	for _, w := range warnings {
		log.Warn(w)
	}
	if cfg.Dev {
		log.Warn("running in development mode (--dev): do not use this in production")
	}
	ctx := cmd.Context()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("starting signet: %w", err)
	}
	defer a.Close()
	// Watch the -c files from now on; the deferred stop runs before Close.
	defer watchConfig(ctx, reloader, a, log)()
	return a.ListenAndServe(ctx, serving)
}
