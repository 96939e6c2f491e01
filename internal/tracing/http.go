package tracing

import (
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/signet-oidc/signet/internal/httpx"
)

// HTTP returns the observer that opens a server span for each request of
// the port api ("public", "admin"). Install it only on a non-nil Tracing.
func (t *Tracing) HTTP(api string) httpx.Observer { return &httpSpans{t: t, api: api} }

type httpSpans struct {
	t   *Tracing
	api string
}

// Begin opens the span before routing, as a child of the caller's
// traceparent when it sent one. Its name is set in End, once the route is
// known.
func (h *httpSpans) Begin(r *http.Request) *http.Request {
	ctx := h.t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	method := spanMethod(r.Method)
	ctx, _ = h.t.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", method),
			attribute.String("signet.api", h.api),
			attribute.String("signet.request_id", httpx.RequestID(r.Context())),
		))
	return r.WithContext(ctx)
}

// End names the span "METHOD /route/{pattern}" (just the method when no
// route matched, so unknown paths make one name, not one per path) and
// records the status; 5xx marks the span as failed, as OpenTelemetry's
// HTTP conventions say for servers (a 4xx is the client's error).
func (h *httpSpans) End(r *http.Request, status int, _ time.Duration) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		span.End()
		return
	}
	method := spanMethod(r.Method)
	if route := routeOf(r.Pattern); route != "" {
		span.SetName(method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// routeOf is the path part of a mux pattern ("GET /x/{id}" → "/x/{id}");
// "" for no pattern and for the catch-all "/", which answers every
// unknown path.
func routeOf(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if pattern == "/" {
		return ""
	}
	return pattern
}

// spanMethod bounds the method, which a stranger chooses, to the standard
// ones; anything else is "_OTHER" as OpenTelemetry's conventions name it.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
