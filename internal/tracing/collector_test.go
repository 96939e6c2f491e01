package tracing

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Collector poses as an OTLP/HTTP collector: it decodes each export
// request and keeps the span names by service.name, and the
// Authorization headers it saw.
type Collector struct {
	URL   string // host:port, as tracing.providers.otlp.server_url takes it
	mu    sync.Mutex
	spans map[string][]string // service.name → span names
	auth  []string
	bad   []string
}

func newCollector(t *testing.T) *Collector {
	c := &Collector{spans: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.URL = strings.TrimPrefix(srv.URL, "http://")
	return c
}

func (c *Collector) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		c.bad = append(c.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		c.bad = append(c.bad, "undecodable: "+err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans[service] = append(c.spans[service], s.GetName())
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func (c *Collector) Spans(service string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.spans[service]...)
}

// The configured exporter reaches an OTLP/HTTP collector at server_url
// with the authorization header, and Shutdown delivers what is queued.
func TestExportToCollector(t *testing.T) {
	col := newCollector(t)
	cfg := otelConfig(col.URL, nil)
	cfg.ServiceName = "signet-test"
	cfg.Providers.OTLP.AuthorizationHeader = "Bearer collector-token"
	tr, err := New(context.Background(), cfg, Deps{Version: "v0.0.1"})
	if err != nil || tr == nil {
		t.Fatalf("New: %v %v", tr, err)
	}
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	server(tr).ServeHTTP(httptest.NewRecorder(), r)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	got := col.Spans("signet-test")
	want := map[string]int{"POST /oauth2/token": 1, "SELECT clients": 2}
	for _, n := range got {
		want[n]--
	}
	for n, left := range want {
		if left != 0 {
			t.Errorf("span %q: %d missing; collector got %v (bad requests %v)", n, left, got, col.bad)
		}
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.auth) == 0 || col.auth[0] != "Bearer collector-token" {
		t.Errorf("Authorization headers %q", col.auth)
	}
}
