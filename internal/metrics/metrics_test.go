package metrics

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/signet-oidc/signet/internal/oauth2"
)

func newTestMetrics(t testing.TB, d Deps) (*Metrics, *prometheus.Registry) {
	t.Helper()
	if d.Queries == nil {
		d.Queries = func() uint64 { return 7 }
	}
	reg := prometheus.NewRegistry()
	m, err := New(reg, d)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// scrape gathers reg into "name{k=v,…}" → value (counters, gauges, and a
// histogram's sample count).
func scrape(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
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

// request returns a request as End sees it after routing.
func request(method, path, pattern string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	r.Pattern = pattern
	return r
}

// Requests are labelled by the route pattern, not the path; a method
// other than the pattern's, an unmatched request and an unknown method
// stay within bounded labels.
func TestHTTPLabels(t *testing.T) {
	m, reg := newTestMetrics(t, Deps{})
	h := m.HTTP("admin", []string{"GET /admin/clients/{id}", "POST /oauth2/token", "/dev/any"})
	for _, r := range []struct {
		req    *http.Request
		status int
	}{
		{request("GET", "/admin/clients/a", "GET /admin/clients/{id}"), 200},
		{request("GET", "/admin/clients/b", "GET /admin/clients/{id}"), 200},
		{request("GET", "/admin/clients/c", "GET /admin/clients/{id}"), 404},
		{request("HEAD", "/admin/clients/c", "GET /admin/clients/{id}"), 200},
		{request("POST", "/oauth2/token", "POST /oauth2/token"), 400},
		{request("PUT", "/dev/any", "/dev/any"), 200},
		{request("GET", "/secret/path/1", ""), 404},
		{request("GET", "/secret/path/2", "/"), 404},
		{request("BREW", "/secret/path/3", ""), 404},
	} {
		h.End(r.req, r.status, 3*time.Millisecond)
	}
	got := scrape(t, reg)
	want := map[string]float64{
		"http_requests_total{api=admin,code=200,method=GET,route=/admin/clients/{id}}":  2,
		"http_requests_total{api=admin,code=404,method=GET,route=/admin/clients/{id}}":  1,
		"http_requests_total{api=admin,code=200,method=HEAD,route=/admin/clients/{id}}": 1,
		"http_requests_total{api=admin,code=400,method=POST,route=/oauth2/token}":       1,
		"http_requests_total{api=admin,code=200,method=PUT,route=/dev/any}":             1,
		"http_requests_total{api=admin,code=404,method=GET,route=unmatched}":            2,
		"http_requests_total{api=admin,code=404,method=OTHER,route=unmatched}":          1,
		"http_request_duration_seconds{api=admin,method=GET,route=/admin/clients/{id}}": 3,
		"http_request_duration_seconds{api=admin,method=GET,route=unmatched}":           2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if strings.Contains(k, "secret") || strings.Contains(k, "/admin/clients/a") {
			t.Errorf("a raw path reached a label: %s", k)
		}
		if strings.HasPrefix(k, "http_requests_total") {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected series %s", k)
			}
		}
	}
	// A route that served nothing has no series yet.
	for k := range got {
		if strings.Contains(k, "route=/oauth2/token") && strings.HasPrefix(k, "http_request_duration") && got[k] != 1 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
}

// Counting from many goroutines loses nothing (run with -race).
func TestHTTPConcurrent(t *testing.T) {
	m, reg := newTestMetrics(t, Deps{})
	h := m.HTTP("public", []string{"POST /oauth2/token"})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				h.End(request("POST", "/oauth2/token", "POST /oauth2/token"), 200+100*((g+i)%2), time.Millisecond)
			}
		})
	}
	wg.Wait()
	got := scrape(t, reg)
	ok := got["http_requests_total{api=public,code=200,method=POST,route=/oauth2/token}"]
	bad := got["http_requests_total{api=public,code=300,method=POST,route=/oauth2/token}"]
	if ok != 400 || bad != 400 || got["http_request_duration_seconds{api=public,method=POST,route=/oauth2/token}"] != 800 {
		t.Fatalf("counted %v and %v of 400 each: %v", ok, bad, got)
	}
}

