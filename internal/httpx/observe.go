package httpx

import (
	"net/http"
	"time"
)

// Observer watches each request of a port from just before it is routed
// until it is answered. The metrics and tracing packages implement it and
// app.New hands them to Middleware.Observers; httpx knows neither.
//
// Observers run outside the panic recovery, so a panic reaches them as
// the 500 it was rendered as, and inside the access log and request id, so
// RequestID(r.Context()) is already set in Begin.
type Observer interface {
	// Begin may return r with a derived context (a span); that request is
	// the one routed, and End receives it. It must not read the body.
	Begin(r *http.Request) *http.Request
	// End is called once the handler has returned. r.Pattern then names
	// the route that matched ("" if none did: the ServeMux records the
	// pattern on the request it routes, which is the one Begin returned);
	// status is what was sent, and elapsed is measured with
	// Middleware.Now.
	End(r *http.Request, status int, elapsed time.Duration)
}

// observe runs the observers around next. Without observers it returns
// next itself: a port nobody observes pays nothing.
func (m Middleware) observe(next http.Handler) http.Handler {
	obs := m.Observers
	if len(obs) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.Now()
		for _, o := range obs {
			r = o.Begin(r)
		}
		sw := &statusWriter{ResponseWriter: w}
		// Deferred, so that a span also ends when a handler aborts the
		// response with http.ErrAbortHandler, which recover passes on.
		defer func() {
			if !sw.wrote {
				sw.status = http.StatusOK // net/http answers 200 when the handler wrote nothing
			}
			elapsed := m.Now().Sub(start)
			for i := len(obs) - 1; i >= 0; i-- {
				obs[i].End(r, sw.status, elapsed)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
