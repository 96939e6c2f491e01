package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/signet-oidc/signet/internal/config"
)

// TestServeFinishesInFlightRequests: when the context ends (SIGTERM or
// SIGINT in production), Serve stops accepting connections but the request
// already being handled completes and its client gets the answer.
func TestServeFinishesInFlightRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	a := &App{
		cfg: config.NewLive(&config.Config{}),
		log: slog.New(slog.DiscardHandler),
		public: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "finished")
		}),
		admin: http.NotFoundHandler(),
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &closeSignal{Listener: raw, closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln, nil) }()

	type answer struct {
		body string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{string(b), err}
	}()

	<-entered
	cancel()
	<-ln.closed // shutdown has begun while the request is in the handler
	close(release)
	if ans := <-got; ans.err != nil || ans.body != "finished" {
		t.Fatalf("in-flight request: body %q, err %v; want it to finish", ans.body, ans.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v after a graceful shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
		t.Fatal("the listener still accepts connections after shutdown")
	}
}

// closeSignal tells when Shutdown closes the listener, its first step.
type closeSignal struct {
	net.Listener
	closed chan struct{}
	once   sync.Once
}

func (l *closeSignal) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}
