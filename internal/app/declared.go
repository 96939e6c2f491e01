package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
)

// syncDeclared creates or updates the clients of clients.declared, at
// start-up and when a reload changes the list (docs/instances.md), and
// logs what it did. An invalid entry stops it before anything is written.
func syncDeclared(ctx context.Context, admin *client.Admin, entries []config.DeclaredClient, log *slog.Logger) error {
	ds, err := client.ParseDeclared(entries)
	if err != nil {
		return err
	}
	res, err := admin.Sync(ctx, ds)
	if err != nil {
		return err
	}
	if len(ds) > 0 {
		log.Info("declared clients are in place", "created", strings.Join(res.Created, ","),
			"updated", strings.Join(res.Updated, ","), "unchanged", len(res.Unchanged))
	}
	for _, id := range res.Released {
		log.Warn("a client is no longer in clients.declared: it is kept, and the admin API may change or delete it again",
			"client_id", id)
	}
	return nil
}
