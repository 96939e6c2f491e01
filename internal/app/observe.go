package app

import (
	"context"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/metrics"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/tracing"
)

// Observability wiring (docs/observability.md): metrics are always on and
// served on the admin port; tracing exists only when tracing.provider is
// set. A nil *tracing.Tracing is never put into an interface value (a
// typed nil would not compare equal to nil), so with tracing off the
// middleware and the query wrapper see no tracer at all.

// statementTracer is what sqlstore.Open gets: nil with tracing off.
func statementTracer(tr *tracing.Tracing) sqlstore.StatementTracer {
	if tr == nil {
		return nil
	}
	return tr
}

// portObservers are the request observers of one port ("public",
// "admin") whose route table mounted patterns: tracing first, so that
// its span covers everything the metrics observer does.
func portObservers(api string, patterns []string, m *metrics.Metrics, tr *tracing.Tracing) []httpx.Observer {
	obs := []httpx.Observer{}
	if tr != nil {
		obs = append(obs, tr.HTTP(api))
	}
	return append(obs, m.HTTP(api, patterns))
}

// tracingShutdownGrace bounds how long Close waits for the last spans to
// reach an unreachable collector.
const tracingShutdownGrace = 5 * time.Second

// stopTracing exports the spans still queued; nil does nothing.
func stopTracing(tr *tracing.Tracing) error {
	if tr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), tracingShutdownGrace)
	defer cancel()
	return tr.Shutdown(ctx)
}
