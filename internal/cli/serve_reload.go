package cli

import (
	"context"
	"log/slog"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
)

// newReloader prepares the reload of the -c files (docs/instances.md):
// the same sources as the start-up load, the environment as it was then.
// It records the files' content now, so a change made while the server
// starts is picked up too.
func newReloader(files, environ []string, dev bool, log *slog.Logger, level *slog.LevelVar, warnings []string) *config.Reloader {
	r := &config.Reloader{Files: files, Level: level, Log: log,
		Load: func() (*config.Config, []string, error) { return config.Load(files, environ, dev) }}
	r.Loaded(warnings)
	return r
}

// watchConfig reloads r's files into a whenever they change. The returned
// stop ends the watch and waits for a reload in progress, so none runs on
// a closed app.
func watchConfig(ctx context.Context, r *config.Reloader, a *app.App, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	r.Apply = func(next *config.Config) (config.Diff, error) { return a.Reconfigure(ctx, next) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Watch(ctx); err != nil {
			log.Warn("the configuration files are not watched; a change needs a restart", "error", err)
		}
	}()
	return func() { cancel(); <-done }
}
