package e2e

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"golang.org/x/oauth2"
	"google.golang.org/protobuf/proto"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/signettest"
)

// metricValues scrapes the admin port's Prometheus endpoint, parses it as
// Prometheus would, and returns "name{k=v,…}" → value (counters, gauges,
// and histograms' sample counts).
func metricValues(t *testing.T, srv *signettest.Server) map[string]float64 {
	t.Helper()
	res, err := http.Get(srv.AdminURL + "/admin/metrics/prometheus")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", res.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("the scrape does not parse as Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestMetrics: after a few requests the scrape shows them by route
// pattern (never the raw path) and status, the tokens issued by grant, the
// database pool and build information, on every database.
func TestMetrics(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			srv := b.start(t)
			before := metricValues(t, srv)
			const tokenOK = "http_requests_total{api=public,code=200,method=POST,route=/oauth2/token}"
			const issued = "signet_tokens_issued_total{grant_type=client_credentials}"
			if v, ok := before[issued]; !ok || v != 0 {
				t.Errorf("%s before any token: present %v, value %v; want 0", issued, ok, v)
			}

			id, secret := newMachineClient(t, srv, nil)
			cfg := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read")
			mustToken(t, cfg)
			mustToken(t, cfg)
			if r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"password"}}, &[2]string{id, secret}); r.Status != http.StatusBadRequest {
				t.Fatalf("unsupported grant: status %d", r.Status)
			}
			send(t, "GET", srv.PublicURL+"/no/such/path/"+id, "", nil, nil)
			send(t, "GET", srv.AdminURL+"/admin/clients/"+id, "", nil, nil)

			got := metricValues(t, srv)
			for k, want := range map[string]float64{
				tokenOK: 2,
				"http_requests_total{api=public,code=400,method=POST,route=/oauth2/token}":     1,
				"http_requests_total{api=public,code=404,method=GET,route=unmatched}":          1,
				"http_requests_total{api=admin,code=200,method=GET,route=/admin/clients/{id}}": 1,
				"http_request_duration_seconds{api=public,method=POST,route=/oauth2/token}":    3,
				issued: 2,
			} {
				if got[k]-before[k] != want {
					t.Errorf("%s went from %v to %v; want +%v", k, before[k], got[k], want)
				}
			}
			for k := range got {
				if strings.Contains(k, id) || strings.Contains(k, "/no/such") {
					t.Errorf("a raw path reached a label: %s", k)
				}
			}
			for _, k := range []string{
				"signet_db_pool_max_open_connections{}", "signet_db_pool_open_connections{}",
				"signet_db_pool_in_use_connections{}", "signet_db_pool_idle_connections{}",
				"signet_db_pool_wait_count_total{}", "signet_db_pool_wait_duration_seconds_total{}",
				"signet_build_info{version=" + app.Version + "}",
			} {
				if _, ok := got[k]; !ok {
					t.Errorf("%s is missing from the scrape", k)
				}
			}
			if got["signet_db_pool_open_connections{}"] < 1 || got["signet_db_queries_total{}"] <= before["signet_db_queries_total{}"] {
				t.Errorf("pool open %v, queries %v → %v: the database was used",
					got["signet_db_pool_open_connections{}"], before["signet_db_queries_total{}"], got["signet_db_queries_total{}"])
			}
		})
	}
}

// TestFlowMetrics: a login and consent flow moves the flow counters, and
// its code exchange counts an authorization_code token; rejections count
// as rejected.
func TestFlowMetrics(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	q := authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	if _, err := f.rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	f.app.rejectConsent = true
	authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	f.app.rejectConsent, f.app.rejectLogin = false, true
	authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))

	got := metricValues(t, f.srv)
	for k, want := range map[string]float64{
		"signet_flows_total{outcome=started,step=login}":                         3,
		"signet_flows_total{outcome=completed,step=login}":                       2,
		"signet_flows_total{outcome=rejected,step=login}":                        1,
		"signet_flows_total{outcome=started,step=consent}":                       2,
		"signet_flows_total{outcome=completed,step=consent}":                     1,
		"signet_flows_total{outcome=rejected,step=consent}":                      1,
		"signet_tokens_issued_total{grant_type=authorization_code}":              1,
		"signet_tokens_issued_total{grant_type=implicit}":                        0,
		"http_requests_total{api=public,code=302,method=GET,route=/oauth2/auth}": 8, // 3 + 3 + 2 redirects
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}

// otlpCollector poses as an OpenTelemetry collector's OTLP/HTTP receiver
// and keeps the spans it is sent.
type otlpCollector struct {
	addr     string // host:port, as tracing.providers.otlp.server_url takes it
	mu       sync.Mutex
	requests int
	spans    []collectedSpan
}

type collectedSpan struct {
	name, service string
	traceID       string
	attrs         map[string]string
}

func newOTLPCollector(t *testing.T) *otlpCollector {
	c := &otlpCollector{}
	srv := httptest.NewServer(http.HandlerFunc(c.export))
	t.Cleanup(srv.Close)
	c.addr = strings.TrimPrefix(srv.URL, "http://")
	return c
}

