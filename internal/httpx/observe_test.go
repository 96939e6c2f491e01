package httpx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// recordingObserver remembers End calls and marks the context in Begin.
type recordingObserver struct {
	name  string
	order *[]string
	ends  []observed
}

type observed struct {
	pattern, requestID, mark string
	status                   int
	elapsed                  time.Duration
}

type markKey struct{}

func (o *recordingObserver) Begin(r *http.Request) *http.Request {
	*o.order = append(*o.order, "begin "+o.name)
	return r.WithContext(context.WithValue(r.Context(), markKey{}, o.name))
}

func (o *recordingObserver) End(r *http.Request, status int, elapsed time.Duration) {
	*o.order = append(*o.order, "end "+o.name)
	mark, _ := r.Context().Value(markKey{}).(string)
	o.ends = append(o.ends, observed{r.Pattern, httpx.RequestID(r.Context()), mark, status, elapsed})
}

// Observers see the route pattern the mux matched (never the raw path),
// the status sent (a panic as the 500 it was rendered as), the request id,
// and the context they derived; they are nested, first begun last ended.
func TestObservers(t *testing.T) {
	mux := http.NewServeMux()
	var seenMark string
	mux.HandleFunc("GET /admin/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		seenMark, _ = r.Context().Value(markKey{}).(string)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /silent", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic(http.ErrAbortHandler)
	})

	cases := []struct {
		method, path string
		pattern      string
		status       int
	}{
		{"GET", "/admin/clients/some-client-id", "GET /admin/clients/{id}", http.StatusNoContent},
		{"POST", "/boom", "POST /boom", http.StatusInternalServerError},
		{"GET", "/silent", "GET /silent", http.StatusOK},
		{"GET", "/nothing-here", "", http.StatusNotFound},
		{"GET", "/abort", "GET /abort", http.StatusAccepted},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var order []string
			a, b := &recordingObserver{name: "a", order: &order}, &recordingObserver{name: "b", order: &order}
			log, _ := logBuffer()
			m := httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: fixedClock(),
				Observers: []httpx.Observer{a, b}}
			h := m.Wrap(mux, 1024)
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Header.Set("X-Request-Id", "obs-1")
			func() {
				defer func() { _ = recover() }() // ErrAbortHandler is re-panicked by design
				h.ServeHTTP(httptest.NewRecorder(), r)
			}()

			want := []string{"begin a", "begin b", "end b", "end a"}
			if len(order) != 4 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] || order[3] != want[3] {
				t.Fatalf("order %v, want %v", order, want)
			}
			for _, o := range []*recordingObserver{a, b} {
				got := o.ends[0]
				if got.pattern != tc.pattern || got.status != tc.status || got.requestID != "obs-1" || got.mark != "b" {
					t.Errorf("%s saw %+v; want pattern %q status %d", o.name, got, tc.pattern, tc.status)
				}
				if got.elapsed <= 0 {
					t.Errorf("%s: elapsed %v from the middleware clock", o.name, got.elapsed)
				}
			}
		})
	}
	if seenMark != "b" {
		t.Errorf("handler saw context mark %q: the request Begin returned must be the one routed", seenMark)
	}
}
