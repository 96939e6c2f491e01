package cli

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// The redirect URI of `perform authorization-code`: an HTTP server on the
// loopback interface (RFC 8252 section 7.3) that takes exactly one callback,
// hands it to the command, and shows the browser how the sign-in ended once
// the command has exchanged the code. Answering only after the exchange
// means the page never says "signed in" for a sign-in that then failed.
// https://www.rfc-editor.org/rfc/rfc8252#section-7.3

const (
	// maxCallbackQuery bounds the callback's query: a code, a state, an
	// iss and an error description fit in a fraction of it.
	maxCallbackQuery = 8 << 10
	// callbackShutdown bounds how long the page may take to be written
	// once the command has finished.
	callbackShutdown = 5 * time.Second
)

// arrival is the callback's query, and where the command answers with how
// the sign-in ended.
type arrival struct {
	rawQuery string
	reply    chan<- outcome
}

// outcome is what the browser's page shows: the subject, or the error.
type outcome struct {
	subject string
	err     error
}

// callbackServer serves one redirect URI path.
type callbackServer struct {
	path     string
	arrivals chan arrival
	taken    atomic.Bool   // the first callback is the only one handled
	stopped  chan struct{} // closed when the command stops listening
	http     *http.Server
	served   chan struct{}
}

// startCallback serves path on l until close is called.
func startCallback(l net.Listener, path string) *callbackServer {
	s := &callbackServer{path: path, arrivals: make(chan arrival), stopped: make(chan struct{}), served: make(chan struct{})}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    2 * maxCallbackQuery,
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(l) // returns http.ErrServerClosed after close
	}()
	return s
}

// ServeHTTP passes the first callback to the command and shows the outcome.
// Other paths (a browser's /favicon.ico) are not found.
func (s *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !s.taken.CompareAndSwap(false, true) {
		writeCallbackPage(w, outcome{err: &callbackError{Code: "already_finished",
			Description: "This sign-in has already received its answer.",
			Hint:        "Run signet perform authorization-code again to sign in again."}})
		return
	}
	reply := make(chan outcome, 1)
	select {
	case s.arrivals <- arrival{rawQuery: r.URL.RawQuery, reply: reply}:
	case <-s.stopped:
		writeCallbackPage(w, outcome{err: errStoppedWaiting})
		return
	}
	select {
	case o := <-reply:
		writeCallbackPage(w, o)
	case <-s.stopped:
		writeCallbackPage(w, outcome{err: errStoppedWaiting})
	}
}

var errStoppedWaiting = &callbackError{Code: "stopped",
	Description: "The command stopped waiting for this sign-in (it timed out or was cancelled).",
	Hint:        "Run signet perform authorization-code again to start over."}

// wait returns the first callback, or an error when timeout passes or ctx
// ends first (Ctrl-C).
func (s *callbackServer) wait(ctx context.Context, timeout time.Duration) (arrival, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case a := <-s.arrivals:
		return a, nil
	case <-t.C:
		return arrival{}, fmt.Errorf("no callback arrived within %s (--timeout); run the command again to start over", timeout)
	case <-ctx.Done():
		return arrival{}, fmt.Errorf("cancelled while waiting for the callback: %w", context.Cause(ctx))
	}
}

// close stops listening. A page being written gets callbackShutdown to
// finish; a callback still waiting for the command is told it stopped.
func (s *callbackServer) close() {
	close(s.stopped)
	ctx, cancel := context.WithTimeout(context.Background(), callbackShutdown)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		_ = s.http.Close()
	}
	<-s.served
}

// callbackError is a sign-in that ended at the callback: the authorization
// server's error response (RFC 6749 section 4.1.2.1), or a callback this
// command refuses. Its fields are shown on the browser's page.
type callbackError struct {
	Code        string // the server's error code, or ours for a refused callback
	Description string // a sentence a person understands
	Hint        string
	FromServer  bool
}

func (e *callbackError) Error() string {
	var b strings.Builder
	if e.FromServer {
		b.WriteString("the authorization server refused the sign-in: " + e.Code + ": ")
	} else {
		b.WriteString("the callback was refused: ")
	}
	b.WriteString(e.Description)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return sanitizeLine(b.String())
}

func refuseCallback(desc, hint string) *callbackError {
	return &callbackError{Code: "invalid_callback", Description: desc, Hint: hint}
}

// readCallback checks the callback's query against the request this command
// sent and returns the code. The state is compared first, so nothing, not
// even an error message, is taken from a response to another request.
// issuer is checked against "iss" when the server sends one (RFC 9207,
// which defends against mix-up attacks).
func readCallback(rawQuery, state, issuer string) (string, error) {
	if len(rawQuery) > maxCallbackQuery {
		return "", refuseCallback(fmt.Sprintf("The callback's query is longer than %d bytes.", maxCallbackQuery), "")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", refuseCallback("The callback's query string is malformed.", "")
	}
	for k, v := range q {
		if len(v) > 1 {
			return "", refuseCallback(fmt.Sprintf("The callback repeats the parameter %q.", k), "")
		}
	}
	const stale = "It may come from an older sign-in or another program; run the command again and use the URL it prints."
	switch got := q.Get("state"); {
	case got == "":
		return "", refuseCallback("The callback carries no state, so it cannot be tied to this sign-in.", stale)
	case subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1:
		return "", refuseCallback("The callback's state is not the one this command sent: the answer belongs to another sign-in.", stale)
	}
	if q.Has("iss") && q.Get("iss") != issuer {
		return "", refuseCallback(fmt.Sprintf("The callback's iss %q is not the issuer %q this sign-in was sent to.", q.Get("iss"), issuer),
			"Another authorization server answered (RFC 9207 mix-up defence).")
	}
	if code := q.Get("error"); code != "" {
		desc := q.Get("error_description")
		if desc == "" {
			desc = "The authorization server gave no description."
		}
		return "", &callbackError{Code: code, Description: desc, Hint: q.Get("error_hint"), FromServer: true}
	}
	if q.Get("code") == "" {
		return "", refuseCallback("The callback carries neither a code nor an error.", "")
	}
	return q.Get("code"), nil
}

// pageError is err in the words the browser's page shows.
func pageError(err error) (status int, e *callbackError) {
	if errors.As(err, &e) {
		return http.StatusBadRequest, e
	}
	// Failures after the callback: the token request or the ID token.
	return http.StatusBadGateway, &callbackError{Code: "token_request_failed",
		Description: "The code could not be exchanged for verified tokens: " + err.Error() + ".",
		Hint:        "The terminal running signet perform authorization-code shows the same message."}
}