// Token counters exist at zero for every mounted grant and implicit, and
// count per grant type; flow counters exist for every possible pair.
func TestTokensAndFlows(t *testing.T) {
	m, reg := newTestMetrics(t, Deps{GrantTypes: []string{"client_credentials", "authorization_code"}})
	before := scrape(t, reg)
	for _, k := range []string{
		"signet_tokens_issued_total{grant_type=client_credentials}",
		"signet_tokens_issued_total{grant_type=authorization_code}",
		"signet_tokens_issued_total{grant_type=implicit}",
		"signet_flows_total{outcome=started,step=login}",
		"signet_flows_total{outcome=rejected,step=consent}",
		"signet_flows_total{outcome=completed,step=logout}",
	} {
		if v, ok := before[k]; !ok || v != 0 {
			t.Errorf("%s: present %v value %v, want 0 from the start", k, ok, v)
		}
	}
	if _, ok := before["signet_flows_total{outcome=rejected,step=logout}"]; ok {
		t.Error("logout rejections cannot be seen, so they have no series")
	}

	m.TokensIssued("client_credentials")
	m.TokensIssued("client_credentials")
	m.TokensIssued("implicit")
	m.TokensIssued("urn:made:up")
	m.Flow(oauth2.FlowLogin, oauth2.FlowStarted)
	m.Flow(oauth2.FlowConsent, oauth2.FlowRejected)
	m.Flow(oauth2.FlowLogout, oauth2.FlowRejected) // not a pair: dropped
	m.Flow("bogus", "bogus")

	got := scrape(t, reg)
	for k, v := range map[string]float64{
		"signet_tokens_issued_total{grant_type=client_credentials}": 2,
		"signet_tokens_issued_total{grant_type=implicit}":           1,
		"signet_tokens_issued_total{grant_type=authorization_code}": 0,
		"signet_tokens_issued_total{grant_type=other}":              1,
		"signet_flows_total{outcome=started,step=login}":            1,
		"signet_flows_total{outcome=rejected,step=consent}":         1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "signet_flows_total") {
			n++
		}
	}
	if n != len(flowPairs()) {
		t.Errorf("%d flow series, want %d: unknown pairs must not add series", n, len(flowPairs()))
	}
}

// The pool collector reports sql.DBStats at each scrape; build info and
// the query counter stay.
func TestPoolAndBuildInfo(t *testing.T) {
	stats := sql.DBStats{MaxOpenConnections: 32, OpenConnections: 5, InUse: 3, Idle: 2,
		WaitCount: 9, WaitDuration: 1500 * time.Millisecond, MaxIdleClosed: 1, MaxIdleTimeClosed: 2, MaxLifetimeClosed: 4}
	_, reg := newTestMetrics(t, Deps{Version: "v9.9.9", Pool: func() sql.DBStats { return stats }})
	got := scrape(t, reg)
	for k, v := range map[string]float64{
		"signet_db_pool_max_open_connections{}":             32,
		"signet_db_pool_open_connections{}":                 5,
		"signet_db_pool_in_use_connections{}":               3,
		"signet_db_pool_idle_connections{}":                 2,
		"signet_db_pool_wait_count_total{}":                 9,
		"signet_db_pool_wait_duration_seconds_total{}":      1.5,
		"signet_db_pool_closed_total{reason=max_idle}":      1,
		"signet_db_pool_closed_total{reason=max_idle_time}": 2,
		"signet_db_pool_closed_total{reason=max_lifetime}":  4,
		"signet_build_info{version=v9.9.9}":                 1,
		"signet_db_queries_total{}":                         7,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// BenchmarkHTTPEnd is the cost metrics add to a request on a known route.
func BenchmarkHTTPEnd(b *testing.B) {
	m, _ := newTestMetrics(b, Deps{})
	h := m.HTTP("public", []string{"POST /oauth2/token"})
	r := request("POST", "/oauth2/token", "POST /oauth2/token")
	for b.Loop() {
		h.End(r, 200, time.Millisecond)
	}
}
