// Package tracing sends OpenTelemetry traces to an OTLP/HTTP collector when
// tracing.provider is "otel": a server span for each HTTP request (named
// by its route pattern) and a client span for each database statement
// made while serving it.
//
// Tracing is off by default, and off means absent: New returns nil, app.New
// then installs no observer and no statement tracer, and nothing calls
// into OpenTelemetry (the query wrapper makes one nil check per
// statement). Nothing here touches OpenTelemetry's global
// tracer provider or propagator: the provider is a field, and so is the
// tracer every span comes from.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/signet-oidc/signet/internal/config"
)

// DefaultServiceName is service.name when tracing.service_name is unset.
const DefaultServiceName = "signet"

// instrumentation names the tracer, as OpenTelemetry asks.
const instrumentation = "github.com/signet-oidc/signet"

// Deps are what New needs besides the configuration.
type Deps struct {
	// Log receives export failures (once per outage, not per batch).
	Log *slog.Logger
	// Version is service.version.
	Version string
}

// Tracing is a running tracer provider. A nil *Tracing means tracing is
// off; callers check for nil once, at wiring time.
type Tracing struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	// propagator reads an incoming W3C traceparent, so a trace begun at a
	// gateway or a relying party continues through Signet.
	propagator propagation.TraceContext
}

// New starts tracing as cfg says, or returns nil, nil when
// tracing.provider is unset. jaeger and zipkin are refused: the OTLP
// exporter reaches both (Jaeger and Zipkin collectors accept OTLP), and a
// second and third exporter would be dependencies for no new capability.
// Nothing is sent at start-up; the first export happens with the first
// batch of spans.
func New(ctx context.Context, cfg config.Tracing, d Deps) (*Tracing, error) {
	switch cfg.Provider {
	case "":
		return nil, nil
	case "otel":
	case "jaeger", "zipkin":
		return nil, fmt.Errorf("tracing.provider: %q is not supported by Signet; set it to \"otel\" and point "+
			"tracing.providers.otlp.server_url at the collector's OTLP/HTTP port (Jaeger and Zipkin "+
			"collectors accept OTLP, usually on port 4318)", cfg.Provider)
	default:
		return nil, fmt.Errorf("tracing.provider: %q is not a tracing provider; use \"otel\"", cfg.Provider)
	}
	ratio, err := samplingRatio(cfg.Providers.OTLP.Sampling.SamplingRatio)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, exporterOptions(cfg.Providers.OTLP)...)
	if err != nil {
		return nil, fmt.Errorf("tracing.providers.otlp: %w", err)
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	logged := &loggedExporter{SpanExporter: exp, log: log, collector: cfg.Providers.OTLP.ServerURL}
	return newTracing(sdktrace.NewBatchSpanProcessor(logged), ratio, serviceResource(cfg, d.Version)), nil
}

// newTracing builds the provider around a span processor; tests pass an
// in-memory recorder.
func newTracing(sp sdktrace.SpanProcessor, ratio float64, res *resource.Resource) *Tracing {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sp),
		sdktrace.WithResource(res),
		// A caller's sampling decision (traceparent flags) is kept; new
		// traces are sampled at the configured ratio.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Tracing{provider: tp, tracer: tp.Tracer(instrumentation)}
}

// samplingRatio is tracing.providers.otlp.sampling.sampling_ratio: unset
// means every trace (Hydra reads unset as 0, which records nothing but
// traces already sampled upstream: a surprise for whoever turned tracing
// on), and values outside [0, 1] are refused.
func samplingRatio(v *float64) (float64, error) {
	if v == nil {
		return 1, nil
	}
	if *v < 0 || *v > 1 {
		return 0, fmt.Errorf("tracing.providers.otlp.sampling.sampling_ratio: %v is not between 0 and 1", *v)
	}
	return *v, nil
}

// exporterOptions maps tracing.providers.otlp onto the OTLP/HTTP exporter.
// server_url is host:port as in Hydra; spans go to its /v1/traces, over
// HTTPS unless insecure is set, gzip-compressed.
func exporterOptions(c config.OTLP) []otlptracehttp.Option {
	opts := []otlptracehttp.Option{otlptracehttp.WithCompression(otlptracehttp.GzipCompression)}
	if c.ServerURL != "" {
		opts = append(opts, otlptracehttp.WithEndpoint(c.ServerURL))
	}
	if c.Insecure {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if c.AuthorizationHeader != "" {
		opts = append(opts, otlptracehttp.WithHeaders(map[string]string{"Authorization": c.AuthorizationHeader}))
	}
	return opts
}

// serviceResource names this process in every exported span.
func serviceResource(cfg config.Tracing, version string) *resource.Resource {
	name := cfg.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	attrs := []attribute.KeyValue{
		attribute.String("service.name", name),
		attribute.String("service.version", version),
	}
	if cfg.DeploymentEnvironment != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", cfg.DeploymentEnvironment))
	}
	return resource.NewSchemaless(attrs...)
}

// Shutdown exports the spans still queued and stops the provider; spans
// ended after it are dropped. ctx bounds how long an unreachable collector
// may delay the process's exit.
func (t *Tracing) Shutdown(ctx context.Context) error {
	return t.provider.Shutdown(ctx)
}

// loggedExporter logs when exports start failing and when they work
// again, instead of once per batch (every few seconds while a collector
// is down) through OpenTelemetry's global error handler. The spans of a
// failed export are dropped: tracing must never hold up or fail a request.
type loggedExporter struct {
	sdktrace.SpanExporter
	log       *slog.Logger
	collector string
	failing   atomic.Bool
}

func (e *loggedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	switch {
	case err != nil && !e.failing.Swap(true):
		e.log.Warn("tracing: exporting spans failed; spans are dropped until the collector answers",
			"collector", e.collector, "spans", len(spans), "error", err)
	case err == nil && e.failing.Swap(false):
		e.log.Info("tracing: exporting spans works again", "collector", e.collector)
	}
	if errors.Is(err, context.Canceled) {
		return err // shutting down: let the processor stop
	}
	return nil
}
