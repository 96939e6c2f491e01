package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id the RequestID middleware gave this request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Middleware is the chain app/routes.go applies to every route, in order:
// request id, access log, recover, body limit. Each is a plain function of
// http.Handler; the chain is composition, not a framework.
type Middleware struct {
	Log      *slog.Logger
	Renderer Renderer
	// Now is the clock for durations; time.Now in production.
	Now func() time.Time
	// QuietPaths are not access-logged (health checks polled every second).
	QuietPaths map[string]bool
	// Observers see every request of the port (metrics, tracing); with
	// none the chain has no observing step at all.
	Observers []Observer
}

// Wrap applies the whole chain with a body limit of maxBody bytes.
func (m Middleware) Wrap(h http.Handler, maxBody int64) http.Handler {
	h = m.limitBody(h, maxBody)
	h = m.recover(h)
	h = m.observe(h)
	h = m.accessLog(h)
	return m.requestID(h)
}

// requestID gives each request an id, returned in X-Request-Id and attached
// to every log line and error body about it. An incoming id is kept only if
// it is short and plain, so it cannot inject into logs.
func (m Middleware) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !plainID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog writes one line per request: method, path (never the query,
// which may hold tokens or codes), status, duration and request id.
func (m Middleware) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if !sw.wrote {
			sw.status = http.StatusOK // net/http answers 200 when the handler wrote nothing
		}
		if m.QuietPaths[r.URL.Path] && sw.status < 400 {
			return
		}
		m.Log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", m.Now().Sub(start)),
			slog.String("request_id", RequestID(r.Context())),
		)
	})
}

// recover turns a panic into a logged server_error: a panic never reaches
// the client as a dropped connection or a stack trace.
func (m Middleware) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			m.Log.Error("panic", "request_id", RequestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			m.Renderer.WriteOAuthError(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps the request body; readers see *http.MaxBytesError beyond it.
func (m Middleware) limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			m.Renderer.WriteOAuthError(w, r, tooLarge(max))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}
