package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// StartStatement implements sqlstore.StatementTracer: a client span per
// statement, named "OPERATION table" with the database system, operation
// and table as attributes. Never the SQL arguments, and never the
// driver's error text, which can quote a row's values (MySQL's "Duplicate
// entry '…'"): a failed statement is marked failed and nothing more.
//
// Only statements made while serving a traced request are traced.
// Background work (the key poller every few seconds, the janitor) would
// otherwise start a trace of its own per statement and bury the request
// traces. Access tokens are inserted in batches on the batcher's own
// context; sqlstore reports each row's INSERT with the caller's context,
// covering the wait for its batch, so it shows in the request's trace.
func (t *Tracing) StartStatement(ctx context.Context, dialect, operation, table string) func(error) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return noEnd
	}
	name := operation
	if table != "" {
		name += " " + table
	}
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", dbSystem(dialect)),
		attribute.String("db.operation.name", operation),
	}
	if table != "" {
		attrs = append(attrs, attribute.String("db.collection.name", table))
	}
	_, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
}

func noEnd(error) {}

// dbSystem is OpenTelemetry's name for the dialect.
func dbSystem(dialect string) string {
	if dialect == "postgres" {
		return "postgresql"
	}
	return dialect // "sqlite", "mysql"
}
