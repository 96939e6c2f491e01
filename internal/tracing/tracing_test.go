package tracing

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

func ratio(v float64) *float64 { return &v }

func TestNewRefusesWhatItCannotDo(t *testing.T) {
	ctx := context.Background()
	off, err := New(ctx, config.Tracing{}, Deps{})
	if off != nil || err != nil {
		t.Fatalf("unset provider: %v, %v; want nil, nil (tracing off)", off, err)
	}
	for _, tc := range []struct {
		name string
		cfg  config.Tracing
		want []string
	}{
		{"jaeger", config.Tracing{Provider: "jaeger"}, []string{"tracing.provider", `"jaeger"`, `"otel"`, "OTLP"}},
		{"zipkin", config.Tracing{Provider: "zipkin"}, []string{"tracing.provider", `"zipkin"`, `"otel"`}},
		{"unknown", config.Tracing{Provider: "datadog"}, []string{"tracing.provider", `"otel"`}},
		{"ratio above 1", otelConfig("localhost:4318", ratio(1.5)), []string{"tracing.providers.otlp.sampling.sampling_ratio", "1.5"}},
		{"negative ratio", otelConfig("localhost:4318", ratio(-0.1)), []string{"sampling_ratio"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(ctx, tc.cfg, Deps{})
			if err == nil || tr != nil {
				t.Fatalf("New accepted %+v", tc.cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func otelConfig(server string, r *float64) config.Tracing {
	c := config.Tracing{Provider: "otel"}
	c.Providers.OTLP.ServerURL = server
	c.Providers.OTLP.Insecure = true
	c.Providers.OTLP.Sampling.SamplingRatio = r
	return c
}

// recorded builds a Tracing whose spans land in a recorder.
func recorded(r float64) (*Tracing, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	return newTracing(rec, r, resource.Empty()), rec
}

// store is a stand-in for sqlstore: one traced statement per call.
type store struct{ tr *Tracing }

func (s store) get(ctx context.Context, fail bool) {
	end := s.tr.StartStatement(ctx, "postgres", "SELECT", "clients")
	if fail {
		end(errors.New("Duplicate entry 'secret-value' for key 'PRIMARY'"))
		return
	}
	end(nil)
}

// server is the middleware chain with the tracing observer around a mux
// whose token route makes two statements.
func server(tr *Tracing) http.Handler {
	mux := http.NewServeMux()
	db := store{tr}
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		db.get(r.Context(), false)
		db.get(r.Context(), true)
		w.WriteHeader(http.StatusBadRequest)
	})
	mux.HandleFunc("GET /admin/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	log := slog.New(slog.DiscardHandler)
	m := httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: time.Now,
		Observers: []httpx.Observer{tr.HTTP("public")}}
	return m.Wrap(mux, 1024)
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// A request's server span is named by its route pattern and carries the
// status and request id; its statements are child client spans named by
// operation and table, a failed one marked failed without the driver's
// message.
func TestRequestAndStatementSpans(t *testing.T) {
	tr, rec := recorded(1)
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	r.Header.Set("X-Request-Id", "req-42")
	server(tr).ServeHTTP(httptest.NewRecorder(), r)

	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans ended, want 3", len(spans))
	}
	srv := spans[2]
	if srv.Name() != "POST /oauth2/token" || srv.SpanKind() != trace.SpanKindServer {
		t.Fatalf("server span %q kind %v", srv.Name(), srv.SpanKind())
	}
	a := attrs(srv)
	if a["http.route"].AsString() != "/oauth2/token" || a["http.response.status_code"].AsInt64() != 400 ||
		a["signet.request_id"].AsString() != "req-42" || a["http.request.method"].AsString() != "POST" ||
		a["signet.api"].AsString() != "public" {
		t.Errorf("server span attributes %v", a)
	}
	if srv.Status().Code == codes.Error {
		t.Error("a 400 is the client's error, not the server span's")
	}
	for i, s := range spans[:2] {
		if s.Name() != "SELECT clients" || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("statement span %q kind %v", s.Name(), s.SpanKind())
		}
		if s.Parent().SpanID() != srv.SpanContext().SpanID() || s.SpanContext().TraceID() != srv.SpanContext().TraceID() {
			t.Errorf("statement span %d is not a child of the request span", i)
		}
		a := attrs(s)
		if a["db.system.name"].AsString() != "postgresql" || a["db.operation.name"].AsString() != "SELECT" ||
			a["db.collection.name"].AsString() != "clients" {
			t.Errorf("statement attributes %v", a)
		}
	}
	if spans[0].Status().Code != codes.Unset || spans[1].Status().Code != codes.Error {
		t.Errorf("statement statuses %v, %v; want unset then error", spans[0].Status(), spans[1].Status())
	}
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), "secret-value") {
				t.Errorf("span %q carries the driver's error text", s.Name())
			}
		}
		if strings.Contains(s.Status().Description, "secret-value") || len(s.Events()) > 0 {
			t.Errorf("span %q records the error: %v %v", s.Name(), s.Status(), s.Events())
		}
	}
}