func (c *otlpCollector) export(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
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
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(raw, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				attrs := map[string]string{}
				for _, kv := range s.GetAttributes() {
					attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
				}
				c.spans = append(c.spans, collectedSpan{name: s.GetName(), service: service,
					traceID: string(s.GetTraceId()), attrs: attrs})
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func (c *otlpCollector) collected() (int, []collectedSpan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, append([]collectedSpan(nil), c.spans...)
}

// TestTracing: with tracing.provider otel, a token request reaches the
// collector as a server span named by its route, with its database
// statements as spans of the same trace; spans are flushed when Signet
// stops. Without a provider nothing is sent, even with a collector set.
func TestTracing(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			col := newOTLPCollector(t)
			t.Run("serve", func(t *testing.T) {
				srv := signettest.Start(t, append(db.opts(t), signettest.WithEnv("TRACING_PROVIDER=otel",
					"TRACING_SERVICE_NAME=signet-e2e", "TRACING_PROVIDERS_OTLP_SERVER_URL="+col.addr,
					"TRACING_PROVIDERS_OTLP_INSECURE=true"))...)
				id, secret := newMachineClient(t, srv, nil)
				r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}},
					&[2]string{id, secret})
				if r.Status != http.StatusOK {
					t.Fatalf("token: %d %s", r.Status, r.Body)
				}
			}) // the server has stopped: its spans are exported

			_, spans := col.collected()
			var token *collectedSpan
			for i, s := range spans {
				if s.name == "POST /oauth2/token" {
					token = &spans[i]
				}
				if s.service != "signet-e2e" {
					t.Errorf("span %q from service %q", s.name, s.service)
				}
			}
			if token == nil {
				t.Fatalf("no POST /oauth2/token span among %v", spanNames(spans))
			}
			if token.attrs["http.route"] != "/oauth2/token" || token.attrs["signet.request_id"] == "" {
				t.Errorf("token span attributes %v", token.attrs)
			}
			var statements []string
			for _, s := range spans {
				if s.traceID == token.traceID && s.attrs["db.system.name"] != "" {
					statements = append(statements, s.name)
				}
			}
			// The client's lookup, and the access token's INSERT, which the
			// batcher sends on its own context but is traced for the request.
			for _, want := range []string{"SELECT clients", "INSERT access_tokens"} {
				if !slices.Contains(statements, want) {
					t.Errorf("no %q in the token request's trace: %v (all spans %v)", want, statements, spanNames(spans))
				}
			}
		})
	}

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		col := newOTLPCollector(t)
		t.Run("serve", func(t *testing.T) {
			srv := signettest.Start(t, signettest.WithEnv("TRACING_PROVIDERS_OTLP_SERVER_URL="+col.addr,
				"TRACING_PROVIDERS_OTLP_INSECURE=true"))
			id, secret := newMachineClient(t, srv, nil)
			mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader))
		})
		if n, spans := col.collected(); n != 0 {
			t.Errorf("tracing off, yet the collector got %d exports: %v", n, spanNames(spans))
		}
	})
}

func spanNames(spans []collectedSpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.name)
	}
	return out
}

// TestTracingProviderRefused: jaeger and zipkin stop the start with a
// message pointing to otel.
func TestTracingProviderRefused(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"jaeger", "zipkin"} {
		cfg, _, err := config.Load(nil, []string{"DSN=memory", "SECRETS_SYSTEM=signettest-system-secret-0123456789",
			"TRACING_PROVIDER=" + p}, true)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), app.WithRSABits(2048))
		if err == nil {
			a.Close()
			t.Fatalf("tracing.provider %s: Signet started", p)
		}
		if !strings.Contains(err.Error(), "tracing.provider") || !strings.Contains(err.Error(), `"otel"`) {
			t.Errorf("tracing.provider %s: %v", p, err)
		}
	}
}

// TestImplicitTokenMetrics: tokens the authorization endpoint returns
// (implicit and hybrid response types) count as grant_type "implicit".
func TestImplicitTokenMetrics(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	rp := implicitRP(t, e, nil)
	fragmentAt(t, e, implicitURL(rp, "id_token token"))
	fragmentAt(t, e, implicitURL(rp, "code id_token"))
	got := metricValues(t, e.srv)
	if v := got["signet_tokens_issued_total{grant_type=implicit}"]; v != 2 {
		t.Errorf("implicit tokens issued = %v, want 2", v)
	}
	if v := got["signet_flows_total{outcome=completed,step=consent}"]; v != 2 {
		t.Errorf("completed consents = %v, want 2", v)
	}
}

// TestLogoutMetrics: an RP-initiated logout asked of the logout app
// counts as started, and once the session ends as completed.
func TestLogoutMetrics(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	rp := logoutRP(t, f, nil)
	b := newBrowser(t, f.callback)
	hint, _ := signIn(t, f, b, rp)
	lb := newBrowser(t, loggedOut)
	lb.Jar = b.Jar
	if p := visit(t, lb, logoutURL(f.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}}), nil); p.Status != http.StatusFound {
		t.Fatalf("logout ended with %d at %s", p.Status, p.At)
	}
	got := metricValues(t, f.srv)
	for k, want := range map[string]float64{
		"signet_flows_total{outcome=started,step=logout}":   1,
		"signet_flows_total{outcome=completed,step=logout}": 1,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}
