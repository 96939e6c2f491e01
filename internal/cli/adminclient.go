package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Bounds on what the CLI accepts from a server: a request that hangs or a
// body that never ends must not hang or exhaust the operator's shell.
const (
	requestTimeout   = 10 * time.Second
	maxResponseBytes = 16 << 20
	maxErrorBytes    = 64 << 10
)

// apiClient is the CLI's own small client for the admin and public HTTP
// APIs. It knows paths and wire shapes, nothing about flags or output.
type apiClient struct {
	base *url.URL
	http *http.Client
}

func newAPIClient(base *url.URL) *apiClient {
	return &apiClient{
		base: base,
		http: &http.Client{
			Timeout: requestTimeout,
			// The APIs never redirect; following one would send the
			// request (and any credentials) somewhere the operator did
			// not name. Surface it as an error instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// resolve appends an already escaped path (and a query) to the base URL,
// keeping any path prefix the endpoint carries.
func (c *apiClient) resolve(escapedPath string, q url.Values) *url.URL {
	u := *c.base
	prefix := strings.TrimRight(c.base.EscapedPath(), "/")
	u.RawPath = prefix + escapedPath
	u.Path, _ = url.PathUnescape(u.RawPath) // the parts were escaped by us or parsed from a valid URL
	u.RawQuery = q.Encode()
	return &u
}

// call is one HTTP exchange: the body is JSON when in is non-nil, a form
// when form is non-nil; a 2xx answer is decoded into out when out is
// non-nil. Anything else becomes a *serverError.
type call struct {
	method, path string
	query        url.Values
	in           any
	form         url.Values
	basic        *basicAuth
	out          any
	// header holds extra request headers (a DPoP proof).
	header http.Header
}

// basicAuth carries client credentials, encoded as RFC 6749 §2.3.1 asks:
// form-encode each part, then HTTP Basic.
// https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
type basicAuth struct{ id, secret string }

func (c *apiClient) do(ctx context.Context, k call) (http.Header, error) {
	req, err := c.newRequest(ctx, k)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, readServerError(resp)
	}
	if k.out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		return resp.Header, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", req.URL.Redacted(), err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("the answer of %s is larger than %d bytes", req.URL.Redacted(), maxResponseBytes)
	}
	if err := json.Unmarshal(body, k.out); err != nil {
		return nil, fmt.Errorf("the answer of %s is not the expected JSON: %w", req.URL.Redacted(), err)
	}
	return resp.Header, nil
}

func (c *apiClient) newRequest(ctx context.Context, k call) (*http.Request, error) {
	var body io.Reader
	contentType := ""
	switch {
	case k.in != nil:
		b, err := json.Marshal(k.in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case k.form != nil:
		body, contentType = strings.NewReader(k.form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.resolve(k.path, k.query).String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if k.basic != nil {
		req.SetBasicAuth(url.QueryEscape(k.basic.id), url.QueryEscape(k.basic.secret))
	}
	for name, vs := range k.header {
		req.Header[name] = vs
	}
	return req, nil
}

// serverError is a non-2xx answer, reduced to what a person needs to read.
type serverError struct {
	Status      int
	Code        string // errorOAuth2 "error", or genericError "status"/"reason"
	Description string
	Hint        string
	// header is the answer's headers (a DPoP-Nonce to retry with).
	header http.Header
}

func (e *serverError) Error() string {
	var b strings.Builder
	b.WriteString("the server said: ")
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Description != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Description)
	if e.Hint != "" && e.Hint != e.Description {
		b.WriteString(" (" + e.Hint + ")")
	}
	fmt.Fprintf(&b, " [HTTP %d]", e.Status)
	return sanitizeLine(b.String())
}

// errorBody covers both error shapes of the contract: errorOAuth2
// ({"error": "code", "error_description": …}) and genericError, either bare
// ({"message": …}) or wrapped as {"error": {"message": …}}.
type errorBody struct {
	Error       json.RawMessage `json:"error"`
	Description string          `json:"error_description"`
	Hint        string          `json:"error_hint"`
	genericBody
}

type genericBody struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Status  string `json:"status"`
}

func readServerError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Errorf("the server redirected to %q [HTTP %d]; check the endpoint URL",
			sanitizeLine(resp.Header.Get("Location")), resp.StatusCode)
	}
	e := &serverError{Status: resp.StatusCode, header: resp.Header}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		var code string
		var nested genericBody
		switch {
		case json.Unmarshal(eb.Error, &code) == nil && code != "":
			e.Code, e.Description, e.Hint = code, eb.Description, eb.Hint
			return e
		case json.Unmarshal(eb.Error, &nested) == nil && nested.Message != "":
			eb.genericBody = nested
		}
		if eb.Message != "" {
			e.Code, e.Description, e.Hint = strings.ToLower(eb.Status), eb.Message, eb.Reason
			return e
		}
	}
	e.Code = http.StatusText(resp.StatusCode)
	e.Description = snippet(body)
	return e
}

// snippet shows the start of a body that is not one of the error shapes
// (a proxy's HTML page, say), enough to recognise it.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
