package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Unmatched is the route label of every request no route pattern matched
// (unknown paths, a known path with another method, requests refused
// before routing): one series, however many paths strangers try.
const Unmatched = "unmatched"

// HTTP counts the requests of one port; it is the port's httpx.Observer.
// Labels come from the route pattern the mux matched, never the raw path,
// so the number of series is bounded by the route table.
type HTTP struct {
	api      string
	routes   map[string]*routeSeries // by full pattern, "GET /oauth2/auth"
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ httpx.Observer = (*HTTP)(nil)

// routeSeries are one route's series for the method its pattern names.
// They are resolved at the route's first request rather than at mount
// time, so that the scrape lists only routes that served something; after
// that a request costs a map read, two atomic loads, a scan of the few
// statuses the route has answered, and two atomic adds.
type routeSeries struct {
	route, method string
	duration      func() prometheus.Observer
	// codes is copied on write: a route answers only a handful of
	// distinct statuses, so a scan beats hashing, and readers never lock.
	codes atomic.Pointer[[]codeCounter]
	mu    sync.Mutex // serialises writers of codes
}

type codeCounter struct {
	code int
	c    prometheus.Counter
}

// counter returns the route's counter for status, resolving it once.
func (rs *routeSeries) counter(status int, resolve func() prometheus.Counter) prometheus.Counter {
	if c := findCode(rs.codes.Load(), status); c != nil {
		return c
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	old := rs.codes.Load()
	if c := findCode(old, status); c != nil {
		return c
	}
	var next []codeCounter
	if old != nil {
		next = append(next, *old...)
	}
	c := resolve()
	next = append(next, codeCounter{status, c})
	rs.codes.Store(&next)
	return c
}

func findCode(codes *[]codeCounter, status int) prometheus.Counter {
	if codes == nil {
		return nil
	}
	for _, cc := range *codes {
		if cc.code == status {
			return cc.c
		}
	}
	return nil
}

// HTTP returns the observer for the port api ("public", "admin") whose
// route table mounted patterns ("METHOD /path" or "/path").
func (m *Metrics) HTTP(api string, patterns []string) *HTTP {
	h := &HTTP{api: api, routes: make(map[string]*routeSeries, len(patterns)),
		requests: m.requests, duration: m.duration}
	for _, p := range patterns {
		method, route, ok := strings.Cut(p, " ")
		if !ok {
			method, route = "", p
		}
		rs := &routeSeries{route: route, method: method}
		rs.duration = sync.OnceValue(func() prometheus.Observer {
			return m.duration.WithLabelValues(api, route, method)
		})
		h.routes[p] = rs
	}
	return h
}

// Begin changes nothing: metrics need only the outcome.
func (h *HTTP) Begin(r *http.Request) *http.Request { return r }

// End counts the request under its route pattern.
func (h *HTTP) End(r *http.Request, status int, elapsed time.Duration) {
	rs := h.routes[r.Pattern]
	if rs == nil || rs.method != r.Method {
		h.slow(rs, r.Method, status, elapsed)
		return
	}
	rs.duration().Observe(elapsed.Seconds())
	rs.counter(status, func() prometheus.Counter {
		return h.requests.WithLabelValues(h.api, rs.route, rs.method, strconv.Itoa(status))
	}).Inc()
}

// slow counts requests outside the pre-resolved series: unmatched ones, and
// HEAD on a GET route. The method a stranger sent is bounded to the known
// ones first.
func (h *HTTP) slow(rs *routeSeries, method string, status int, elapsed time.Duration) {
	route := Unmatched
	if rs != nil {
		route = rs.route
	}
	method = methodLabel(method)
	h.duration.WithLabelValues(h.api, route, method).Observe(elapsed.Seconds())
	h.requests.WithLabelValues(h.api, route, method, strconv.Itoa(status)).Inc()
}

// methodLabel keeps the standard methods and folds anything else into one
// value: the method is a string a stranger chooses.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