func TestSpanNames(t *testing.T) {
	for _, tc := range []struct {
		method, path, name string
		failed             bool
	}{
		{"GET", "/admin/clients/abc", "GET /admin/clients/{id}", true},
		{"GET", "/no/such/path/123", "GET", false},
		{"BREW", "/oauth2/token", "_OTHER", false},
	} {
		tr, rec := recorded(1)
		server(tr).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("%s %s: %d spans", tc.method, tc.path, len(spans))
		}
		if spans[0].Name() != tc.name || (spans[0].Status().Code == codes.Error) != tc.failed {
			t.Errorf("%s %s: span %q status %v", tc.method, tc.path, spans[0].Name(), spans[0].Status())
		}
	}
}

// A traceparent from upstream continues its trace and its sampling
// decision; with ratio 0 nothing else is recorded, and statements outside
// a traced request never are.
func TestSamplingAndPropagation(t *testing.T) {
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	tr, rec := recorded(0)
	h := server(tr)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/oauth2/token", nil))
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("ratio 0 recorded %d spans of a new trace", n)
	}
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	r.Header.Set("Traceparent", parent)
	h.ServeHTTP(httptest.NewRecorder(), r)
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("sampled parent: %d spans, want 3", len(spans))
	}
	for _, s := range spans {
		if s.SpanContext().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
			t.Errorf("span %q in trace %s, not the caller's", s.Name(), s.SpanContext().TraceID())
		}
	}

	all, rec2 := recorded(1)
	store{all}.get(context.Background(), false)
	if n := len(rec2.Started()); n != 0 {
		t.Errorf("a statement outside any request started %d spans", n)
	}
}

// failingExporter fails until told otherwise.
type failingExporter struct {
	fail bool
	n    int
}

func (e *failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	e.n++
	if e.fail {
		return errors.New("connection refused")
	}
	return nil
}
func (e *failingExporter) Shutdown(context.Context) error { return nil }

// An unreachable collector is logged once per outage, not per batch.
func TestExportFailuresLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	inner := &failingExporter{fail: true}
	e := &loggedExporter{SpanExporter: inner, log: slog.New(slog.NewTextHandler(&buf, nil)), collector: "otel:4318"}
	ctx := context.Background()
	for range 3 {
		if err := e.ExportSpans(ctx, nil); err != nil {
			t.Fatalf("export error passed on: %v", err)
		}
	}
	inner.fail = false
	_ = e.ExportSpans(ctx, nil)
	_ = e.ExportSpans(ctx, nil)
	inner.fail = true
	_ = e.ExportSpans(ctx, nil)
	out := buf.String()
	if strings.Count(out, "exporting spans failed") != 2 || strings.Count(out, "works again") != 1 || inner.n != 6 {
		t.Fatalf("log:\n%s", out)
	}
	if !strings.Contains(out, "otel:4318") || !strings.Contains(out, "connection refused") {
		t.Errorf("log does not name the collector and the cause:\n%s", out)
	}
}
